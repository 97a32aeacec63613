#include "stun/address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <ostream>

#include "stun/constants.hpp"
#include "stun/detail/bytes.hpp"

namespace parley::stun {
namespace {

constexpr std::size_t kAddressHeaderSize = 4;  // reserved, family, port

std::size_t ip_size(AddressFamily family) { return family == AddressFamily::IPv6 ? 16 : 4; }

// RFC 8489 §14.2: the XOR key is the magic cookie followed by the transaction
// id; IPv4 uses its first 4 bytes, IPv6 all 16, the port its first 2.
std::array<std::uint8_t, 16> xor_key(const TransactionId& id) {
  std::array<std::uint8_t, 16> key{};
  detail::store_u32(key, 0, kMagicCookie);
  std::ranges::copy(id.bytes, key.begin() + 4);
  return key;
}

SocketAddress apply_xor(SocketAddress address, const TransactionId& id) {
  const auto key = xor_key(id);
  address.port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  for (std::size_t i = 0; i < ip_size(address.family); ++i) {
    address.ip[i] ^= key[i];
  }
  return address;
}

}  // namespace

SocketAddress SocketAddress::v4(const std::array<std::uint8_t, 4>& ip, std::uint16_t port) {
  SocketAddress a{.family = AddressFamily::IPv4, .ip = {}, .port = port};
  std::ranges::copy(ip, a.ip.begin());
  return a;
}

SocketAddress SocketAddress::v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) {
  return {.family = AddressFamily::IPv6, .ip = ip, .port = port};
}

std::optional<SocketAddress> SocketAddress::from_string(std::string_view ip, std::uint16_t port) {
  // inet_pton needs a terminated string; no textual address is this long.
  char text[INET6_ADDRSTRLEN + 1] = {};
  if (ip.size() >= sizeof text) return std::nullopt;
  std::ranges::copy(ip, text);
  SocketAddress a{.family = AddressFamily::IPv4, .ip = {}, .port = port};
  if (inet_pton(AF_INET, text, a.ip.data()) == 1) return a;
  a.family = AddressFamily::IPv6;
  if (inet_pton(AF_INET6, text, a.ip.data()) == 1) return a;
  return std::nullopt;
}

std::span<const std::uint8_t> SocketAddress::ip_bytes() const {
  return std::span(ip).first(ip_size(family));
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  const bool v6 = family == AddressFamily::IPv6;
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), text, sizeof text) == nullptr) {
    return "<invalid>";
  }
  std::string out;
  if (v6) out += '[';
  out += text;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  return a.family == b.family && a.port == b.port && std::ranges::equal(a.ip_bytes(), b.ip_bytes());
}

std::ostream& operator<<(std::ostream& out, const SocketAddress& address) {
  return out << address.to_string();
}

std::expected<std::size_t, Error> address_value_size(AddressFamily family) {
  switch (family) {
    case AddressFamily::IPv4: return kAddressHeaderSize + 4;
    case AddressFamily::IPv6: return kAddressHeaderSize + 16;
  }
  return std::unexpected(Error::UnsupportedAddressFamily);
}

std::expected<SocketAddress, Error> decode_address(std::span<const std::uint8_t> value) {
  if (value.size() < kAddressHeaderSize) return std::unexpected(Error::BadAttributeValue);
  // value[0] is reserved: "MUST be ignored by receivers" (RFC 8489 §14.1).
  const auto family = static_cast<AddressFamily>(value[1]);
  const auto size = address_value_size(family);
  if (!size) return std::unexpected(size.error());
  if (value.size() != *size) return std::unexpected(Error::BadAttributeValue);

  SocketAddress a{.family = family, .ip = {}, .port = detail::load_u16(value, 2)};
  std::ranges::copy(value.subspan(kAddressHeaderSize), a.ip.begin());
  return a;
}

std::expected<SocketAddress, Error> decode_xor_address(std::span<const std::uint8_t> value,
                                                       const TransactionId& id) {
  auto address = decode_address(value);
  if (!address) return address;
  return apply_xor(*address, id);
}

void encode_address(std::span<std::uint8_t> out, const SocketAddress& address) {
  out[0] = 0;
  out[1] = static_cast<std::uint8_t>(address.family);
  detail::store_u16(out, 2, address.port);
  std::ranges::copy(address.ip_bytes(), out.begin() + kAddressHeaderSize);
}

void encode_xor_address(std::span<std::uint8_t> out, const SocketAddress& address,
                        const TransactionId& id) {
  encode_address(out, apply_xor(address, id));
}

}  // namespace parley::stun
