#include "sfu/keyframe_throttle.hpp"

namespace parley::sfu {

bool KeyframeThrottle::should_request(TimePoint now) {
  if (last_ && now - *last_ < min_interval_) return false;
  last_ = now;
  return true;
}

}  // namespace parley::sfu
