#pragma once

// IP addresses and CIDR ranges as plain bytes, for policy checks that must be
// exact (no string compares, correct for prefixes that are not a multiple of
// 8 bits).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace parley::net {

struct IpAddress {
  bool v4 = true;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes

  static IpAddress from_v4(std::span<const std::uint8_t, 4> b);
  static IpAddress from_v6(std::span<const std::uint8_t, 16> b);
  // "192.0.2.1", "2001:db8::1", "[2001:db8::1]"; nothing for anything else.
  static std::optional<IpAddress> parse(std::string_view text);

  std::size_t size() const { return v4 ? 4 : 16; }
  std::span<const std::uint8_t> view() const { return std::span(bytes).first(size()); }
  std::string to_string() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    if (a.v4 != b.v4) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a.bytes[i] != b.bytes[i]) return false;
    return true;
  }
};

// The IPv4 address an IPv6 form carries, when it is one of the forms that
// reach an IPv4 host: IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d
// (RFC 4291 §2.5.5; not :: or ::1), NAT64 64:ff9b::/96 (RFC 6052) and 6to4
// 2002:aabb:ccdd::/16 (RFC 3056). Anything else comes back unchanged.
IpAddress canonicalize(const IpAddress& ip);

// An address range "a.b.c.d/n" or "x::/n"; a bare address is a /32 or /128.
struct Cidr {
  IpAddress base;  // host bits cleared
  unsigned prefix = 0;

  static std::optional<Cidr> parse(std::string_view text);
  // Same family and the first `prefix` bits equal, whole bytes then the
  // leading bits of the partial byte.
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;
};

// Splits "HOST:PORT" / "[v6]:PORT"; the port must be 0-65535.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text);

}  // namespace parley::net
