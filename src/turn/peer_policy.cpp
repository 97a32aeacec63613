#include "turn/peer_policy.hpp"

#include <array>
#include <string_view>

namespace parley::turn {

namespace {

std::vector<net::Cidr> parse_all(std::initializer_list<std::string_view> texts) {
  std::vector<net::Cidr> out;
  for (auto t : texts) out.push_back(*net::Cidr::parse(t));
  return out;
}

// IANA special-purpose registries (RFC 6890 and updates).
const std::vector<net::Cidr>& denied_v4() {
  static const auto table = parse_all({
      "0.0.0.0/8",        // "this network", incl. unspecified (RFC 791)
      "10.0.0.0/8",       // private (RFC 1918)
      "100.64.0.0/10",    // shared address space, CGNAT (RFC 6598)
      "127.0.0.0/8",      // loopback
      "169.254.0.0/16",   // link-local, incl. cloud metadata 169.254.169.254 (RFC 3927)
      "172.16.0.0/12",    // private (RFC 1918)
      "192.0.0.0/24",     // IETF protocol assignments (RFC 6890)
      "192.0.2.0/24",     // TEST-NET-1 (RFC 5737)
      "192.88.99.0/24",   // 6to4 relay anycast (RFC 7526)
      "192.168.0.0/16",   // private (RFC 1918)
      "198.18.0.0/15",    // benchmarking (RFC 2544)
      "198.51.100.0/24",  // TEST-NET-2 (RFC 5737)
      "203.0.113.0/24",   // TEST-NET-3 (RFC 5737)
      "224.0.0.0/4",      // multicast
      "240.0.0.0/4",      // reserved, incl. 255.255.255.255 broadcast
  });
  return table;
}

const std::vector<net::Cidr>& denied_v6() {
  static const auto table = parse_all({
      "::/8",            // unspecified, loopback, IPv4-compatible/mapped left-overs
      "64:ff9b:1::/48",  // local-use NAT64 (RFC 8215)
      "100::/64",        // discard-only (RFC 6666)
      "2001::/23",       // IETF protocol assignments: Teredo, benchmarking, ORCHID
      "2001:db8::/32",   // documentation (RFC 3849)
      "3fff::/20",       // documentation (RFC 9637)
      "fc00::/7",        // unique local (RFC 4193)
      "fe80::/10",       // link-local
      "fec0::/10",       // site-local (deprecated)
      "ff00::/8",        // multicast
  });
  return table;
}

const net::Cidr& global_unicast_v6() {
  static const auto c = *net::Cidr::parse("2000::/3");
  return c;
}

bool matches(const std::vector<net::Cidr>& table, const net::IpAddress& ip) {
  for (const auto& c : table)
    if (c.contains(ip)) return true;
  return false;
}

}  // namespace

PeerPolicy::PeerPolicy(std::vector<net::Cidr> allow) : allow_(std::move(allow)) {}

void PeerPolicy::add_self(const net::IpAddress& ip, std::uint16_t port_min,
                          std::uint16_t port_max) {
  self_.push_back({net::canonicalize(ip), port_min, port_max});
}

bool PeerPolicy::denied_by_default(const net::IpAddress& ip) {
  if (ip.v4) return matches(denied_v4(), ip);
  // Only global unicast 2000::/3 is routable; then its special blocks.
  return !global_unicast_v6().contains(ip) || matches(denied_v6(), ip);
}

bool PeerPolicy::allowed(const net::IpAddress& ip) const {
  const auto canonical = net::canonicalize(ip);
  // The allow list sees the address as given and as canonicalized, so that
  // "127.0.0.0/8" also covers ::ffff:127.0.0.1.
  if (matches(allow_, canonical) || matches(allow_, ip)) return true;
  // An IPv6 form that embeds an IPv4 address is judged on both: the embedded
  // IPv4 (where the packet may end up) and the IPv6 address itself.
  if (denied_by_default(canonical)) return false;
  if (!(canonical == ip) && denied_by_default(ip)) {
    // 6to4 and NAT64 prefixes are global unicast; mapped/compatible forms
    // are in ::/8, which would deny a public IPv4 reached through them.
    // Those forms reach exactly the embedded address, judged above.
    const bool in_zero_block = ip.bytes[0] == 0 && !ip.v4;
    if (!in_zero_block) return false;
  }
  return true;
}

bool PeerPolicy::is_self(const net::IpAddress& ip, std::uint16_t port) const {
  const auto canonical = net::canonicalize(ip);
  for (const auto& s : self_)
    if (s.ip == canonical && port >= s.min && port <= s.max) return true;
  return false;
}

}  // namespace parley::turn
