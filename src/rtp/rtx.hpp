#pragma once

// RTX retransmission payload format (RFC 4588 §4): an RTX packet carries the
// original sequence number (OSN, 2 bytes) followed by the original payload,
// on its own SSRC, payload type and sequence numbers. The header extensions
// of the original are kept; padding is not.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "rtp/error.hpp"
#include "rtp/rtp_packet.hpp"

namespace parley::rtp {

inline constexpr std::size_t kRtxOsnSize = 2;

// The OSN of an RTX packet (§4: first two bytes of its payload). nullopt for
// a payload shorter than that (an RTX packet that is only padding, as used
// for bandwidth probing, has no OSN).
std::optional<std::uint16_t> rtx_original_sequence(const RtpPacket& rtx);

struct RtxWrap {
  std::uint8_t payload_type = 0;  // the RTX payload type (a=fmtp apt=...)
  std::uint32_t ssrc = 0;         // the RTX stream's SSRC
  std::uint16_t sequence_number = 0;
};

// Writes the RTX packet for `original` into `out`: the original header with
// the RTX payload type, SSRC and sequence number (marker, timestamp, CSRCs
// and extensions unchanged, padding dropped), then OSN and payload. Returns
// the bytes written.
std::expected<std::size_t, Error> rtx_wrap(const RtpPacket& original, std::span<std::uint8_t> out,
                                           const RtxWrap& rtx);

struct RtxUnwrap {
  std::uint8_t payload_type = 0;  // the original payload type (apt)
  std::uint32_t ssrc = 0;         // the original stream's SSRC
};

// Turns the RTX packet in `packet` back into the original, in place: sets
// the sequence number from the OSN and the given payload type and SSRC,
// moves the payload over the OSN and drops any padding. Returns the new size
// (2 bytes fewer than the packet without its padding). Error::Truncated if
// the payload has no OSN.
std::expected<std::size_t, Error> rtx_unwrap_in_place(std::span<std::uint8_t> packet,
                                                      const RtxUnwrap& original);

}  // namespace parley::rtp
