#pragma once

// RFC 8656 §9: an allocation's permissions, one per peer IP address (the
// port does not matter), each with its own 300 s timer refreshed by
// CreatePermission or ChannelBind. Time is passed in, so tests drive it.

#include <cstddef>
#include <span>
#include <vector>

#include "net/ip.hpp"
#include "turn/turn_config.hpp"

namespace parley::turn {

class Permissions {
 public:
  explicit Permissions(std::size_t max_entries) : max_(max_entries) {}

  // Whether installing all of `ips` stays within the limit (508 otherwise).
  bool fits(std::span<const net::IpAddress> ips, TimePoint now) const;
  // Installs or refreshes; false (nothing done) if a new entry would exceed
  // the limit.
  bool install(const net::IpAddress& ip, TimePoint expires, TimePoint now);
  bool allowed(const net::IpAddress& ip, TimePoint now) const;
  // RFC 8656 §9: a permission that is not refreshed goes away.
  void expire(TimePoint now);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    net::IpAddress ip;
    TimePoint expires;
  };
  const Entry* find(const net::IpAddress& ip) const;
  std::size_t max_;
  std::vector<Entry> entries_;
};

}  // namespace parley::turn
