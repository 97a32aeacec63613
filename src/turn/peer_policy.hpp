#pragma once

// Which peers a relay may talk to (RFC 8656 §21.2.3, §17 of its security
// considerations): deny by default everything that is not a routable public
// unicast address, after undoing the IPv6 forms that embed an IPv4 address,
// plus the server's own transport addresses; an operator may allow ranges.

#include <cstdint>
#include <vector>

#include "net/ip.hpp"

namespace parley::turn {

class PeerPolicy {
 public:
  explicit PeerPolicy(std::vector<net::Cidr> allow = {});

  // Marks ip:[port_min, port_max] as the server's own (listening sockets,
  // relay port range). Never a valid peer, whatever the allow list says.
  void add_self(const net::IpAddress& ip, std::uint16_t port_min, std::uint16_t port_max);

  // The CreatePermission/ChannelBind check (403 when false): the address,
  // canonicalized, is in an allowed range or in no denied range; and, when a
  // port is known, ip:port is not the server's own.
  bool allowed(const net::IpAddress& ip) const;
  bool allowed(const net::IpAddress& ip, std::uint16_t port) const {
    return allowed(ip) && !is_self(ip, port);
  }
  // Per packet (Send, ChannelData): permissions are per IP (RFC 8656 §9), so
  // the port is checked when data goes out.
  bool is_self(const net::IpAddress& ip, std::uint16_t port) const;

  // The built-in table alone: loopback, unspecified, link-local, private,
  // CGNAT, ULA, multicast, reserved, documentation, benchmarking, ...
  static bool denied_by_default(const net::IpAddress& canonical);

 private:
  struct SelfRange {
    net::IpAddress ip;
    std::uint16_t min, max;
  };
  std::vector<net::Cidr> allow_;
  std::vector<SelfRange> self_;
};

}  // namespace parley::turn
