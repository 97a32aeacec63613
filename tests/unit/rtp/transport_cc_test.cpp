#include "rtp/transport_cc.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <random>
#include <vector>

#include "rtp/detail/byte_io.hpp"
#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

RtcpPacket packet(const Bytes& bytes) {
  auto p = RtcpPacket::parse(bytes);
  EXPECT_TRUE(p) << p.error();
  return *p;
}

std::vector<TwccPacket> packets_of(const TransportFeedback& fb) {
  std::vector<TwccPacket> out;
  for (const TwccPacket& p : fb) out.push_back(p);
  return out;
}

Bytes build(const TransportFeedbackSpec& spec) {
  const auto size = transport_feedback_size(spec);
  EXPECT_TRUE(size) << size.error();
  Bytes out(size.value_or(0));
  const auto n = write_transport_feedback(out, spec);
  EXPECT_TRUE(n) << n.error();
  EXPECT_EQ(n.value_or(0), out.size());
  return out;
}

// §3.1 layout by hand: base 100, 5 statuses, reference time 16 (x 64 ms),
// feedback count 3. Statuses: small(4), not received, large(-1), small(8),
// small(0) in one 2-bit status vector chunk (§3.1.4):
//   1 1 | 01 00 10 01 01 00 00 = 0xd250
// then deltas 04 | ff ff | 08 | 00 and one byte of zero padding.
const Bytes kTwoBitVector =
    hex("8f cd 00 06  00 00 00 01  00 00 00 02"
        "00 64 00 05  00 00 10 03  d2 50 04 ff  ff 08 00 00");

TEST(TransportCc, ParsesTwoBitVector) {
  const auto fb = TransportFeedback::parse(packet(kTwoBitVector));
  ASSERT_TRUE(fb) << fb.error();
  EXPECT_EQ(fb->sender_ssrc(), 1u);
  EXPECT_EQ(fb->media_ssrc(), 2u);
  EXPECT_EQ(fb->base_sequence(), 100);
  EXPECT_EQ(fb->status_count(), 5);
  EXPECT_EQ(fb->reference_time(), 16);
  EXPECT_EQ(fb->reference_time_us(), 16 * 64'000);
  EXPECT_EQ(fb->feedback_count(), 3);
  EXPECT_EQ(fb->received_count(), 4u);
  const auto packets = packets_of(*fb);
  ASSERT_EQ(packets.size(), 5u);
  const std::int64_t ref = 16 * 64'000;
  EXPECT_EQ(packets[0].sequence_number, 100);
  EXPECT_EQ(packets[0].symbol, TwccSymbol::SmallDelta);
  EXPECT_EQ(packets[0].delta, 4);
  EXPECT_EQ(packets[0].arrival_us, ref + 1000);
  EXPECT_FALSE(packets[1].received());
  EXPECT_EQ(packets[2].symbol, TwccSymbol::LargeDelta);
  EXPECT_EQ(packets[2].delta, -1);
  EXPECT_EQ(packets[2].arrival_us, ref + 750);
  EXPECT_EQ(packets[3].delta, 8);
  EXPECT_EQ(packets[3].arrival_us, ref + 2750);
  EXPECT_EQ(packets[4].sequence_number, 104);
  EXPECT_EQ(packets[4].delta, 0);
}

TEST(TransportCc, BuildsTwoBitVectorExactly) {
  const std::array<TwccStatus, 5> statuses = {TwccStatus{true, 4}, TwccStatus{false, 0},
                                              TwccStatus{true, -1}, TwccStatus{true, 8},
                                              TwccStatus{true, 0}};
  TransportFeedbackSpec spec{1, 2, 100, 16, 3, statuses};
  EXPECT_EQ(build(spec), kTwoBitVector);
}

// A run of 15 small deltas (run-length chunk, §3.1.3: 0 | 01 | 15 = 0x200f)
// then not, small, not, small, not (1-bit status vector, §3.1.4:
// 1 0 | 0 1 0 1 0 0 ... = 0x9400).
TEST(TransportCc, RunLengthThenOneBitVector) {
  std::vector<TwccStatus> statuses(15, TwccStatus{true, 1});
  for (bool r : {false, true, false, true, false}) statuses.push_back({r, r ? 2 : 0});
  TransportFeedbackSpec spec{0xaaaaaaaa, 0xbbbbbbbb, 65530, -5, 255, statuses};
  const Bytes bytes = build(spec);
  ASSERT_EQ(bytes.size(), 44u);
  EXPECT_EQ(detail::load_u16(&bytes[20]), 0x200f);
  EXPECT_EQ(detail::load_u16(&bytes[22]), 0x9400);

  const auto fb = TransportFeedback::parse(packet(bytes));
  ASSERT_TRUE(fb) << fb.error();
  EXPECT_EQ(fb->reference_time(), -5);  // 24-bit signed
  EXPECT_EQ(fb->feedback_count(), 255);
  const auto packets = packets_of(*fb);
  ASSERT_EQ(packets.size(), statuses.size());
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(packets[i].sequence_number, static_cast<std::uint16_t>(65530 + i));  // wraps
    EXPECT_EQ(packets[i].received(), statuses[i].received);
    if (statuses[i].received) {
      EXPECT_EQ(packets[i].delta, statuses[i].delta);
    }
  }
}

