#include "ice/consent.hpp"

#include <gtest/gtest.h>

namespace parley::ice {
namespace {

using namespace std::chrono_literals;

TEST(ConsentTrackerTest, FreshThenStaleThenExpiredOnTheInjectedClock) {
  const TimePoint t0 = TimePoint{} + 1h;
  ConsentTracker consent(t0);
  EXPECT_EQ(consent.evaluate(t0), ConsentState::Fresh);
  EXPECT_EQ(consent.evaluate(t0 + 9999ms), ConsentState::Fresh);
  EXPECT_EQ(consent.evaluate(t0 + 10s), ConsentState::Stale);
  EXPECT_EQ(consent.evaluate(t0 + 29999ms), ConsentState::Stale);
  EXPECT_EQ(consent.evaluate(t0 + 30s), ConsentState::Expired);  // RFC 7675 §5.1
}

TEST(ConsentTrackerTest, RefreshRestartsTheCountdown) {
  const TimePoint t0 = TimePoint{} + 1h;
  ConsentTracker consent(t0);
  consent.refresh(t0 + 25s);
  EXPECT_EQ(consent.evaluate(t0 + 50s), ConsentState::Stale);
  EXPECT_EQ(consent.evaluate(t0 + 55s), ConsentState::Expired);
  EXPECT_EQ(consent.last_valid_check(), t0 + 25s);
}

TEST(ConsentTrackerTest, OlderRefreshAndBackwardClockAreHarmless) {
  const TimePoint t0 = TimePoint{} + 1h;
  ConsentTracker consent(t0 + 10s);
  consent.refresh(t0);  // out of order: ignored
  EXPECT_EQ(consent.last_valid_check(), t0 + 10s);
  EXPECT_EQ(consent.evaluate(t0), ConsentState::Fresh);
}

TEST(ConsentTrackerTest, CustomThresholds) {
  const TimePoint t0 = TimePoint{} + 1h;
  ConsentTracker consent(t0, ConsentConfig{.disconnected_after = 2s, .failed_after = 5s});
  EXPECT_EQ(consent.evaluate(t0 + 2s), ConsentState::Stale);
  EXPECT_EQ(consent.evaluate(t0 + 5s), ConsentState::Expired);
  EXPECT_EQ(to_string(ConsentState::Expired), "expired");
}

}  // namespace
}  // namespace parley::ice
