#pragma once

// TURN ChannelData framing (RFC 8656 §12.4-§12.6): a 4-byte header instead of
// a STUN message, for relayed data on a bound channel.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "stun/error.hpp"

namespace parley::stun {

inline constexpr std::size_t kChannelDataHeaderSize = 4;
inline constexpr std::uint16_t kMinChannelNumber = 0x4000;
inline constexpr std::uint16_t kMaxChannelNumber = 0x4FFF;

// RFC 8656 §12: clients may bind 0x4000-0x4FFF; 0x5000-0xFFFF are reserved
// (they would collide with other protocols demultiplexed by first byte, RFC
// 7983).
constexpr bool is_valid_channel_number(std::uint16_t channel) {
  return channel >= kMinChannelNumber && channel <= kMaxChannelNumber;
}

// How the bytes travel: over UDP a datagram is one message and padding is
// optional; over TCP/TLS messages follow each other and each is padded to a
// multiple of 4 so the next starts aligned (RFC 8656 §12.5).
enum class Framing : std::uint8_t { Datagram, Stream };

// A decoded ChannelData message. `data` points into the input buffer.
struct ChannelData {
  std::uint16_t channel = 0;
  std::span<const std::uint8_t> data;
};

// Quick demultiplexing test on the first byte: 0b01 in the top two bits
// (0x40-0x7F) is ChannelData, 0b00 is STUN (RFC 8656 §12, RFC 7983).
constexpr bool looks_like_channel_data(std::span<const std::uint8_t> bytes) {
  return !bytes.empty() && (bytes[0] & 0xC0) == 0x40;
}

// RFC 8656 §12.4, §12.6: decode the message at the start of `bytes`. Checks
// the channel range and that the declared length fits; over a Stream the
// padding must be present too. Trailing bytes are not an error (the next
// stream message, or UDP padding); use channel_data_size() to step over the
// message.
std::expected<ChannelData, Error> parse_channel_data(std::span<const std::uint8_t> bytes,
                                                     Framing framing);

// Bytes the message starting at `prefix` occupies, padding included for
// Stream. Needs the 4-byte header (Error::Truncated if fewer: read more).
std::expected<std::size_t, Error> channel_data_size(std::span<const std::uint8_t> prefix,
                                                    Framing framing);

// Bytes encode_channel_data() writes for `data_size` bytes of data.
constexpr std::size_t channel_data_encoded_size(std::size_t data_size, Framing framing) {
  const std::size_t size = kChannelDataHeaderSize + data_size;
  return framing == Framing::Stream ? (size + 3) & ~std::size_t{3} : size;
}

// RFC 8656 §12.5: header, data, and zero padding for Stream. Returns the
// bytes written. Fails on a channel outside 0x4000-0x4FFF, more than 65535
// bytes of data, or an `out` smaller than channel_data_encoded_size().
std::expected<std::size_t, Error> encode_channel_data(std::span<std::uint8_t> out,
                                                      std::uint16_t channel,
                                                      std::span<const std::uint8_t> data,
                                                      Framing framing);

}  // namespace parley::stun
