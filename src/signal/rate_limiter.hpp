#pragma once
#include <algorithm>
#include <chrono>

namespace parley::signal {

// A token bucket: `rate` messages per second on average, `burst` at once.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  bool allow(Clock::time_point now = Clock::now()) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }
  double burst() const { return burst_; }

 private:
  double rate_, burst_, tokens_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace parley::signal
