#include "sfu/bandwidth_estimator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "rtp/rtcp_packet.hpp"
#include "rtp/transport_cc.hpp"

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::seconds(1000)};

// --- The delay-gradient detector alone ---------------------------------------

TEST(TrendlineDetector, SteadyDelayIsNormal) {
  TrendlineDetector d;
  for (int i = 0; i < 200; ++i) {
    // Groups every 10 ms, arrival jitter of ±1 ms that does not accumulate.
    const double jitter = (i % 2 == 0) ? 1.0 : -1.0;
    EXPECT_EQ(d.update(jitter, 10, 10.0 * i), BandwidthUsage::Normal) << i;
  }
}

TEST(TrendlineDetector, GrowingDelayIsOveruse) {
  TrendlineDetector d;
  BandwidthUsage state = BandwidthUsage::Normal;
  int groups = 0;
  // Each group arrives 1 ms later than it was sent relative to the last one:
  // a queue growing by 10 % of the send rate.
  while (state != BandwidthUsage::Overusing && groups < 200) {
    state = d.update(1.0, 10, 11.0 * groups);
    ++groups;
  }
  EXPECT_EQ(state, BandwidthUsage::Overusing);
  EXPECT_LT(groups, 60) << "detected within a fraction of a second";
}

TEST(TrendlineDetector, ShrinkingDelayIsUnderuse) {
  TrendlineDetector d;
  BandwidthUsage state = BandwidthUsage::Normal;
  for (int i = 0; i < 100 && state != BandwidthUsage::Underusing; ++i) {
    state = d.update(-1.0, 10, 9.0 * i);
  }
  EXPECT_EQ(state, BandwidthUsage::Underusing);
}

TEST(TrendlineDetector, ThresholdAdaptsUpwardsUnderPersistentModestTrend) {
  // §5.5: a trend just above γ (e.g. competing TCP keeping a queue) raises γ
  // so that the flow is not starved.
  TrendlineDetector d;
  const double initial = d.threshold_ms();
  // 0.6 ms per 10 ms group: slope 0.06, m = 60 × 0.06 × 4 = 14.4 > 12.5.
  for (int i = 0; i < 500; ++i) d.update(0.6, 10, 10.0 * i);
  EXPECT_GT(d.threshold_ms(), initial);
  EXPECT_NEAR(d.threshold_ms(), 14.4, 0.5);
  // And a calm link brings it back down towards the 6 ms floor.
  for (int i = 500; i < 2000; ++i) d.update(0.0, 10, 10.0 * i);
  EXPECT_LT(d.threshold_ms(), initial);
  EXPECT_GE(d.threshold_ms(), 6.0);
}

// --- A simulated path: bottleneck queue, propagation delay, loss ------------

struct Path {
  double capacity_bps = 100e6;
  double loss = 0;                        // fraction, deterministic pattern
  std::int64_t one_way_us = 20'000;
  std::int64_t receiver_clock_offset_us = 5'000'000;  // receiver's clock origin
};

class Simulation {
 public:
  Simulation(BandwidthEstimator& bwe, Path path) : bwe_(bwe), path_(path) {}

  // Sends 1200-byte packets paced at `rate()` bps for `duration`, with TWCC
  // feedback every 100 ms (reporting what arrived by then).
  void run(std::chrono::milliseconds duration, const std::function<double()>& rate) {
    const std::int64_t end = now_us_ + duration.count() * 1000;
    while (now_us_ < end) {
      const std::int64_t next_feedback = last_feedback_us_ + 100'000;
      if (next_send_us_ <= next_feedback) {
        now_us_ = next_send_us_;
        send(kPacketBytes);
        next_send_us_ += static_cast<std::int64_t>(kPacketBytes * 8 * 1e6 / std::max(rate(), 1e3));
      } else {
        now_us_ = next_feedback;
        feedback();
        last_feedback_us_ = next_feedback;
      }
    }
  }

  // A probe cluster: its packets evenly spread over `spread`, right now,
  // then the clock moves on to the end of the spread.
  void probe(const ProbeCluster& cluster, std::chrono::microseconds spread) {
    bwe_.start_probe(cluster);
    const std::int64_t start = now_us_;
    const std::size_t size = cluster.bytes / cluster.packets;
    for (std::size_t i = 0; i < cluster.packets; ++i) {
      now_us_ = start + spread.count() * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(cluster.packets);
      send(size, cluster.id);
    }
    now_us_ = start + spread.count();
    next_send_us_ = std::max(next_send_us_, now_us_);
  }

