#include "stun/fingerprint.hpp"

#include <array>

#include "stun/constants.hpp"
#include "stun/detail/bytes.hpp"

namespace parley::stun {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1) ? (0xEDB88320U ^ (c >> 1)) : (c >> 1);
    }
    table[i] = c;
  }
  return table;
}

constexpr auto kCrcTable = make_crc_table();

constexpr std::size_t kFingerprintAttributeSize = kAttributeHeaderSize + 4;

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t b : bytes) {
    crc = kCrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  }
  return ~crc;
}

std::uint32_t compute_fingerprint(std::span<const std::uint8_t> prefix,
                                  std::uint16_t length_field) {
  std::array<std::uint8_t, 2> length{};
  detail::store_u16(length, 0, length_field);
  std::uint32_t crc = crc32(prefix.first(2));
  crc = crc32(length, crc);
  crc = crc32(prefix.subspan(4), crc);
  return crc ^ kFingerprintXor;
}

std::expected<void, Error> verify_fingerprint(const Message& message) {
  const std::uint32_t offset = message.trailers().fingerprint;
  if (offset == TrailerLayout::kAbsent) return std::unexpected(Error::MissingFingerprint);
  const auto bytes = message.bytes();
  if (detail::load_u16(bytes, offset + 2) != 4) return std::unexpected(Error::BadAttributeValue);
  // FINGERPRINT must be last (§14.7); should ignored attributes follow it
  // anyway, the sender's length field covered only up to FINGERPRINT.
  const auto length = static_cast<std::uint16_t>(offset + kFingerprintAttributeSize - kHeaderSize);
  const std::uint32_t expected = compute_fingerprint(bytes.first(offset), length);
  if (detail::load_u32(bytes, offset + kAttributeHeaderSize) != expected) {
    return std::unexpected(Error::FingerprintMismatch);
  }
  return {};
}

}  // namespace parley::stun