TEST(TransportCc, ParsesOneBitVectorLayout) {
  // 1 0 | 0 1 1 1 1 1 0 0 0 1 1 1 0 0 = 0x9f1c: 14 statuses, 8 received.
  const Bytes bytes =
      hex("8f cd 00 07  00 00 00 01  00 00 00 02"
          "00 01 00 0e  00 00 01 00  9f 1c 01 02  03 04 05 06  07 08 00 00");
  const auto fb = TransportFeedback::parse(packet(bytes));
  ASSERT_TRUE(fb) << fb.error();
  EXPECT_EQ(fb->received_count(), 8u);
  std::vector<bool> received;
  std::vector<std::int32_t> deltas;
  for (const auto& p : *fb) {
    received.push_back(p.received());
    if (p.received()) deltas.push_back(p.delta);
  }
  EXPECT_EQ(received, (std::vector<bool>{false, true, true, true, true, true, false, false, false,
                                         true, true, true, false, false}));
  EXPECT_EQ(deltas, (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(TransportCc, LargeAndNegativeDeltas) {
  const std::array<TwccStatus, 8> statuses = {TwccStatus{true, 255},    TwccStatus{true, 256},
                                              TwccStatus{true, -1},     TwccStatus{true, 32767},
                                              TwccStatus{true, -32768}, TwccStatus{true, 0},
                                              TwccStatus{false, 0},     TwccStatus{true, -200}};
  TransportFeedbackSpec spec{1, 2, 0, 0x7fffff, 0, statuses};
  const Bytes bytes = build(spec);
  const auto fb = TransportFeedback::parse(packet(bytes));
  ASSERT_TRUE(fb) << fb.error();
  EXPECT_EQ(fb->reference_time(), 0x7fffff);
  const auto packets = packets_of(*fb);
  ASSERT_EQ(packets.size(), statuses.size());
  std::int64_t clock = std::int64_t{0x7fffff} * 64'000;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(packets[i].received(), statuses[i].received) << i;
    if (!statuses[i].received) continue;
    EXPECT_EQ(packets[i].delta, statuses[i].delta) << i;
    EXPECT_EQ(packets[i].symbol, statuses[i].delta >= 0 && statuses[i].delta <= 255
                                     ? TwccSymbol::SmallDelta
                                     : TwccSymbol::LargeDelta);
    clock += statuses[i].delta * 250;
    EXPECT_EQ(packets[i].arrival_us, clock);
  }
}

TEST(TransportCc, DeltaOutOfRange) {
  for (std::int32_t bad : {32768, -32769, 1 << 20}) {
    const std::array<TwccStatus, 1> statuses = {TwccStatus{true, bad}};
    TransportFeedbackSpec spec{1, 2, 0, 0, 0, statuses};
    Bytes out(100);
    EXPECT_EQ(write_transport_feedback(out, spec).error(), Error::ValueOutOfRange);
  }
  TransportFeedbackSpec empty{};
  Bytes out(100);
  EXPECT_EQ(write_transport_feedback(out, empty).error(), Error::ValueOutOfRange);
  const std::array<TwccStatus, 1> one = {TwccStatus{true, 1}};
  TransportFeedbackSpec spec{1, 2, 0, 0, 0, one};
  EXPECT_EQ(write_transport_feedback(std::span(out).first(23), spec).error(),
            Error::BufferTooSmall);
}

TEST(TransportCc, LongRunsAndManyPackets) {
  // 20000 lost then 20000 received with delta 1: runs longer than 8191 split.
  std::vector<TwccStatus> statuses(20000, TwccStatus{});
  statuses.resize(40000, TwccStatus{true, 1});
  TransportFeedbackSpec spec{1, 2, 1000, 0, 0, statuses};
  const Bytes bytes = build(spec);
  const auto fb = TransportFeedback::parse(packet(bytes));
  ASSERT_TRUE(fb) << fb.error();
  EXPECT_EQ(fb->status_count(), 40000);
  EXPECT_EQ(fb->received_count(), 20000u);
  std::size_t i = 0;
  for (const auto& p : *fb) {
    ASSERT_EQ(p.received(), statuses[i].received) << i;
    ++i;
  }
  EXPECT_EQ(i, 40000u);
  // Compact: 3 + 3 run-length chunks of at most 8191, one delta byte per received packet.
  EXPECT_LT(bytes.size(), 12u + 8 + 2 * 8 + 20000 + 4);
}

TEST(TransportCc, RandomRoundTrips) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = 1 + rng() % 300;
    std::vector<TwccStatus> statuses(n);
    for (auto& s : statuses) {
      switch (rng() % 5) {
        case 0:
          s = {};
          break;
        case 1:
          s = {true, static_cast<std::int32_t>(rng() % 65536) - 32768};
          break;
        default:
          s = {true, static_cast<std::int32_t>(rng() % 256)};
          break;
      }
      // Long runs now and then.
      if (rng() % 50 == 0) s = {};
    }
    const auto base = static_cast<std::uint16_t>(rng());
    TransportFeedbackSpec spec{static_cast<std::uint32_t>(rng()),
                               static_cast<std::uint32_t>(rng()),
                               base,
                               static_cast<std::int32_t>(rng() % 1000),
                               7,
                               statuses};
    const Bytes bytes = build(spec);
    ASSERT_EQ(bytes.size() % 4, 0u);
    const auto fb = TransportFeedback::parse(packet(bytes));
    ASSERT_TRUE(fb) << fb.error();
    std::size_t i = 0;
    for (const auto& p : *fb) {
      ASSERT_LT(i, n);
      EXPECT_EQ(p.sequence_number, static_cast<std::uint16_t>(base + i));
      EXPECT_EQ(p.received(), statuses[i].received);
      if (p.received()) {
        EXPECT_EQ(p.delta, statuses[i].delta);
      }
      ++i;
    }
    EXPECT_EQ(i, n);
  }
}