  TimePoint now() const { return t0 + std::chrono::microseconds(now_us_); }
  std::int64_t max_queue_delay_us() const { return max_queue_us_; }

 private:
  static constexpr std::size_t kPacketBytes = 1200;

  struct InFlight {
    std::uint16_t seq;
    std::int64_t arrival_us;  // -1: lost
  };

  void send(std::size_t bytes, std::uint32_t probe_cluster = 0) {
    bwe_.on_packet_sent(seq_, bytes, now(), probe_cluster);
    loss_acc_ += path_.loss;
    std::int64_t arrival = -1;
    if (loss_acc_ >= 1.0) {
      loss_acc_ -= 1.0;
    } else {
      const std::int64_t start = std::max(now_us_, queue_free_us_);
      queue_free_us_ = start + static_cast<std::int64_t>(bytes * 8 * 1e6 / path_.capacity_bps);
      max_queue_us_ = std::max(max_queue_us_, queue_free_us_ - now_us_);
      arrival = queue_free_us_ + path_.one_way_us;
    }
    pending_.push_back({seq_, arrival});
    ++seq_;
  }

  void feedback() {
    // A receiver reports up to the last packet that has arrived; losses
    // after it are not known yet.
    std::size_t n = 0;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].arrival_us > now_us_) break;
      if (pending_[i].arrival_us >= 0) n = i + 1;
    }
    if (n == 0) return;
    std::vector<std::int64_t> arrivals;
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = pending_[i].arrival_us;
      arrivals.push_back(a < 0 ? -1 : a + path_.receiver_clock_offset_us);
    }
    std::vector<rtp::TwccStatus> statuses(n);
    const auto reference = rtp::twcc_statuses_from_arrivals(arrivals, statuses);
    ASSERT_TRUE(reference) << reference.error();
    rtp::TransportFeedbackSpec spec;
    spec.sender_ssrc = 1;
    spec.media_ssrc = 2;
    spec.base_sequence = pending_[0].seq;
    spec.reference_time = *reference;
    spec.feedback_count = feedback_count_++;
    spec.packets = statuses;
    const auto size = rtp::transport_feedback_size(spec);
    ASSERT_TRUE(size);
    std::vector<std::uint8_t> bytes(*size);
    ASSERT_TRUE(rtp::write_transport_feedback(bytes, spec));
    const auto packet = rtp::RtcpPacket::parse(bytes);
    ASSERT_TRUE(packet);
    const auto fb = rtp::TransportFeedback::parse(*packet);
    ASSERT_TRUE(fb);
    // The feedback takes the return path.
    bwe_.on_transport_feedback(*fb, now() + std::chrono::microseconds(path_.one_way_us));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  BandwidthEstimator& bwe_;
  Path path_;
  std::int64_t now_us_ = 0;
  std::int64_t next_send_us_ = 0;
  std::int64_t last_feedback_us_ = 0;
  std::int64_t queue_free_us_ = 0;
  std::int64_t max_queue_us_ = 0;
  std::uint16_t seq_ = 65'000;  // wraps during long runs
  std::uint8_t feedback_count_ = 0;
  double loss_acc_ = 0;
  std::vector<InFlight> pending_;
};

BandwidthEstimator::Config config(std::uint64_t start) {
  BandwidthEstimator::Config c;
  c.start_bps = start;
  c.min_bps = 30'000;
  c.max_bps = 20'000'000;
  return c;
}

