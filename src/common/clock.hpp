#pragma once
#include <chrono>
#include <cstdint>

namespace parley {

// Wall-clock Unix seconds: what goes into records, tokens and credentials.
inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic time for timers and latency measurement.
using SteadyClock = std::chrono::steady_clock;

}  // namespace parley
