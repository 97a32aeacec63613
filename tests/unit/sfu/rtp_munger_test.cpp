#include "sfu/rtp_munger.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kVideo = 90'000;
constexpr std::uint32_t kAudio = 48'000;
constexpr std::uint32_t kLow = 0x1111'1111, kHigh = 0x2222'2222, kReconnected = 0x3333'3333;

const TimePoint t0{std::chrono::seconds(1000)};

MungerInput in(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts, TimePoint at,
               bool keyframe = false) {
  return MungerInput{ssrc, seq, ts, at, keyframe};
}

// A simulated publisher stream: one packet per frame, 30 fps, 90 kHz.
struct Source {
  std::uint32_t ssrc;
  std::uint16_t seq;
  std::uint32_t ts;
  MungerInput next(TimePoint at, bool keyframe = false) {
    return in(ssrc, seq++, (ts += 3000) - 3000, at, keyframe);
  }
};

TEST(RtpMunger, DropsEverythingBeforeTheFirstSwitch) {
  RtpMunger m(kVideo);
  EXPECT_FALSE(m.rewrite(in(kLow, 1, 1, t0)));
  EXPECT_FALSE(m.started());
}

TEST(RtpMunger, FirstSegmentPassesTheSourceNumbersThrough) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  const auto first = m.rewrite(in(kLow, 1000, 50'000, t0));
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (Rewritten{1000, 50'000, true}));
  EXPECT_EQ(*m.rewrite(in(kLow, 1001, 53'000, t0 + 33ms)), (Rewritten{1001, 53'000, false}));
}

TEST(RtpMunger, LayerSwitchesAreSeamless) {
  RtpMunger m(kVideo);
  Source low{kLow, 1000, 50'000};
  Source high{kHigh, 40'000, 900'000'000};
  TimePoint now = t0;
  m.switch_to(kLow);
  for (int i = 0; i < 10; ++i, now += 33ms) {
    high.next(now);  // the other layer runs in parallel, not forwarded
    const auto r = m.rewrite(low.next(now));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->seq, 1000 + i);
  }
  // Last forwarded: seq 1009, ts 50000 + 9*3000 = 77000, at t0 + 9*33ms.
  m.switch_to(kHigh);
  EXPECT_FALSE(m.rewrite(low.next(now))) << "the old layer is cut at the switch";
  const auto first = m.rewrite(high.next(now, true));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->segment_start);
  EXPECT_EQ(first->seq, 1010);
  EXPECT_EQ(first->timestamp, 77'000u + 33 * 90);  // 33 ms of wall time at 90 kHz
  for (int i = 1; i < 5; ++i) {
    now += 33ms;
    const auto r = m.rewrite(high.next(now));
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->segment_start);
    EXPECT_EQ(r->seq, 1010 + i);
    EXPECT_EQ(r->timestamp, first->timestamp + 3000u * i) << "source spacing kept";
  }
  // And back down.
  now += 33ms;
  m.switch_to(kLow);
  low.next(now - 10ms);  // a packet of the low layer that nobody forwarded
  const auto back = m.rewrite(low.next(now, true));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 1015);
  EXPECT_EQ(back->timestamp, first->timestamp + 4 * 3000u + 33 * 90);
}

TEST(RtpMunger, PacketsOfTheOldLayerAndFromBeforeTheSwitchAreDropped) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 10, 1000, t0)));
  m.switch_to(kHigh);
  ASSERT_TRUE(m.rewrite(in(kHigh, 500, 7000, t0 + 10ms, true)));
  EXPECT_FALSE(m.rewrite(in(kLow, 11, 4000, t0 + 11ms))) << "not the current source";
  EXPECT_FALSE(m.rewrite(in(kHigh, 499, 4000, t0 + 12ms))) << "reordered from before the switch";
  EXPECT_FALSE(m.rewrite(in(kHigh, 400, 4000, t0 + 12ms)));
  const auto next = m.rewrite(in(kHigh, 501, 7000, t0 + 13ms));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq, 12);
}

