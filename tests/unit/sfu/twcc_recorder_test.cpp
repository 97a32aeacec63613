// TwccRecorder: the transport-wide feedback the SFU sends a publisher about
// its uplink (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3). The
// feedback is read back with rtp::TransportFeedback exactly as the browser's
// send-side estimator would read it.

#include "sfu/twcc_recorder.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "rtp/rtcp_packet.hpp"
#include "rtp/transport_cc.hpp"

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;
using TimePoint = TwccRecorder::TimePoint;

// A fixed origin keeps the 24-bit reference time small and the test exact.
const TimePoint kT0 = TimePoint{} + 10s;
constexpr std::uint32_t kSender = 0x5F0;
constexpr std::uint32_t kMedia = 0xABCDEF;

std::int64_t us_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

struct Report {
  std::uint16_t base = 0;
  std::uint16_t count = 0;
  std::uint8_t feedback_count = 0;
  std::uint32_t sender = 0, media = 0;
  std::vector<rtp::TwccPacket> packets;
};

// build_feedback, parsed back; nullopt when nothing was written.
std::optional<Report> feedback(TwccRecorder& r) {
  std::array<std::uint8_t, 16384> buf{};
  const auto n = r.build_feedback(buf, kSender, kMedia);
  if (n == 0) return std::nullopt;
  EXPECT_LE(n, buf.size());
  auto rtcp = rtp::RtcpPacket::parse(std::span<const std::uint8_t>(buf).first(n));
  EXPECT_TRUE(rtcp) << rtcp.error();
  if (!rtcp) return std::nullopt;
  EXPECT_EQ(rtcp->size(), n) << "exactly one RTCP packet";
  auto fb = rtp::TransportFeedback::parse(*rtcp);
  EXPECT_TRUE(fb) << fb.error();
  if (!fb) return std::nullopt;
  Report out;
  out.base = fb->base_sequence();
  out.count = fb->status_count();
  out.feedback_count = fb->feedback_count();
  out.sender = fb->sender_ssrc();
  out.media = fb->media_ssrc();
  for (const auto& p : *fb) out.packets.push_back(p);
  EXPECT_EQ(out.packets.size(), out.count);
  return out;
}

TEST(TwccRecorder, NothingRecordedNothingReported) {
  TwccRecorder r;
  EXPECT_FALSE(feedback(r));
}

TEST(TwccRecorder, ReportsTheReceivedAndLostPatternWithArrivalTimes) {
  TwccRecorder r;
  // 100 at 0 ms, 101 at 1 ms, 102 lost, 103 at 5.25 ms, 104 at 6 ms,
  // 105 lost, 106 at 40 ms.
  const std::vector<std::pair<std::uint16_t, std::chrono::microseconds>> got = {
      {100, 0us}, {101, 1000us}, {103, 5250us}, {104, 6000us}, {106, 40000us}};
  for (const auto& [seq, at] : got) r.on_packet(seq, kT0 + at);

  const auto fb = feedback(r);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->sender, kSender);
  EXPECT_EQ(fb->media, kMedia);
  EXPECT_EQ(fb->base, 100);
  ASSERT_EQ(fb->count, 7);
  const std::vector<bool> pattern = {true, true, false, true, true, false, true};
  std::size_t next = 0;
  for (std::size_t i = 0; i < fb->packets.size(); ++i) {
    const auto& p = fb->packets[i];
    SCOPED_TRACE(p.sequence_number);
    EXPECT_EQ(p.sequence_number, static_cast<std::uint16_t>(100 + i));
    EXPECT_EQ(p.received(), pattern[i]);
    if (!p.received()) continue;
    // The absolute arrival: reference time plus the deltas, in 250 µs ticks.
    EXPECT_EQ(p.arrival_us, us_of(kT0 + got[next].second));
    ++next;
  }
  EXPECT_EQ(next, got.size());
  // Inter-arrival deltas as the sender's estimator uses them.
  EXPECT_EQ(fb->packets[1].arrival_us - fb->packets[0].arrival_us, 1000);
  EXPECT_EQ(fb->packets[3].arrival_us - fb->packets[1].arrival_us, 4250);
  EXPECT_EQ(fb->packets[6].arrival_us - fb->packets[4].arrival_us, 34000);
}

TEST(TwccRecorder, ReorderedArrivalsAreReportedInSequenceOrder) {
  TwccRecorder r;
  r.on_packet(10, kT0);
  r.on_packet(12, kT0 + 2ms);
  r.on_packet(11, kT0 + 3ms);  // late, but not yet reported: it counts
  const auto fb = feedback(r);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->base, 10);
  ASSERT_EQ(fb->count, 3);
  for (const auto& p : fb->packets) EXPECT_TRUE(p.received()) << p.sequence_number;
  EXPECT_EQ(fb->packets[1].arrival_us, us_of(kT0 + 3ms));
  EXPECT_EQ(fb->packets[2].arrival_us, us_of(kT0 + 2ms));
  EXPECT_LT(fb->packets[2].delta, 0);  // a negative delta (large form)
}