TEST(TransportCc, Malformed) {
  // Reserved symbol 3 in a run-length chunk that counts.
  EXPECT_EQ(TransportFeedback::parse(packet(hex("8f cd 00 05  00 00 00 01  00 00 00 02"
                                                "00 00 00 01  00 00 00 00  60 01 00 00")))
                .error(),
            Error::Malformed);
  // ... and in a 2-bit vector.
  EXPECT_EQ(TransportFeedback::parse(packet(hex("8f cd 00 05  00 00 00 01  00 00 00 02"
                                                "00 00 00 01  00 00 00 00  f0 00 00 00")))
                .error(),
            Error::Malformed);
  // Symbols beyond the status count do not count, reserved or not.
  EXPECT_TRUE(
      TransportFeedback::parse(packet(hex("8f cd 00 05  00 00 00 01  00 00 00 02"
                                          "00 00 00 01  00 00 00 00  c3 00 00 00"))));
  // Status count larger than the chunks cover.
  EXPECT_EQ(TransportFeedback::parse(packet(hex("8f cd 00 05  00 00 00 01  00 00 00 02"
                                                "00 00 00 20  00 00 00 00  20 05 00 00")))
                .error(),
            Error::Truncated);
  // Chunks call for more deltas than there are bytes: 14 large deltas.
  EXPECT_EQ(TransportFeedback::parse(packet(hex("8f cd 00 05  00 00 00 01  00 00 00 02"
                                                "00 00 00 0e  00 00 00 00  40 0e 00 00")))
                .error(),
            Error::Truncated);
  // No fixed part.
  EXPECT_EQ(
      TransportFeedback::parse(packet(hex("8f cd 00 03  00 00 00 01  00 00 00 02  00 00 00 01")))
          .error(),
      Error::Truncated);
  // NACK is not TWCC.
  EXPECT_EQ(
      TransportFeedback::parse(packet(hex("81 cd 00 03  00 00 00 01  00 00 00 02  00 64 00 05")))
          .error(),
      Error::WrongType);
}

