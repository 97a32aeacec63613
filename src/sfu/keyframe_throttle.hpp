#pragma once

// Keyframe requests upstream (PLI, RFC 4585 §6.3.1; FIR, RFC 5104 §4.3.1)
// are expensive: a keyframe is several times the size of a delta frame and
// costs the publisher's uplink and every subscriber's downlink. In a room
// many subscribers want one at once (a layer switch, a join, loss), and one
// keyframe serves them all, so requests for one publisher stream are
// coalesced: at most one per interval (RFC 5104 §4.3.1.2 asks FIR senders
// not to repeat a request before the previous one could be answered).
// Subscribers still waiting after the interval (the keyframe was lost, or
// came before they asked) simply ask again and get the next request through.

#include <chrono>
#include <optional>

namespace parley::sfu {

using TimePoint = std::chrono::steady_clock::time_point;

class KeyframeThrottle {
 public:
  explicit KeyframeThrottle(
      std::chrono::microseconds min_interval = std::chrono::milliseconds(500))
      : min_interval_(min_interval) {}

  // True if a request should go to the publisher now (and it is counted as
  // sent at `now`); false if one went out less than min_interval ago.
  bool should_request(TimePoint now);

  std::chrono::microseconds min_interval() const { return min_interval_; }
  void set_min_interval(std::chrono::microseconds interval) { min_interval_ = interval; }

 private:
  std::chrono::microseconds min_interval_;
  std::optional<TimePoint> last_;
};

}  // namespace parley::sfu