TEST(BandwidthEstimator, StartsAtTheConfiguredRate) {
  BandwidthEstimator bwe(config(700'000));
  EXPECT_EQ(bwe.estimate_bps(), 700'000u);
  EXPECT_FALSE(bwe.acknowledged_bps());
}

TEST(BandwidthEstimator, RisesWhileDelaysStayFlat) {
  BandwidthEstimator bwe(config(300'000));
  Simulation sim(bwe, Path{});
  sim.run(10s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  // ~8 %/s multiplicative for 10 s would be ×2.16.
  EXPECT_GT(bwe.estimate_bps(), 550'000u);
  EXPECT_EQ(bwe.delay_state(), BandwidthUsage::Normal);
}

TEST(BandwidthEstimator, AcknowledgedBitrateIsWhatArrives) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{});
  sim.run(3s, [] { return 800'000.0; });
  const auto acked = bwe.acknowledged_bps();
  ASSERT_TRUE(acked);
  EXPECT_NEAR(static_cast<double>(*acked), 800'000.0, 40'000.0);
}

TEST(BandwidthEstimator, DropsWhenAQueueBuilds) {
  // Sending 1.5 Mbit/s into a 1 Mbit/s bottleneck: delays grow by half the
  // send time, loss comes only much later (not simulated at all here).
  BandwidthEstimator bwe(config(1'500'000));
  Simulation sim(bwe, Path{.capacity_bps = 1'000'000});
  sim.run(2s, [] { return 1'500'000.0; });
  EXPECT_LT(bwe.estimate_bps(), 1'000'000u) << "below the bottleneck, not just below the start";
  EXPECT_GT(bwe.estimate_bps(), 500'000u) << "0.85 × what arrives, not a collapse";
}

TEST(BandwidthEstimator, SettlesNearTheBottleneckWhenTheSenderFollowsIt) {
  BandwidthEstimator bwe(config(2'000'000));
  Simulation sim(bwe, Path{.capacity_bps = 1'000'000});
  std::uint64_t lowest = bwe.estimate_bps(), highest_late = 0;
  for (int second = 0; second < 20; ++second) {
    sim.run(1s, [&] { return static_cast<double>(bwe.estimate_bps()); });
    lowest = std::min(lowest, bwe.estimate_bps());
    if (second >= 10) highest_late = std::max(highest_late, bwe.estimate_bps());
  }
  EXPECT_LT(lowest, 1'000'000u);
  EXPECT_GT(bwe.estimate_bps(), 500'000u);
  EXPECT_LT(highest_late, 1'300'000u) << "does not run away above the capacity";
}

TEST(BandwidthEstimator, HighLossDecreases) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{.loss = 0.2});
  sim.run(3s, [] { return 1'000'000.0; });
  EXPECT_NEAR(bwe.last_loss_fraction(), 0.2, 0.03);
  // (1 - 0.5 × 0.2) per 300 ms + RTT: about 0.9^6 after 3 s.
  EXPECT_LT(bwe.estimate_bps(), 700'000u);
  EXPECT_GT(bwe.estimate_bps(), 300'000u);
  EXPECT_LE(bwe.loss_based_bps(), bwe.delay_based_bps());
}

TEST(BandwidthEstimator, ModerateLossHolds) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{.loss = 0.05});
  sim.run(5s, [] { return 1'000'000.0; });
  EXPECT_GT(bwe.delay_based_bps(), 1'200'000u) << "the delay side sees no queue";
  EXPECT_EQ(bwe.estimate_bps(), 1'000'000u) << "2-10 % loss: neither up nor down";
}

TEST(BandwidthEstimator, LowLossLetsItRise) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{.loss = 0.01});
  sim.run(5s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  EXPECT_GT(bwe.estimate_bps(), 1'200'000u);
}

TEST(BandwidthEstimator, NeverBelowTheFloor) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{.loss = 0.5});
  sim.run(30s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  EXPECT_EQ(bwe.estimate_bps(), 30'000u);
}

TEST(BandwidthEstimator, NeverAboveTheMax) {
  auto c = config(1'000'000);
  c.max_bps = 1'100'000;
  BandwidthEstimator bwe(c);
  Simulation sim(bwe, Path{});
  sim.run(5s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  EXPECT_EQ(bwe.estimate_bps(), 1'100'000u);
}

TEST(BandwidthEstimator, SurvivesTheReferenceTimeWrap) {
  // The receiver's clock passes the point where the 24-bit reference time
  // (sign-extended) wraps, 2^23 × 64 ms, one second into the run.
  BandwidthEstimator bwe(config(500'000));
  Path path;
  path.receiver_clock_offset_us = (std::int64_t{1} << 23) * 64'000 - 1'000'000;
  Simulation sim(bwe, path);
  sim.run(4s, [] { return 500'000.0; });
  const auto acked = bwe.acknowledged_bps();
  ASSERT_TRUE(acked);
  EXPECT_NEAR(static_cast<double>(*acked), 500'000.0, 40'000.0);
  EXPECT_EQ(bwe.delay_state(), BandwidthUsage::Normal);
  EXPECT_GT(bwe.estimate_bps(), 500'000u);
}

TEST(BandwidthEstimator, RembDrivesWithoutTwcc) {
  BandwidthEstimator bwe(config(1'000'000));
  bwe.on_remb(400'000, t0);
  EXPECT_EQ(bwe.estimate_bps(), 400'000u);
  bwe.on_remb(1'800'000, t0 + 1s);
  EXPECT_EQ(bwe.estimate_bps(), 1'800'000u) << "the receiver's estimate may also rise";
  bwe.on_remb(1'000, t0 + 2s);
  EXPECT_EQ(bwe.estimate_bps(), 30'000u) << "floor";
  bwe.on_remb(100'000'000, t0 + 3s);
  EXPECT_EQ(bwe.estimate_bps(), 20'000'000u) << "max";
}

TEST(BandwidthEstimator, RembCapsWhileTwccFlows) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{});
  sim.run(2s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  ASSERT_GT(bwe.estimate_bps(), 1'000'000u);
  bwe.on_remb(600'000, sim.now());
  EXPECT_EQ(bwe.estimate_bps(), 600'000u);
  sim.run(1s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  EXPECT_EQ(bwe.estimate_bps(), 600'000u) << "a fresh REMB still caps";
  sim.run(4s, [&] { return static_cast<double>(bwe.estimate_bps()); });
  EXPECT_GT(bwe.estimate_bps(), 600'000u) << "a stale REMB no longer does";
}

TEST(BandwidthEstimator, FeedbackForUnknownPacketsIsIgnored) {
  BandwidthEstimator bwe(config(1'000'000));
  std::vector<rtp::TwccStatus> statuses(50, rtp::TwccStatus{true, 40});
  rtp::TransportFeedbackSpec spec;
  spec.base_sequence = 100;
  spec.packets = statuses;
  std::vector<std::uint8_t> bytes(*rtp::transport_feedback_size(spec));
  ASSERT_TRUE(rtp::write_transport_feedback(bytes, spec));
  const auto fb = rtp::TransportFeedback::parse(*rtp::RtcpPacket::parse(bytes));
  ASSERT_TRUE(fb);
  bwe.on_transport_feedback(*fb, t0);
  EXPECT_EQ(bwe.estimate_bps(), 1'000'000u);
  EXPECT_FALSE(bwe.acknowledged_bps());
}

// --- Probing (probe_cluster.hpp) ---------------------------------------------

// A subscriber receiving 500 kbit/s on a 10 Mbit/s path: without probing the
// estimate creeps up from its start; one 15 ms probe at 4 Mbit/s lifts it
// there as soon as the feedback is in.
TEST(BandwidthEstimator, ProbeLiftsTheEstimateAtOnce) {
  BandwidthEstimator probed(config(1'000'000));
  BandwidthEstimator plain(config(1'000'000));
  Simulation with(probed, Path{.capacity_bps = 10e6});
  Simulation without(plain, Path{.capacity_bps = 10e6});
  with.run(1s, [] { return 500e3; });
  without.run(1s, [] { return 500e3; });
  with.probe(make_probe_cluster(1, 4'000'000, 15ms, 300), 15ms);
  with.run(300ms, [] { return 500e3; });
  without.run(315ms, [] { return 500e3; });
  const auto measured = probed.take_probe_result();
  ASSERT_TRUE(measured);
  EXPECT_NEAR(static_cast<double>(*measured), 4e6, 0.4e6);
  EXPECT_GE(probed.estimate_bps(), 3'600'000u);
  EXPECT_LT(plain.estimate_bps(), 1'300'000u);
  EXPECT_FALSE(probed.take_probe_result()) << "a result is taken once";
}

// On a 2 Mbit/s path the same probe arrives at the path's rate: the
// estimate goes to (a little under) the capacity, not to the probe's target.
TEST(BandwidthEstimator, ProbeOnANarrowPathFindsItsCapacity) {
  BandwidthEstimator bwe(config(1'000'000));
  Simulation sim(bwe, Path{.capacity_bps = 2e6});
  sim.run(1s, [] { return 500e3; });
  sim.probe(make_probe_cluster(1, 4'000'000, 15ms, 300), 15ms);
  sim.run(300ms, [] { return 500e3; });
  const auto measured = bwe.take_probe_result();
  ASSERT_TRUE(measured);
  EXPECT_GT(*measured, 1'600'000u);
  EXPECT_LE(*measured, 2'000'000u);
  EXPECT_GT(bwe.estimate_bps(), 1'600'000u);
  EXPECT_LE(bwe.estimate_bps(), 2'000'000u);
}

// A probe never lowers the estimate: a lost or slow probe says less about
// the path than the traffic the estimate came from.
TEST(BandwidthEstimator, ProbeBelowTheEstimateChangesNothing) {
  BandwidthEstimator bwe(config(3'000'000));
  Simulation sim(bwe, Path{.capacity_bps = 10e6});
  sim.run(500ms, [] { return 500e3; });
  const auto before = bwe.estimate_bps();
  sim.probe(make_probe_cluster(1, 1'000'000, 15ms, 300), 15ms);
  sim.run(300ms, [] { return 500e3; });
  EXPECT_TRUE(bwe.take_probe_result());
  EXPECT_GE(bwe.estimate_bps(), before);
}

}  // namespace
}  // namespace parley::sfu
