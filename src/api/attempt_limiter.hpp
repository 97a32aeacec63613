#pragma once

// Counts failures (wrong meeting passwords) per key over a sliding window;
// a key with `max` failures inside the window is refused until the oldest
// one ages out. Lives on the HTTP loop; bounded in memory by evicting the
// key that failed longest ago.

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace parley::api {

class AttemptLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  AttemptLimiter(std::size_t max, std::chrono::seconds window, std::size_t max_keys = 10000)
      : max_(max), window_(window), max_keys_(max_keys) {}

  // How long `key` must wait before trying again; nullopt when it may try.
  std::optional<std::chrono::seconds> blocked(const std::string& key, Clock::time_point now) {
    auto it = failures_.find(key);
    if (it == failures_.end()) return std::nullopt;
    prune(it->second, now);
    if (it->second.empty()) {
      failures_.erase(it);
      return std::nullopt;
    }
    if (it->second.size() < max_) return std::nullopt;
    const auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.front() + window_ - now);
    return std::max(wait, std::chrono::seconds(1));
  }

  void failure(const std::string& key, Clock::time_point now) {
    if (failures_.size() >= max_keys_ && !failures_.contains(key)) evict_oldest();
    auto& times = failures_[key];
    prune(times, now);
    times.push_back(now);
  }

 private:
  void prune(std::deque<Clock::time_point>& times, Clock::time_point now) const {
    while (!times.empty() && times.front() + window_ <= now) times.pop_front();
  }
  void evict_oldest() {
    auto oldest = failures_.begin();
    for (auto it = failures_.begin(); it != failures_.end(); ++it)
      if (!it->second.empty() && (oldest->second.empty() || it->second.back() < oldest->second.back())) oldest = it;
    failures_.erase(oldest);
  }

  std::size_t max_;
  std::chrono::seconds window_;
  std::size_t max_keys_;
  std::map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace parley::api