TEST(RtpMunger, LossAndReorderingInsideASegmentArePreserved) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 10, 1000, t0)));
  m.switch_to(kHigh);  // offsets are not zero from here
  const auto a = m.rewrite(in(kHigh, 100, 90'000, t0 + 40ms, true));
  const auto b = m.rewrite(in(kHigh, 101, 90'000, t0 + 41ms));
  // 102 is lost; 104 overtakes 103.
  const auto d = m.rewrite(in(kHigh, 104, 93'000, t0 + 73ms));
  const auto c = m.rewrite(in(kHigh, 103, 93'000, t0 + 74ms));
  const auto e = m.rewrite(in(kHigh, 105, 96'000, t0 + 106ms));
  ASSERT_TRUE(a && b && c && d && e);
  EXPECT_EQ(a->seq, 11);
  EXPECT_EQ(b->seq, 12);
  EXPECT_EQ(c->seq, 14) << "the gap stays a gap the subscriber can NACK";
  EXPECT_EQ(d->seq, 15) << "reordered packets keep their relative order";
  EXPECT_EQ(e->seq, 16);
  EXPECT_EQ(c->timestamp, d->timestamp);
  EXPECT_EQ(d->timestamp - a->timestamp, 3000u);
  // The lost packet, retransmitted late by the publisher, still fits the gap.
  const auto late = m.rewrite(in(kHigh, 102, 90'000, t0 + 200ms));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->seq, 13);
  EXPECT_EQ(late->timestamp, a->timestamp);
}

TEST(RtpMunger, DuplicatesComeOutWithTheSameNumbers) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  const auto a = m.rewrite(in(kLow, 7, 70, t0));
  const auto b = m.rewrite(in(kLow, 7, 70, t0 + 1ms));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->seq, b->seq);
  EXPECT_EQ(a->timestamp, b->timestamp);
  EXPECT_FALSE(b->segment_start);
}

TEST(RtpMunger, MuteAndUnmuteLeaveNoGap) {
  // Audio: the forwarder stops passing packets while the subscriber's copy
  // is paused (the publisher keeps counting), then resumes with switch_to.
  RtpMunger m(kAudio);
  m.switch_to(kLow);
  TimePoint now = t0;
  std::uint16_t seq = 300;
  std::uint32_t ts = 123'456;
  std::optional<Rewritten> last;
  for (int i = 0; i < 50; ++i, now += 20ms, ++seq, ts += 960) {
    last = m.rewrite(in(kLow, seq, ts, now));
    ASSERT_TRUE(last);
  }
  // 5 s muted: 250 packets not forwarded.
  for (int i = 0; i < 250; ++i, now += 20ms, ++seq, ts += 960) {
  }
  m.switch_to(kLow);
  const auto resumed = m.rewrite(in(kLow, seq, ts, now));
  ASSERT_TRUE(resumed);
  EXPECT_TRUE(resumed->segment_start);
  EXPECT_EQ(resumed->seq, static_cast<std::uint16_t>(last->seq + 1)) << "no 250-packet loss";
  // 5.02 s of wall time at 48 kHz since the last forwarded packet.
  EXPECT_EQ(resumed->timestamp, last->timestamp + 251u * 960);
}

TEST(RtpMunger, WithoutSwitchToAPauseIsPassedOnAsAGap) {
  // The contrast: same source, no new segment, offsets unchanged.
  RtpMunger m(kAudio);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 300, 1000, t0)));
  const auto r = m.rewrite(in(kLow, 310, 1000 + 10 * 960, t0 + 200ms));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq, 310);
}

TEST(RtpMunger, PublisherReconnectWithANewSsrcContinuesTheStream) {
  RtpMunger m(kAudio);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 60'000, 4'000'000'000u, t0)));
  const auto last = m.rewrite(in(kLow, 60'001, 4'000'000'960u, t0 + 20ms));
  ASSERT_TRUE(last);
  // Gone for 3 s, back with new random SSRC, sequence and timestamp base.
  m.switch_to(kReconnected);
  const auto first = m.rewrite(in(kReconnected, 17, 5, t0 + 3020ms));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->seq, 60'002);
  EXPECT_EQ(first->timestamp, 4'000'000'960u + 3000u * 48);
  const auto second = m.rewrite(in(kReconnected, 18, 965, t0 + 3040ms));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->seq, 60'003);
  EXPECT_EQ(second->timestamp, first->timestamp + 960);
  // A late packet of the old connection is dropped.
  EXPECT_FALSE(m.rewrite(in(kLow, 60'002, 4'000'001'920u, t0 + 3041ms)));
}

TEST(RtpMunger, SequenceNumbersWrapInsideASegment) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 1, 0, t0)));
  m.switch_to(kHigh);
  std::uint16_t expected = 2;
  for (std::uint32_t i = 65'530; i < 65'536 + 6; ++i) {
    const auto r = m.rewrite(in(kHigh, static_cast<std::uint16_t>(i), 0, t0 + 1ms, i == 65'530));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->seq, expected++) << i;
  }
  // Reordered across the wrap: 65535 after 5 is old but within the segment.
  const auto old = m.rewrite(in(kHigh, 65'535, 0, t0 + 2ms));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->seq, 7);
  // 65529 is before the segment's first packet.
  EXPECT_FALSE(m.rewrite(in(kHigh, 65'529, 0, t0 + 2ms)));
}

TEST(RtpMunger, OutgoingSequenceNumbersWrapAcrossASwitch) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 65'534, 0, t0)));
  ASSERT_TRUE(m.rewrite(in(kLow, 65'535, 0, t0)));
  m.switch_to(kHigh);
  const auto a = m.rewrite(in(kHigh, 1000, 0, t0 + 1ms, true));
  const auto b = m.rewrite(in(kHigh, 1001, 0, t0 + 1ms));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->seq, 0);
  EXPECT_EQ(b->seq, 1);
  // And a switch after that continues from 1, not from 65535.
  m.switch_to(kLow);
  const auto c = m.rewrite(in(kLow, 2, 0, t0 + 2ms, true));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->seq, 2);
}

TEST(RtpMunger, LongSegmentsAreNotMistakenForOldPackets) {
  // More than 2^15 packets after the segment start a 16-bit comparison with
  // the first packet would call them old; they must still flow.
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 1, 0, t0)));
  m.switch_to(kHigh);
  for (std::uint32_t i = 0; i < 100'000; ++i) {
    const auto r = m.rewrite(in(kHigh, static_cast<std::uint16_t>(5000 + i), i * 100, t0, i == 0));
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->seq, static_cast<std::uint16_t>(2 + i)) << i;
  }
}

TEST(RtpMunger, TimestampsWrapInsideASegmentAndAcrossASwitch) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  const std::uint32_t near_end = 0xFFFF'FFFFu - 4000;
  TimePoint now = t0;
  const auto a = m.rewrite(in(kLow, 1, near_end, now));
  now += 33ms;
  const auto b = m.rewrite(in(kLow, 2, near_end + 3000, now));
  now += 33ms;
  const auto c = m.rewrite(in(kLow, 3, near_end + 6000, now));  // wrapped: 1999
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(c->timestamp, 1999u);
  EXPECT_EQ(c->timestamp - b->timestamp, 3000u);
  // Reordered packet from before the wrap still maps in place.
  const auto b2 = m.rewrite(in(kLow, 2, near_end + 3000, now));
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->timestamp, b->timestamp);
  // A switch whose continuation wraps again.
  RtpMunger m2(kVideo);
  m2.switch_to(kLow);
  ASSERT_TRUE(m2.rewrite(in(kLow, 1, 0xFFFF'FFFFu - 100, t0)));
  m2.switch_to(kHigh);
  const auto d = m2.rewrite(in(kHigh, 9, 12345, t0 + 10ms, true));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->timestamp, static_cast<std::uint32_t>(0xFFFF'FFFFu - 100 + 900));  // 799
  // The next switch continues above 799, not above 0xFFFFFF9B.
  const auto e = m2.rewrite(in(kHigh, 10, 12345 + 3000, t0 + 43ms));
  ASSERT_TRUE(e);
  m2.switch_to(kLow);
  const auto f = m2.rewrite(in(kLow, 2, 7, t0 + 76ms, true));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->timestamp, e->timestamp + 33 * 90);
}

TEST(RtpMunger, ASwitchWithNoElapsedTimeStillMovesTheTimestampForward) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  const auto a = m.rewrite(in(kLow, 1, 1000, t0));
  m.switch_to(kHigh);
  const auto b = m.rewrite(in(kHigh, 50, 777, t0, true));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->timestamp, a->timestamp + 1);
}

TEST(RtpMunger, WaitForKeyframeDropsUntilTheKeyframe) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  ASSERT_TRUE(m.rewrite(in(kLow, 1, 1000, t0)));
  m.switch_to(kReconnected, /*wait_for_keyframe=*/true);
  EXPECT_FALSE(m.rewrite(in(kReconnected, 70, 5000, t0 + 10ms)));
  EXPECT_FALSE(m.rewrite(in(kReconnected, 71, 5000, t0 + 11ms)));
  const auto kf = m.rewrite(in(kReconnected, 72, 8000, t0 + 40ms, true));
  ASSERT_TRUE(kf);
  EXPECT_TRUE(kf->segment_start);
  EXPECT_EQ(kf->seq, 2);
  EXPECT_FALSE(m.rewrite(in(kReconnected, 71, 5000, t0 + 41ms))) << "before the keyframe";
}

TEST(RtpMunger, MapsNackedNumbersBackToTheSourcePacket) {
  RtpMunger m(kVideo);
  m.switch_to(kLow);
  for (std::uint16_t s = 10; s < 13; ++s) ASSERT_TRUE(m.rewrite(in(kLow, s, 1000, t0)));
  m.switch_to(kHigh);
  EXPECT_FALSE(m.origin_of(12)) << "switch pending: the old segment is over";
  ASSERT_TRUE(m.rewrite(in(kHigh, 500, 90'000, t0 + 33ms, true)));  // out 13
  ASSERT_TRUE(m.rewrite(in(kHigh, 502, 93'000, t0 + 66ms)));        // out 15
  const auto origin = m.origin_of(14);
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->ssrc, kHigh);
  EXPECT_EQ(origin->seq, 501);
  const auto first = m.rewrite(in(kHigh, 500, 90'000, t0 + 70ms));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->timestamp, 90'000u + origin->timestamp_offset);
  EXPECT_FALSE(m.origin_of(12)) << "previous segment";
  EXPECT_FALSE(m.origin_of(16)) << "not sent yet";
}

}  // namespace
}  // namespace parley::sfu
