#include "sfu/probe_cluster.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;
const std::chrono::steady_clock::time_point t0{std::chrono::seconds(1000)};

TEST(ProbeCluster, SizedForItsRateAndDuration) {
  // 4 Mbit/s for 15 ms is 7,500 bytes: 25 packets of 300.
  const auto c = make_probe_cluster(7, 4'000'000, 15ms, 300);
  EXPECT_EQ(c.id, 7u);
  EXPECT_EQ(c.packets, 25u);
  EXPECT_EQ(c.bytes, 7'500u);
  // A tiny probe still has five packets.
  EXPECT_EQ(make_probe_cluster(1, 100'000, 15ms, 300).packets, 5u);
}

// Feeds `n` packets of `size` bytes sent every `send_gap_us` and arriving
// every `arrival_gap_us`; returns the first result.
std::optional<std::uint64_t> measure(ProbeEstimator& e, std::uint32_t id, std::size_t n, std::size_t size,
                                     std::int64_t send_gap_us, std::int64_t arrival_gap_us) {
  std::optional<std::uint64_t> result;
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::int64_t>(i);
    auto r = e.on_received(id, 1'000'000 + k * send_gap_us, 9'000'000 + k * arrival_gap_us, size);
    if (r && !result) result = r;
  }
  return result;
}

TEST(ProbeEstimator, UnsaturatedPathGivesTheSendRate) {
  ProbeEstimator e;
  e.start(make_probe_cluster(1, 4'000'000, 15ms, 300));
  // 300 bytes every 600 µs is 4 Mbit/s, and it arrives as sent.
  const auto r = measure(e, 1, 25, 300, 600, 600);
  ASSERT_TRUE(r);
  EXPECT_NEAR(static_cast<double>(*r), 4e6, 0.1e6);
}

TEST(ProbeEstimator, SaturatedPathGivesMostOfTheArrivalRate) {
  ProbeEstimator e;
  e.start(make_probe_cluster(1, 4'000'000, 15ms, 300));
  // Sent at 4 Mbit/s, spread out by a 2 Mbit/s bottleneck.
  const auto r = measure(e, 1, 25, 300, 600, 1200);
  ASSERT_TRUE(r);
  EXPECT_NEAR(static_cast<double>(*r), 0.95 * 2e6, 0.1e6);
}

TEST(ProbeEstimator, NeedsMostOfTheClusterAndOnlyItsOwnPackets) {
  ProbeEstimator e;
  e.start(make_probe_cluster(1, 4'000'000, 15ms, 300));
  EXPECT_FALSE(measure(e, 1, 19, 300, 600, 600)) << "19 of 25 is under 80 %";
  ProbeEstimator other;
  other.start(make_probe_cluster(2, 4'000'000, 15ms, 300));
  EXPECT_FALSE(measure(other, 1, 25, 300, 600, 600)) << "packets of another cluster";
  ProbeEstimator idle;
  EXPECT_FALSE(measure(idle, 1, 25, 300, 600, 600)) << "no cluster started";
}

TEST(ProbeEstimator, ArrivalsInOneInstantSayNothing) {
  // Feedback clocks tick in 250 µs: a burst that arrives "at once" has no
  // arrival interval, hence no rate.
  ProbeEstimator e;
  e.start(make_probe_cluster(1, 4'000'000, 15ms, 300));
  EXPECT_FALSE(measure(e, 1, 25, 300, 600, 0));
}

TEST(ProbeEstimator, ResultOncePerCluster) {
  ProbeEstimator e;
  e.start(make_probe_cluster(1, 4'000'000, 15ms, 300));
  ASSERT_TRUE(measure(e, 1, 25, 300, 600, 600));
  EXPECT_FALSE(e.on_received(1, 2'000'000, 10'000'000, 300));
}

TEST(ProbeController, ProbesOnlyWhenMoreIsWanted) {
  ProbeController c;
  EXPECT_FALSE(c.next(2'000'000, 1'500'000, t0)) << "everything fits";
  EXPECT_FALSE(c.next(2'000'000, 2'000'000, t0));
  // Wanted 3 Mbit/s: asks for 1.2 × that, which is under 2 × the estimate.
  EXPECT_EQ(c.next(2'000'000, 3'000'000, t0), 3'600'000u);
}

TEST(ProbeController, StepsAtMostDoubleTheEstimate) {
  ProbeController c;
  EXPECT_EQ(c.next(1'000'000, 10'000'000, t0), 2'000'000u);
}

TEST(ProbeController, OneAtATimeThenAtOnceAfterSuccess) {
  ProbeController c;
  ASSERT_EQ(c.next(1'000'000, 10'000'000, t0), 2'000'000u);
  EXPECT_FALSE(c.next(1'000'000, 10'000'000, t0 + 100ms)) << "the first is under way";
  c.on_result(1'900'000, t0 + 200ms);  // reached: the link has room
  EXPECT_EQ(c.next(1'900'000, 10'000'000, t0 + 300ms), 3'800'000u);
}

TEST(ProbeController, WaitsAfterAProbeFallsShort) {
  ProbeController c;
  ASSERT_TRUE(c.next(1'000'000, 10'000'000, t0));
  c.on_result(1'100'000, t0 + 200ms);  // 55 % of 2 Mbit/s: the link is full
  EXPECT_FALSE(c.next(1'100'000, 10'000'000, t0 + 1s));
  EXPECT_FALSE(c.next(1'100'000, 10'000'000, t0 + 5s));
  EXPECT_TRUE(c.next(1'100'000, 10'000'000, t0 + 5200ms));
}

TEST(ProbeController, AProbeWithoutFeedbackCountsAsFailed) {
  ProbeController c;
  ASSERT_TRUE(c.next(1'000'000, 10'000'000, t0));
  EXPECT_FALSE(c.next(1'000'000, 10'000'000, t0 + 999ms));
  EXPECT_FALSE(c.next(1'000'000, 10'000'000, t0 + 1s)) << "timed out, now waiting";
  EXPECT_TRUE(c.next(1'000'000, 10'000'000, t0 + 6s));
}

}  // namespace
}  // namespace parley::sfu
