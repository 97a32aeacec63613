#include "sfu/keyframe_throttle.hpp"

#include <gtest/gtest.h>

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::seconds(1000)};

TEST(KeyframeThrottle, CoalescesRequestsWithinTheInterval) {
  KeyframeThrottle throttle;  // 500 ms
  EXPECT_TRUE(throttle.should_request(t0));
  // Twenty subscribers asking over the next 499 ms: no new request.
  for (int i = 1; i <= 20; ++i) EXPECT_FALSE(throttle.should_request(t0 + i * 24ms + 19ms)) << i;
  EXPECT_TRUE(throttle.should_request(t0 + 500ms));
  EXPECT_FALSE(throttle.should_request(t0 + 999ms));
  EXPECT_TRUE(throttle.should_request(t0 + 1000ms));
}

TEST(KeyframeThrottle, IntervalCountsFromTheLastRequestSent) {
  KeyframeThrottle throttle(200ms);
  EXPECT_TRUE(throttle.should_request(t0));
  EXPECT_TRUE(throttle.should_request(t0 + 5s));  // long quiet: immediately
  EXPECT_FALSE(throttle.should_request(t0 + 5s + 199ms));
  EXPECT_TRUE(throttle.should_request(t0 + 5s + 200ms));
}

TEST(KeyframeThrottle, IntervalIsConfigurable) {
  KeyframeThrottle throttle(1s);
  EXPECT_TRUE(throttle.should_request(t0));
  EXPECT_FALSE(throttle.should_request(t0 + 900ms));
  throttle.set_min_interval(300ms);
  EXPECT_TRUE(throttle.should_request(t0 + 900ms));
}

}  // namespace
}  // namespace parley::sfu
