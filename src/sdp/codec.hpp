#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/parameter.hpp"

namespace parley::sdp {

// a=rtcp-fb:<pt> <type> [<parameter>] (RFC 4585 §4.2), e.g. "nack pli",
// "ccm fir", "transport-cc". `parameter` is everything after the type.
struct RtcpFeedback {
  std::string type;
  std::string parameter;

  bool operator==(const RtcpFeedback&) const = default;
};

// One RTP payload format of a media section: its a=rtpmap (RFC 8866 §6.6),
// a=fmtp (§6.15) and a=rtcp-fb lines gathered under the payload type.
struct Codec {
  std::uint8_t payload_type = 0;  // 0..127
  std::string name;               // encoding name as written ("opus", "VP8"); empty if no rtpmap
  std::uint32_t clock_rate = 0;
  std::uint32_t channels = 0;     // the rtpmap's encoding parameter; 0 when not given
  std::vector<Parameter> fmtp;    // in order, e.g. {apt,96} or {"111/111",""}
  std::string fmtp_raw;           // the fmtp text as received (after "<pt> ")
  std::vector<RtcpFeedback> rtcp_fb;

  // Case-insensitive comparison of the encoding name (RFC 8866 §6.6).
  bool is(std::string_view encoding_name) const;

  // The value of fmtp parameter `key` (case-insensitive key).
  std::optional<std::string_view> fmtp_value(std::string_view key) const;

  // For an "rtx" codec: the payload type it repairs (RFC 4588 §8.6 apt=).
  std::optional<std::uint8_t> apt() const;

  bool has_feedback(std::string_view type, std::string_view parameter = {}) const;

  // What the writer puts after "a=fmtp:<pt> ": `fmtp_raw` if `fmtp` is empty
  // or `fmtp_raw` still parses to `fmtp` (unedited since parsing), else
  // `fmtp` joined with ';'. So a builder may set either.
  std::string fmtp_text() const;

  bool operator==(const Codec&) const = default;
};

// The RFC 3551 §6 static payload types (0 PCMU, 8 PCMA, 9 G722, ...), which
// may appear in an m= line without an rtpmap.
std::optional<Codec> static_codec(std::uint8_t payload_type);

}  // namespace parley::sdp
