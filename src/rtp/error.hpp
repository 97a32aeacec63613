#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace parley::rtp {

// Every way the RTP/RTCP codecs can refuse input or a build request. Parsers
// never throw and never read outside the span they are given: a datagram from
// the network is untrusted and a bad one is routine.
enum class Error : std::uint8_t {
  Truncated,        // fewer bytes than a header, a count or a length field needs
  BadVersion,       // RTP/RTCP version field is not 2 (RFC 3550 §5.1, §6.4.1)
  BadPadding,       // padding count of 0, or larger than the space that holds it
  BadExtension,     // header extension block or element overruns (RFC 8285)
  BadLength,        // an RTCP length field disagrees with the bytes (RFC 3550 §6.4.1)
  WrongType,        // packet type or feedback format is not the one asked for
  Malformed,        // field content invalid: reserved values, inconsistent counts
  Unsupported,      // well-formed but not handled (e.g. H.264 NAL types 0, 30, 31)
  NotPresent,       // the optional field to read or rewrite is absent
  BufferTooSmall,   // the caller-provided output buffer cannot hold the result
  ValueOutOfRange,  // a value to encode does not fit its field
};

// A short English phrase for logs and test failures.
std::string_view to_string(Error error);

std::ostream& operator<<(std::ostream& out, Error error);

}  // namespace parley::rtp