TEST(TwccRecorder, NothingIsReportedTwice) {
  TwccRecorder r;
  for (std::uint16_t s = 500; s < 510; ++s) r.on_packet(s, kT0 + std::chrono::milliseconds(s - 500));
  const auto first = feedback(r);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->base, 500);
  EXPECT_EQ(first->count, 10);
  EXPECT_FALSE(feedback(r)) << "the same packets again";

  r.on_packet(510, kT0 + 20ms);
  r.on_packet(512, kT0 + 22ms);
  const auto second = feedback(r);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->base, 510);
  ASSERT_EQ(second->count, 3);
  EXPECT_TRUE(second->packets[0].received());
  EXPECT_FALSE(second->packets[1].received());
  EXPECT_TRUE(second->packets[2].received());
  // The feedback packet count advances (§3.1: to detect lost feedback).
  EXPECT_EQ(static_cast<std::uint8_t>(second->feedback_count - first->feedback_count), 1);
}

TEST(TwccRecorder, SequenceNumbersWrapAround) {
  TwccRecorder r;
  const std::vector<std::uint16_t> seqs = {65533, 65534, 65535, 0, 1, 3};
  for (std::size_t i = 0; i < seqs.size(); ++i) r.on_packet(seqs[i], kT0 + std::chrono::milliseconds(i));
  const auto fb = feedback(r);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->base, 65533);
  ASSERT_EQ(fb->count, 7);  // 65533..3 with 2 missing
  const std::vector<std::uint16_t> expected_seq = {65533, 65534, 65535, 0, 1, 2, 3};
  for (std::size_t i = 0; i < fb->packets.size(); ++i) {
    EXPECT_EQ(fb->packets[i].sequence_number, expected_seq[i]);
    EXPECT_EQ(fb->packets[i].received(), expected_seq[i] != 2) << expected_seq[i];
  }
  EXPECT_EQ(fb->packets[6].arrival_us, us_of(kT0 + 5ms));

  // And on past the wrap, with reports in between.
  r.on_packet(4, kT0 + 10ms);
  const auto next = feedback(r);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->base, 4);
  EXPECT_EQ(next->count, 1);
}

TEST(TwccRecorder, WrapAcrossFeedbacks) {
  TwccRecorder r;
  r.on_packet(65534, kT0);
  r.on_packet(65535, kT0 + 1ms);
  ASSERT_TRUE(feedback(r));
  r.on_packet(0, kT0 + 2ms);
  r.on_packet(1, kT0 + 3ms);
  const auto fb = feedback(r);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->base, 0);
  EXPECT_EQ(fb->count, 2);
}

TEST(TwccRecorder, LatePacketsAfterTheirReportAreIgnored) {
  TwccRecorder r;
  r.on_packet(100, kT0);
  r.on_packet(102, kT0 + 2ms);
  const auto first = feedback(r);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->count, 3);
  EXPECT_FALSE(first->packets[1].received());  // 101 reported lost

  r.on_packet(101, kT0 + 30ms);  // arrives after all
  r.on_packet(99, kT0 + 31ms);   // and older still
  EXPECT_FALSE(feedback(r)) << "101 and 99 were already reported";

  r.on_packet(103, kT0 + 40ms);
  const auto second = feedback(r);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->base, 103);
  ASSERT_EQ(second->count, 1);
  EXPECT_TRUE(second->packets[0].received());
}

TEST(TwccRecorder, MemoryIsBoundedAndTheOldestAreDropped) {
  TwccRecorder r;
  constexpr std::uint16_t kStart = 1000;
  constexpr std::size_t kSent = 5000;
  for (std::size_t i = 0; i < kSent; ++i)
    r.on_packet(static_cast<std::uint16_t>(kStart + i), kT0 + std::chrono::microseconds(500 * i));
  const auto fb = feedback(r);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->count, TwccRecorder::kMaxPending);
  EXPECT_EQ(fb->base, static_cast<std::uint16_t>(kStart + kSent - TwccRecorder::kMaxPending));
  for (const auto& p : fb->packets) ASSERT_TRUE(p.received()) << p.sequence_number;
  EXPECT_EQ(fb->packets.back().sequence_number, static_cast<std::uint16_t>(kStart + kSent - 1));
  EXPECT_EQ(fb->packets.back().arrival_us, us_of(kT0 + std::chrono::microseconds(500 * (kSent - 1))));
  // The dropped ones are not reported later either.
  EXPECT_FALSE(feedback(r));
}

TEST(TwccRecorder, BufferTooSmallWritesNothing) {
  TwccRecorder r;
  for (std::uint16_t s = 0; s < 50; ++s) r.on_packet(s, kT0 + std::chrono::milliseconds(s));
  std::array<std::uint8_t, 8> tiny{};
  EXPECT_EQ(r.build_feedback(tiny, kSender, kMedia), 0u);
}

}  // namespace
}  // namespace parley::sfu
