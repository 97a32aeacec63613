#pragma once

// Quotas and rate limits: allocations per user and in all (486, RFC 8656
// §7.2), per-allocation bandwidth (token bucket) and the rate of 401
// answers per source address.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/ip.hpp"
#include "turn/turn_config.hpp"

namespace parley::turn {

// Shared by every worker (a user's allocations may sit on several).
class AllocationQuota {
 public:
  enum class Verdict { Ok, UserQuota, TotalQuota };

  AllocationQuota(std::uint32_t per_user, std::uint32_t total)
      : per_user_(per_user), total_limit_(total) {}

  Verdict acquire(const std::string& principal);
  void release(const std::string& principal);
  std::uint32_t total() const;
  std::uint32_t of(const std::string& principal) const;

 private:
  mutable std::mutex mutex_;
  std::uint32_t per_user_, total_limit_, total_ = 0;
  std::unordered_map<std::string, std::uint32_t> by_user_;
};

// Classic token bucket; rate 0 means unlimited. Not thread-safe (one worker).
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, TimePoint now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}
  bool take(double amount, TimePoint now);

 private:
  double rate_, burst_, tokens_;
  TimePoint last_;
};

// One bucket per source IP, for unauthenticated answers (401): a flood of
// unauthenticated requests from one address cannot make us a reflector.
// Bounded: past max_sources, idle entries are dropped, then all.
class SourceRateLimiter {
 public:
  SourceRateLimiter(double rate, double burst, std::size_t max_sources = 65536)
      : rate_(rate), burst_(burst), max_(max_sources) {}
  bool allow(const net::IpAddress& ip, TimePoint now);
  std::size_t size() const { return buckets_.size(); }

 private:
  struct Key {
    std::array<std::uint8_t, 16> bytes;
    bool v4;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  double rate_, burst_;
  std::size_t max_;
  std::unordered_map<Key, TokenBucket, KeyHash> buckets_;
};

}  // namespace parley::turn
