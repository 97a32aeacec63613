#pragma once

// Big-endian field access for the codec's own use. STUN and ChannelData are
// network byte order throughout (RFC 8489 §5). Callers check bounds before
// calling; span indexing is bounds-checked again under _GLIBCXX_ASSERTIONS.

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::stun::detail {

inline std::uint16_t load_u16(std::span<const std::uint8_t> s, std::size_t at) {
  return static_cast<std::uint16_t>((std::uint16_t{s[at]} << 8) | s[at + 1]);
}

inline std::uint32_t load_u32(std::span<const std::uint8_t> s, std::size_t at) {
  return (std::uint32_t{load_u16(s, at)} << 16) | load_u16(s, at + 2);
}

inline std::uint64_t load_u64(std::span<const std::uint8_t> s, std::size_t at) {
  return (std::uint64_t{load_u32(s, at)} << 32) | load_u32(s, at + 4);
}

inline void store_u16(std::span<std::uint8_t> s, std::size_t at, std::uint16_t v) {
  s[at] = static_cast<std::uint8_t>(v >> 8);
  s[at + 1] = static_cast<std::uint8_t>(v);
}

inline void store_u32(std::span<std::uint8_t> s, std::size_t at, std::uint32_t v) {
  store_u16(s, at, static_cast<std::uint16_t>(v >> 16));
  store_u16(s, at + 2, static_cast<std::uint16_t>(v));
}

inline void store_u64(std::span<std::uint8_t> s, std::size_t at, std::uint64_t v) {
  store_u32(s, at, static_cast<std::uint32_t>(v >> 32));
  store_u32(s, at + 4, static_cast<std::uint32_t>(v));
}

// RFC 8489 §14: attribute values (and ChannelData over streams, RFC 8656 §12.5)
// are padded to a multiple of 4 bytes.
constexpr std::size_t padded4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

}  // namespace parley::stun::detail
