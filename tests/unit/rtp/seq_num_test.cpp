#include "rtp/seq_num.hpp"

#include <gtest/gtest.h>

namespace parley::rtp {
namespace {

TEST(SeqNum, NewerAcrossWrap) {
  EXPECT_TRUE(seq_newer(1, 0));
  EXPECT_FALSE(seq_newer(0, 1));
  EXPECT_TRUE(seq_newer(0, 0xFFFF));
  EXPECT_TRUE(seq_newer(5, 0xFFF0));
  EXPECT_FALSE(seq_newer(0xFFF0, 5));
  EXPECT_FALSE(seq_newer(7, 7));
  EXPECT_TRUE(is_newer_or_equal<std::uint16_t>(7, 7));
}

TEST(SeqNum, HalfwayIsAntisymmetric) {
  EXPECT_NE(seq_newer(0x8000, 0), seq_newer(0, 0x8000));
  EXPECT_NE(seq_newer(0x8123, 0x0123), seq_newer(0x0123, 0x8123));
}

TEST(SeqNum, Diff) {
  EXPECT_EQ(seq_diff(2, 0xFFFE), 4);
  EXPECT_EQ(seq_diff(0xFFFE, 2), -4);
  EXPECT_EQ(seq_diff(100, 100), 0);
  EXPECT_EQ(serial_diff<std::uint32_t>(3, 0xFFFFFFFF), 4);
  EXPECT_EQ(serial_diff<std::uint8_t>(0, 255), 1);
}

TEST(SeqNum, Newest) {
  EXPECT_EQ(newest<std::uint16_t>(0xFFFF, 2), 2);
  EXPECT_EQ(newest<std::uint16_t>(10, 9), 10);
}

TEST(SeqNum, UnwrapForwardThroughSeveralWraps) {
  SeqUnwrapper u;
  std::int64_t expected = 65000;
  EXPECT_EQ(u.unwrap(65000), expected);
  for (int i = 0; i < 200000; ++i) {
    ++expected;
    ASSERT_EQ(u.unwrap(static_cast<std::uint16_t>(expected)), expected);
  }
  EXPECT_GT(expected, 3 * 65536);
}

TEST(SeqNum, UnwrapReorderingAroundWrap) {
  SeqUnwrapper u;
  EXPECT_EQ(u.unwrap(0xFFFE), 0xFFFE);
  EXPECT_EQ(u.unwrap(0x0001), 0x10001);
  EXPECT_EQ(u.unwrap(0xFFFF), 0xFFFF);  // late packet from before the wrap
  EXPECT_EQ(u.unwrap(0x0002), 0x10002);
  EXPECT_EQ(u.peek(0x0003), 0x10003);
  EXPECT_EQ(u.last(), 0x10002);
}

TEST(SeqNum, UnwrapBackwardsFromStart) {
  SeqUnwrapper u;
  EXPECT_EQ(u.unwrap(1), 1);
  EXPECT_EQ(u.unwrap(0xFFFF), -1);
  u.reset();
  EXPECT_FALSE(u.last().has_value());
  EXPECT_EQ(u.unwrap(0xFFFF), 0xFFFF);
}

TEST(SeqNum, TimestampUnwrap) {
  TimestampUnwrapper u;
  EXPECT_EQ(u.unwrap(0xFFFFFF00u), 0xFFFFFF00ll);
  EXPECT_EQ(u.unwrap(0x00000100u), 0x100000100ll);
}

static_assert(seq_newer(1, 0));
static_assert(seq_diff(0, 0xFFFF) == 1);

}  // namespace
}  // namespace parley::rtp
