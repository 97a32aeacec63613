#pragma once

// Small helpers shared by the STUN tests.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "stun/constants.hpp"
#include "stun/detail/bytes.hpp"

namespace parley::stun::test {

inline std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Appends a TLV to an encoded message and fixes the header length, with none
// of the Builder's ordering rules, to make messages a correct sender would
// not produce (attributes after MESSAGE-INTEGRITY or FINGERPRINT).
inline void append_unchecked(std::vector<std::uint8_t>& message, std::uint16_t type,
                             std::span<const std::uint8_t> value) {
  const std::size_t at = message.size();
  message.resize(at + kAttributeHeaderSize + detail::padded4(value.size()), 0);
  detail::store_u16(message, at, type);
  detail::store_u16(message, at + 2, static_cast<std::uint16_t>(value.size()));
  std::copy(value.begin(), value.end(), message.begin() + static_cast<std::ptrdiff_t>(at + 4));
  detail::store_u16(message, 2, static_cast<std::uint16_t>(message.size() - kHeaderSize));
}

inline void set_length_field(std::vector<std::uint8_t>& message, std::uint16_t length) {
  detail::store_u16(message, 2, length);
}

}  // namespace parley::stun::test