TEST(TransportCc, ZeroStatusCountParses) {
  const Bytes bytes = hex("8f cd 00 04  00 00 00 01  00 00 00 02  00 05 00 00  00 00 00 00");
  const auto fb = TransportFeedback::parse(packet(bytes));
  ASSERT_TRUE(fb);
  EXPECT_TRUE(fb->begin() == std::default_sentinel);
}

TEST(TransportCc, StatusesFromArrivals) {
  // Arrivals in µs; -1 = lost. First arrival 64'000'100 µs -> reference 1000.
  const std::array<std::int64_t, 6> arrivals = {64'000'100, -1,         64'000'400,
                                                64'001'500, 64'000'900, 64'090'000};
  std::array<TwccStatus, 6> statuses{};
  const auto reference = twcc_statuses_from_arrivals(arrivals, statuses);
  ASSERT_TRUE(reference);
  EXPECT_EQ(*reference, 1000);
  // Ticks (rounded): 256000, -, 256002, 256006, 256004, 256360.
  EXPECT_EQ(statuses[0], (TwccStatus{true, 0}));
  EXPECT_EQ(statuses[1], (TwccStatus{false, 0}));
  EXPECT_EQ(statuses[2], (TwccStatus{true, 2}));
  EXPECT_EQ(statuses[3], (TwccStatus{true, 4}));
  EXPECT_EQ(statuses[4], (TwccStatus{true, -2}));  // reordered arrival
  EXPECT_EQ(statuses[5], (TwccStatus{true, 356}));

  TransportFeedbackSpec spec{1, 2, 10, *reference, 0, statuses};
  const Bytes bytes = build(spec);
  const auto fb = TransportFeedback::parse(packet(bytes));
  ASSERT_TRUE(fb);
  std::size_t i = 0;
  for (const auto& p : *fb) {
    if (p.received()) {
      // Within half a tick of the real arrival, no drift.
      EXPECT_LE(std::abs(p.arrival_us - arrivals[i]), 125) << i;
    }
    ++i;
  }

  const std::array<std::int64_t, 2> gap = {0, 9'000'000};
  EXPECT_EQ(twcc_statuses_from_arrivals(gap, statuses).error(), Error::ValueOutOfRange);
  EXPECT_EQ(twcc_statuses_from_arrivals(arrivals, std::span(statuses).first(2)).error(),
            Error::BufferTooSmall);
}

}  // namespace
}  // namespace parley::rtp
