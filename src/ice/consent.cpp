#include "ice/consent.hpp"

namespace parley::ice {

std::string_view to_string(ConsentState state) {
  switch (state) {
    case ConsentState::Fresh: return "fresh";
    case ConsentState::Stale: return "stale";
    case ConsentState::Expired: return "expired";
  }
  return "unknown";
}

ConsentState ConsentTracker::evaluate(TimePoint now) const {
  // A clock that went backwards (it cannot with steady_clock, but a test or a
  // caller's clock might) counts as no time elapsed.
  const Duration silence = now > last_valid_check_ ? now - last_valid_check_ : Duration::zero();
  if (silence >= config_.failed_after) return ConsentState::Expired;
  if (silence >= config_.disconnected_after) return ConsentState::Stale;
  return ConsentState::Fresh;
}

}  // namespace parley::ice
