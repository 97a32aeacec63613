#pragma once

// Redundant audio data (RFC 2198): one RTP payload carrying the current
// ("primary") encoding and older ones again, so that a receiver can fill a
// lost packet from the next one. Chromium sends Opus this way (red/48000/2)
// when the answer puts red before opus.
//
// RFC 2198 §3: the payload starts with one header per block, in block order.
// A redundant block's header is 4 bytes,
//
//   F=1 | block PT (7 bits) | timestamp offset (14 bits) | block length (10 bits)
//
// and the last header, the primary's, is 1 byte: F=0 | block PT. The blocks
// follow the headers in the same order; the primary block has no length
// field: it is the rest of the payload.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "rtp/error.hpp"

namespace parley::rtp {

inline constexpr std::size_t kRedBlockHeaderSize = 4;    // redundant block (§3)
inline constexpr std::size_t kRedPrimaryHeaderSize = 1;  // primary block (§3)

struct RedPayload {
  std::uint8_t primary_payload_type = 0;
  std::span<const std::uint8_t> primary;  // the primary block, inside the payload given
  std::size_t redundant_blocks = 0;
  // Every redundant block has the primary's payload type (a browser's RED
  // only ever repeats its Opus).
  bool single_payload_type = true;
};

// The headers walked and the block lengths checked against the payload.
// Error::Truncated when the headers run past the payload without the 1-byte
// primary header (an empty payload included), or when the redundant blocks'
// lengths add up to more than what follows the headers.
std::expected<RedPayload, Error> parse_red(std::span<const std::uint8_t> payload);

// Writes `payload_type` into every block header of the RED payload in
// `payload` (redundant and primary alike), in place, leaving the blocks as
// they are: the SFU passes a publisher's RED on under the subscriber's Opus
// payload type. Error::ValueOutOfRange above 127; parse_red's errors for a
// payload it refuses (then nothing is written).
std::expected<void, Error> set_red_payload_types(std::span<std::uint8_t> payload, std::uint8_t payload_type);

}  // namespace parley::rtp
