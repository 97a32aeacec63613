#include "turn/quota.hpp"

#include <algorithm>
#include <string_view>

namespace parley::turn {

AllocationQuota::Verdict AllocationQuota::acquire(const std::string& principal) {
  std::lock_guard lock(mutex_);
  if (total_ >= total_limit_) return Verdict::TotalQuota;
  auto& n = by_user_[principal];
  if (n >= per_user_) {
    if (n == 0) by_user_.erase(principal);
    return Verdict::UserQuota;
  }
  ++n;
  ++total_;
  return Verdict::Ok;
}

void AllocationQuota::release(const std::string& principal) {
  std::lock_guard lock(mutex_);
  const auto it = by_user_.find(principal);
  if (it == by_user_.end() || it->second == 0) return;
  if (--it->second == 0) by_user_.erase(it);
  if (total_ > 0) --total_;
}

std::uint32_t AllocationQuota::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::uint32_t AllocationQuota::of(const std::string& principal) const {
  std::lock_guard lock(mutex_);
  const auto it = by_user_.find(principal);
  return it == by_user_.end() ? 0 : it->second;
}

bool TokenBucket::take(double amount, TimePoint now) {
  if (rate_ <= 0) return true;
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  if (tokens_ < amount) return false;
  tokens_ -= amount;
  return true;
}

std::size_t SourceRateLimiter::KeyHash::operator()(const Key& k) const noexcept {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(k.bytes.data()), k.v4 ? 4 : 16));
}

bool SourceRateLimiter::allow(const net::IpAddress& ip, TimePoint now) {
  const Key key{ip.bytes, ip.v4};
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_) {
      // Drop the buckets that have refilled (they behave like new ones).
      std::erase_if(buckets_, [&](auto& kv) {
        TokenBucket probe = kv.second;
        return probe.take(burst_, now);
      });
      if (buckets_.size() >= max_) buckets_.clear();
    }
    it = buckets_.emplace(key, TokenBucket(rate_, burst_, now)).first;
  }
  return it->second.take(1, now);
}

}  // namespace parley::turn
