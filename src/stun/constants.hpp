#pragma once

#include <cstddef>
#include <cstdint>

namespace parley::stun {

// RFC 8489 §5: fixed value that tells STUN apart from other protocols on the
// same port and that keys the XOR of XOR-MAPPED-ADDRESS.
inline constexpr std::uint32_t kMagicCookie = 0x2112A442;

// RFC 8489 §5: type (2) + length (2) + cookie (4) + transaction id (12).
inline constexpr std::size_t kHeaderSize = 20;

// RFC 8489 §14: type (2) + length (2).
inline constexpr std::size_t kAttributeHeaderSize = 4;

// The message length field is 16 bits and always a multiple of 4.
inline constexpr std::size_t kMaxBodySize = 0xFFFC;
inline constexpr std::size_t kMaxMessageSize = kHeaderSize + kMaxBodySize;

}  // namespace parley::stun
