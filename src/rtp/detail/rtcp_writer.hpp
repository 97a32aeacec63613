#pragma once

// Shared by the RTCP builders: room check and common header (RFC 3550 §6.4.1).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <span>

#include "rtp/detail/byte_io.hpp"
#include "rtp/error.hpp"

namespace parley::rtp::detail {

// Largest RTCP packet: the 16-bit length field counts 32-bit words minus one.
inline constexpr std::size_t kMaxRtcpSize = 65536 * 4;

// Checks that a packet of `size` bytes (a multiple of 4) fits its length
// field and `out`, writes the header (V=2, P=0) and returns where it starts.
inline std::expected<std::uint8_t*, Error> begin_rtcp(std::span<std::uint8_t> out, std::size_t size,
                                                      std::uint8_t type, std::uint8_t count) {
  if (size < 4 || size % 4 != 0 || size > kMaxRtcpSize || count > 31) {
    return std::unexpected(Error::ValueOutOfRange);
  }
  if (out.size() < size) return std::unexpected(Error::BufferTooSmall);
  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>(0x80 | count);
  p[1] = type;
  store_u16(p + 2, static_cast<std::uint16_t>(size / 4 - 1));
  return p;
}

}  // namespace parley::rtp::detail
