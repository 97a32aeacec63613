#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace parley::stun {

// RFC 8489 §5: 96 bits that pair a response with its request and, for
// XOR-MAPPED-ADDRESS over IPv6, key the XOR.
struct TransactionId {
  static constexpr std::size_t kSize = 12;

  std::array<std::uint8_t, kSize> bytes{};

  // RFC 8489 §5: "uniformly and randomly chosen from the interval 0 .. 2**96-1,
  // and MUST be cryptographically random". Draws from OpenSSL's CSPRNG; throws
  // std::runtime_error only if that fails, which means a broken system.
  static TransactionId random();

  static TransactionId from(std::span<const std::uint8_t, kSize> bytes);

  std::string to_hex() const;

  friend auto operator<=>(const TransactionId&, const TransactionId&) = default;
};

}  // namespace parley::stun

// Transaction tables in ICE and TURN key on the id.
template <>
struct std::hash<parley::stun::TransactionId> {
  std::size_t operator()(const parley::stun::TransactionId& id) const noexcept;
};
