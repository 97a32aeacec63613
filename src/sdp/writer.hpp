#pragma once

#include <string>

#include "sdp/session_description.hpp"

namespace parley::sdp {

// Writes a session description as SDP text (RFC 8866) with CRLF line
// endings, in the order JSEP implementations use (RFC 8829 §5.2, §5.3):
// session lines, then per m= section: c=, b=, candidates, ICE and DTLS
// attributes, mid, extmaps, direction, msid, rtcp-mux/rsize, codecs
// (rtpmap, rtcp-fb, fmtp), rids, simulcast, ssrc-groups, ssrcs, SCTP
// attributes, then the unknown attributes kept by the parser, in their order.
//
// Optional fields are written only when set. CR, LF and NUL bytes in values
// are dropped so that no value can start a line of its own. parse(serialize(x))
// gives back x for anything parse() produced.
std::string serialize(const SessionDescription& description);

}  // namespace parley::sdp
