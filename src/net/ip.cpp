#include "net/ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace parley::net {

IpAddress IpAddress::from_v4(std::span<const std::uint8_t, 4> b) {
  IpAddress ip;
  ip.v4 = true;
  std::ranges::copy(b, ip.bytes.begin());
  return ip;
}

IpAddress IpAddress::from_v6(std::span<const std::uint8_t, 16> b) {
  IpAddress ip;
  ip.v4 = false;
  std::ranges::copy(b, ip.bytes.begin());
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  char buf[INET6_ADDRSTRLEN + 1] = {};
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::ranges::copy(text, buf);
  IpAddress ip;
  if (::inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
    ip.v4 = true;
    return ip;
  }
  if (::inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    ip.v4 = false;
    return ip;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress canonicalize(const IpAddress& ip) {
  if (ip.v4) return ip;
  const auto& b = ip.bytes;
  const auto zero = [&](std::size_t from, std::size_t to) {
    return std::all_of(b.begin() + from, b.begin() + to, [](auto x) { return x == 0; });
  };
  const auto tail = [&](std::size_t at) {
    return IpAddress::from_v4(std::span<const std::uint8_t, 4>(b.data() + at, 4));
  };
  // RFC 4291 §2.5.5.2: ::ffff:a.b.c.d
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return tail(12);
  // RFC 4291 §2.5.5.1 (deprecated): ::a.b.c.d, but :: and ::1 are IPv6's own.
  if (zero(0, 12) && !(zero(12, 15) && b[15] <= 1)) return tail(12);
  // RFC 6052 §2.1: the NAT64 well-known prefix 64:ff9b::/96.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) return tail(12);
  // RFC 3056 §2: 2002:V4ADDR::/48.
  if (b[0] == 0x20 && b[1] == 0x02) return tail(2);
  return ip;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Cidr c{*ip, static_cast<unsigned>(ip->size() * 8)};
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        n > ip->size() * 8)
      return std::nullopt;
    c.prefix = n;
  }
  // Clear the host bits so that contains() and to_string() see the network.
  for (std::size_t i = 0; i < c.base.size(); ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= c.prefix)
      c.base.bytes[i] = 0;
    else if (c.prefix - bit < 8)
      c.base.bytes[i] &= static_cast<std::uint8_t>(0xFF << (8 - (c.prefix - bit)));
  }
  return c;
}

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.v4 != base.v4) return false;
  const unsigned whole = prefix / 8;
  const unsigned rest = prefix % 8;
  for (unsigned i = 0; i < whole; ++i)
    if (ip.bytes[i] != base.bytes[i]) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (ip.bytes[whole] & mask) == (base.bytes[whole] & mask);
}

std::string Cidr::to_string() const { return base.to_string() + "/" + std::to_string(prefix); }

std::optional<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  else if (hp.host.find(':') != std::string::npos)
    return std::nullopt;  // a bare IPv6 address needs brackets
  const auto digits = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port > 65535)
    return std::nullopt;
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

}  // namespace parley::net
