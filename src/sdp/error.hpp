#pragma once

#include <cstddef>
#include <expected>
#include <iosfwd>
#include <string>

namespace parley::sdp {

// Why a session description (or one attribute value) was refused. An offer
// comes from an untrusted client, so nothing in this library throws on bad
// input: every refusal is one of these, with the 1-based line it was found on
// (0 when it concerns the whole text or a value parsed on its own, such as a
// trickled candidate).
struct Error {
  std::size_t line = 0;
  std::string message;

  // "line 12: a=rtpmap: clock rate \"x\" is not a number" (no prefix for line 0).
  std::string to_string() const;

  bool operator==(const Error&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Error& error);

template <typename T>
using Result = std::expected<T, Error>;

// Limits that keep a hostile offer from costing more than a real one would.
inline constexpr std::size_t kMaxSdpSize = 64 * 1024;  // bytes of SDP text
inline constexpr std::size_t kMaxMediaSections = 64;   // m= lines
inline constexpr std::size_t kMaxRids = 64;            // a=rid lines per m= section (browsers send <= 4)

}  // namespace parley::sdp
