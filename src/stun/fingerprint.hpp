#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "stun/error.hpp"
#include "stun/message.hpp"

namespace parley::stun {

// RFC 8489 §14.7: XOR-ed into the CRC so that a FINGERPRINT cannot be
// mistaken for the CRC of some other protocol's packet that embeds it.
inline constexpr std::uint32_t kFingerprintXor = 0x5354554E;

// CRC-32 of ISO/IEC 13239 / IEEE 802.3 (reflected polynomial 0xEDB88320,
// initial and final XOR 0xFFFFFFFF), the one RFC 8489 §14.7 names. Pass the
// previous result as `crc` to continue over more bytes.
std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

// RFC 8489 §14.7: the FINGERPRINT value over `prefix` (the message up to, not
// including, the FINGERPRINT attribute) with the header length field replaced
// by `length_field` (the length once FINGERPRINT is appended). `prefix` must
// hold at least the 20-byte header.
std::uint32_t compute_fingerprint(std::span<const std::uint8_t> prefix, std::uint16_t length_field);

// RFC 8489 §7, §14.7: checks the FINGERPRINT that counts. MissingFingerprint if
// there is none, BadAttributeValue if it is not 4 bytes, FingerprintMismatch
// if wrong.
std::expected<void, Error> verify_fingerprint(const Message& message);

}  // namespace parley::stun
