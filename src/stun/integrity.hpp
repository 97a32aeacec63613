#pragma once

// MESSAGE-INTEGRITY (HMAC-SHA1) and MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256):
// keys for both credential mechanisms, computation and verification.
//
// String preparation: RFC 8489 §9.1.1/§9.2.2 run passwords and realms
// through OpaqueString (RFC 8265; RFC 5389 used SASLprep) and strip quotes
// and trailing nulls. This codec does neither: every credential string is
// taken as raw UTF-8 bytes. That is exact for printable ASCII, which covers
// ICE ufrag/pwd (RFC 8445 §5.3) and the credentials Parley mints for TURN; a
// caller with arbitrary user input must prepare it first.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "stun/attributes.hpp"
#include "stun/error.hpp"
#include "stun/message.hpp"

namespace parley::stun {

inline constexpr std::size_t kMessageIntegritySize = 20;           // RFC 8489 §14.5
inline constexpr std::size_t kMessageIntegritySha256MinSize = 16;  // RFC 8489 §14.6
inline constexpr std::size_t kMessageIntegritySha256MaxSize = 32;  // RFC 8489 §14.6

// RFC 8489 §9.1.1: the short-term key is the password itself. The view
// aliases `password`.
std::span<const std::uint8_t> short_term_key(std::string_view password);

// A long-term key: 16 bytes (MD5) or 32 bytes (SHA-256).
struct LongTermKey {
  std::array<std::uint8_t, 32> bytes{};
  std::size_t size = 0;

  std::span<const std::uint8_t> view() const { return std::span(bytes).first(size); }
};

// RFC 8489 §9.2.2: key = H(username ":" realm ":" password), where H is the
// hash of the password algorithm in use: MD5 unless PASSWORD-ALGORITHM chose
// SHA-256 (§14.12). The same key then serves MESSAGE-INTEGRITY and
// MESSAGE-INTEGRITY-SHA256; pairing MD5 keys with MESSAGE-INTEGRITY and
// SHA-256 keys with MESSAGE-INTEGRITY-SHA256 is the usual choice, not a rule.
std::expected<LongTermKey, Error> long_term_key(
    std::string_view username, std::string_view realm, std::string_view password,
    PasswordAlgorithmId algorithm = PasswordAlgorithmId::Md5);

// RFC 8489 §14.4: USERHASH = SHA-256(username ":" realm).
std::expected<std::array<std::uint8_t, 32>, Error> compute_userhash(std::string_view username,
                                                                    std::string_view realm);

// RFC 8489 §14.5/§14.6: the HMAC over `prefix` (the message from its first
// byte up to, not including, the integrity attribute) with the header length
// field replaced by `length_field`: the length the message has once the
// integrity attribute is appended, whatever follows it. `prefix` must hold at
// least the 20-byte header.
std::expected<std::array<std::uint8_t, 20>, Error> compute_message_integrity(
    std::span<const std::uint8_t> prefix, std::uint16_t length_field,
    std::span<const std::uint8_t> key);
std::expected<std::array<std::uint8_t, 32>, Error> compute_message_integrity_sha256(
    std::span<const std::uint8_t> prefix, std::uint16_t length_field,
    std::span<const std::uint8_t> key);

// RFC 8489 §14.5: checks the MESSAGE-INTEGRITY that counts (see
// Message::attributes) in constant time. MissingIntegrity if there is none,
// BadAttributeValue if it is not 20 bytes, IntegrityMismatch if wrong.
std::expected<void, Error> verify_message_integrity(const Message& message,
                                                    std::span<const std::uint8_t> key);

// RFC 8489 §14.6: same for MESSAGE-INTEGRITY-SHA256, comparing as many bytes
// as the (possibly truncated, 16-32) attribute holds.
std::expected<void, Error> verify_message_integrity_sha256(const Message& message,
                                                           std::span<const std::uint8_t> key);

// RFC 8489 §9.1.3, §9.2.4: a receiver that knows both checks
// MESSAGE-INTEGRITY-SHA256 when present and MESSAGE-INTEGRITY otherwise.
std::expected<void, Error> verify_integrity(const Message& message,
                                            std::span<const std::uint8_t> key);

}  // namespace parley::stun
