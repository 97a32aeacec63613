#pragma once

// Consent freshness (RFC 7675) for one candidate pair, on an injected clock.
//
// The peer (a browser, the controlling full agent) sends a consent check
// about every 5 s (RFC 7675 §5.1); a lite agent sends none, so "we received
// an authenticated Binding request on this pair and answered it" is our
// evidence that the peer still wants our packets. No such check for 30 s
// means consent is lost (RFC 7675 §5.1) and the transport must stop sending.
// Before that we report the pair as stale (ICE "disconnected") after a
// shorter silence, so that upper layers can react early.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace parley::ice {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

struct ConsentConfig {
  // Two missed checks at the browsers' ~5 s interval.
  Duration disconnected_after = std::chrono::seconds(10);
  // RFC 7675 §5.1: consent expires 30 s after the last check that succeeded.
  Duration failed_after = std::chrono::seconds(30);
};

enum class ConsentState : std::uint8_t {
  Fresh,    // a valid check within disconnected_after
  Stale,    // none for disconnected_after: "disconnected"
  Expired,  // none for failed_after: consent lost, "failed"
};

std::string_view to_string(ConsentState state);

class ConsentTracker {
 public:
  // `start` counts as the last valid check: the pair was just validated.
  explicit ConsentTracker(TimePoint start, ConsentConfig config = {})
      : config_(config), last_valid_check_(start) {}

  // RFC 7675 §5.1: an authenticated check answered on this pair.
  void refresh(TimePoint now) {
    if (now > last_valid_check_) last_valid_check_ = now;
  }

  ConsentState evaluate(TimePoint now) const;

  TimePoint last_valid_check() const { return last_valid_check_; }
  const ConsentConfig& config() const { return config_; }

 private:
  ConsentConfig config_;
  TimePoint last_valid_check_;
};

}  // namespace parley::ice
