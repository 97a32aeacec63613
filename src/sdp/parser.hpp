#pragma once

#include <string_view>

#include "sdp/error.hpp"
#include "sdp/session_description.hpp"

namespace parley::sdp {

// Parses an SDP offer or answer (RFC 8866, as used by JSEP, RFC 8829).
//
// Lines may end in CRLF or a bare LF; blank lines are skipped. Attributes and
// line types without a field of their own are kept in order (see
// SessionDescription::attributes/lines). A line that breaks the grammar of a
// known attribute, a control byte, more than kMaxSdpSize bytes or more than
// kMaxMediaSections m= lines is refused with the line number and the reason.
// Also refused: a second mid equal to an earlier one, a group naming a mid
// no section has, and a simulcast rid without a matching a=rid.
// Never throws (short of std::bad_alloc).
Result<SessionDescription> parse(std::string_view text);

}  // namespace parley::sdp
