#pragma once

// SDP fragments (application/trickle-ice-sdpfrag, RFC 8840 §9) as the WHIP
// PATCH of RFC 9725 §4.3.1 carries them: the client's ICE credentials, and
// for trickle its candidates; our answer to an ICE restart carries ours.

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ice/candidate.hpp"
#include "ice/credentials.hpp"

namespace parley::rtc {

inline constexpr std::string_view kSdpFragType = "application/trickle-ice-sdpfrag";

struct SdpFragment {
  ice::IceCredentials ice;              // a=ice-ufrag / a=ice-pwd, both required
  std::vector<std::string> mids;        // a=mid values, in order
  std::vector<std::string> candidates;  // a=candidate values, without "a="
  bool end_of_candidates = false;
};

// Lines end in CRLF or LF. Unknown lines of the form <letter>=<text> are
// ignored (RFC 8840 §9 allows session and media level attributes); anything
// else, a missing or invalid (RFC 8839 §5.4) ufrag or pwd, or a repeated one
// is an error.
std::expected<SdpFragment, std::string> parse_sdpfrag(std::string_view body);

// Our fragment after an ICE restart: a=ice-lite (RFC 8839 §5.3), the new
// credentials, then a=mid of the bundle tag with our candidates and
// a=end-of-candidates (RFC 8840 §8.2: we gather nothing later).
std::string write_sdpfrag(const ice::IceCredentials& local, std::string_view mid,
                          std::span<const ice::LocalCandidate> candidates);

}  // namespace parley::rtc
