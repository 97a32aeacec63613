#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stun/error.hpp"
#include "stun/transaction_id.hpp"

namespace parley::stun {

// RFC 8489 §14.1: the family byte of the address attributes. RFC 8656 reuses
// the same values for REQUESTED-ADDRESS-FAMILY and friends, so a value outside
// the two below can occur in a decoded attribute and is left for the caller to
// refuse (440 Address Family not Supported, RFC 8656 §7.2).
enum class AddressFamily : std::uint8_t {
  IPv4 = 0x01,
  IPv6 = 0x02,
};

// A transport address without any socket library behind it, so the codec
// stays free of asio; stun/asio_endpoint.hpp converts to and from asio
// endpoints. The IP is in network byte order; IPv4 uses the first 4 bytes.
struct SocketAddress {
  AddressFamily family = AddressFamily::IPv4;
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;

  static SocketAddress v4(const std::array<std::uint8_t, 4>& ip, std::uint16_t port);
  static SocketAddress v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port);

  // "192.0.2.1" or "2001:db8::1" (no brackets), via inet_pton.
  static std::optional<SocketAddress> from_string(std::string_view ip, std::uint16_t port);

  // The 4 or 16 meaningful bytes of `ip`.
  std::span<const std::uint8_t> ip_bytes() const;

  // "192.0.2.1:32853" or "[2001:db8::1]:32853".
  std::string to_string() const;

  // Compares only the bytes the family uses, so stray bytes past an IPv4
  // address do not make two equal addresses differ.
  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
};

std::ostream& operator<<(std::ostream& out, const SocketAddress& address);

// Value size of an address attribute: 8 for IPv4, 20 for IPv6 (RFC 8489 §14.1).
std::expected<std::size_t, Error> address_value_size(AddressFamily family);

// RFC 8489 §14.1 (MAPPED-ADDRESS, ALTERNATE-SERVER): reserved byte, family,
// port, address. The reserved byte is ignored as the RFC asks.
std::expected<SocketAddress, Error> decode_address(std::span<const std::uint8_t> value);

// RFC 8489 §14.2 (XOR-MAPPED-ADDRESS, and XOR-PEER-ADDRESS and
// XOR-RELAYED-ADDRESS of RFC 8656 §18.3/§18.5): as above with the port XOR-ed
// with the top half of the magic cookie and the address XOR-ed with the
// cookie (IPv4) or cookie || transaction id (IPv6).
std::expected<SocketAddress, Error> decode_xor_address(std::span<const std::uint8_t> value,
                                                       const TransactionId& id);

// Writers for the two encodings. `out` must be exactly address_value_size().
void encode_address(std::span<std::uint8_t> out, const SocketAddress& address);
void encode_xor_address(std::span<std::uint8_t> out, const SocketAddress& address,
                        const TransactionId& id);

}  // namespace parley::stun
