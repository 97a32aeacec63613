#include "turn/relay_ports.hpp"

#include <openssl/rand.h>

namespace parley::turn {

namespace {
std::uint64_t random_u64() {
  std::uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) v = std::random_device{}();
  return v;
}
}  // namespace

RelayPortPool::RelayPortPool(std::uint16_t min, std::uint16_t max)
    : min_(min), max_(max < min ? min : max), used_(static_cast<std::size_t>(max_ - min_) + 1),
      rng_(random_u64()) {}

bool RelayPortPool::is_free(std::uint32_t port) const {
  return port >= min_ && port <= max_ && !used_[port - min_];
}

void RelayPortPool::free_expired(TimePoint now) {
  std::erase_if(reservations_, [&](auto& kv) {
    if (kv.second.expires > now) return false;
    used_[kv.second.port - min_] = false;
    --count_;
    return true;
  });
}

std::optional<RelayPortPool::Grant> RelayPortPool::acquire(bool even, bool reserve_next,
                                                           TimePoint now) {
  std::lock_guard lock(mutex_);
  free_expired(now);
  const std::uint32_t span = static_cast<std::uint32_t>(used_.size());
  const std::uint32_t start = static_cast<std::uint32_t>(rng_() % span);
  // RFC 8656 §7.2: a random start, then the first port that fits.
  for (std::uint32_t i = 0; i < span; ++i) {
    const std::uint32_t port = min_ + (start + i) % span;
    if (!is_free(port)) continue;
    if (even && port % 2 != 0) continue;
    if (reserve_next && !is_free(port + 1)) continue;
    Grant g;
    g.port = static_cast<std::uint16_t>(port);
    used_[port - min_] = true;
    ++count_;
    if (reserve_next) {
      used_[port + 1 - min_] = true;
      ++count_;
      std::uint64_t token;
      do token = random_u64(); while (reservations_.contains(token));
      reservations_[token] = {static_cast<std::uint16_t>(port + 1), now + kReservationLifetime};
      g.token = token;
    }
    return g;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> RelayPortPool::redeem(std::uint64_t token, TimePoint now) {
  std::lock_guard lock(mutex_);
  free_expired(now);
  const auto it = reservations_.find(token);
  if (it == reservations_.end()) return std::nullopt;
  const auto port = it->second.port;
  reservations_.erase(it);  // still marked used: the caller owns it now
  return port;
}

void RelayPortPool::release(std::uint16_t port) {
  std::lock_guard lock(mutex_);
  if (port < min_ || port > max_ || !used_[port - min_]) return;
  used_[port - min_] = false;
  --count_;
}

void RelayPortPool::expire(TimePoint now) {
  std::lock_guard lock(mutex_);
  free_expired(now);
}

std::size_t RelayPortPool::in_use() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace parley::turn
