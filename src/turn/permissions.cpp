#include "turn/permissions.hpp"

#include <algorithm>

namespace parley::turn {

const Permissions::Entry* Permissions::find(const net::IpAddress& ip) const {
  for (const auto& e : entries_)
    if (e.ip == ip) return &e;
  return nullptr;
}

bool Permissions::fits(std::span<const net::IpAddress> ips, TimePoint now) const {
  std::size_t live = 0;
  for (const auto& e : entries_)
    if (e.expires > now) ++live;
  std::vector<net::IpAddress> fresh;
  for (const auto& ip : ips) {
    const auto* e = find(ip);
    if (e && e->expires > now) continue;
    if (std::ranges::find(fresh, ip) == fresh.end()) fresh.push_back(ip);
  }
  return live + fresh.size() <= max_;
}

bool Permissions::install(const net::IpAddress& ip, TimePoint expires, TimePoint now) {
  for (auto& e : entries_) {
    if (e.ip == ip) {
      e.expires = std::max(e.expires, expires);
      if (e.expires <= now) e.expires = expires;
      return true;
    }
  }
  expire(now);
  if (entries_.size() >= max_) return false;
  entries_.push_back({ip, expires});
  return true;
}

bool Permissions::allowed(const net::IpAddress& ip, TimePoint now) const {
  const auto* e = find(ip);
  return e && e->expires > now;
}

void Permissions::expire(TimePoint now) {
  std::erase_if(entries_, [&](const Entry& e) { return e.expires <= now; });
}

}  // namespace parley::turn
