// RFC 2198 redundant audio payloads (rtp/red): the primary block found
// behind the redundant ones, and payloads from the network that lie about
// their headers or block lengths refused.

#include "rtp/red.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

// What Chromium sends with red/48000/2 over opus 111 (0x6F): two older
// Opus frames, then the current one.
//   EF 1E 00 03   F=1, PT 111, timestamp offset 1920, length 3
//   EF 0F 00 02   F=1, PT 111, timestamp offset 960, length 2
//   6F            F=0, PT 111: the primary
//   AA AA AA | BB BB | CC DD EE FF
const Bytes kTwoRedundant = hex("EF 1E 00 03  EF 0F 00 02  6F  AA AA AA  BB BB  CC DD EE FF");

TEST(Red, TwoRedundantBlocksThenThePrimary) {
  const auto red = parse_red(kTwoRedundant);
  ASSERT_TRUE(red) << red.error();
  EXPECT_EQ(red->primary_payload_type, 111);
  EXPECT_EQ(red->redundant_blocks, 2u);
  EXPECT_TRUE(red->single_payload_type);
  EXPECT_EQ(Bytes(red->primary.begin(), red->primary.end()), hex("CC DD EE FF"));
  // A view into the payload, not a copy.
  EXPECT_EQ(red->primary.data(), kTwoRedundant.data() + 14);
}

TEST(Red, OnlyThePrimary) {
  // Chromium's first RED packet has nothing older to repeat yet.
  const Bytes payload = hex("6F 01 02 03");
  const auto red = parse_red(payload);
  ASSERT_TRUE(red) << red.error();
  EXPECT_EQ(red->primary_payload_type, 111);
  EXPECT_EQ(red->redundant_blocks, 0u);
  EXPECT_EQ(Bytes(red->primary.begin(), red->primary.end()), hex("01 02 03"));
}

TEST(Red, RedundantBlocksFillingThePayloadLeaveAnEmptyPrimary) {
  const Bytes payload = hex("EF 1E 00 03  6F  AA AA AA");
  const auto red = parse_red(payload);
  ASSERT_TRUE(red) << red.error();
  EXPECT_EQ(red->redundant_blocks, 1u);
  EXPECT_TRUE(red->primary.empty());
}

TEST(Red, BlocksOfAnotherPayloadTypeAreReported) {
  // A redundant block of PT 0 (PCMU) before an Opus primary.
  const auto red = parse_red(hex("80 1E 00 01  6F  AA  CC"));
  ASSERT_TRUE(red) << red.error();
  EXPECT_FALSE(red->single_payload_type);
  EXPECT_EQ(red->primary_payload_type, 111);
  // Redundant blocks that agree with each other but not with the primary.
  const auto other = parse_red(hex("80 1E 00 01  80 0F 00 01  6F  AA BB  CC"));
  ASSERT_TRUE(other) << other.error();
  EXPECT_FALSE(other->single_payload_type);
}

TEST(Red, EmptyPayloadIsTruncated) {
  EXPECT_EQ(parse_red({}).error(), Error::Truncated);
}

TEST(Red, TruncatedHeadersAreRefused) {
  // A redundant header cut short, and one with no primary header after it.
  for (const char* text : {"EF", "EF 1E", "EF 1E 00", "EF 1E 00 03", "EF 1E 00 03 EF 0F"}) {
    SCOPED_TRACE(text);
    const auto red = parse_red(hex(text));
    ASSERT_FALSE(red);
    EXPECT_EQ(red.error(), Error::Truncated);
  }
  // Every prefix of a good payload that ends inside its headers or its
  // redundant blocks (the first 14 bytes).
  for (std::size_t n = 0; n < 14; ++n) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(parse_red(std::span(kTwoRedundant).first(n)));
  }
}

TEST(Red, BlockLengthsBeyondThePayloadAreRefused) {
  // One block claiming 5 bytes where 3 follow.
  EXPECT_EQ(parse_red(hex("EF 1E 00 05  6F  AA AA AA")).error(), Error::Truncated);
  // The largest 10-bit length (1023).
  EXPECT_EQ(parse_red(hex("EF 1E 03 FF  6F  AA AA AA")).error(), Error::Truncated);
  // Each block fits alone; together they do not.
  EXPECT_EQ(parse_red(hex("EF 1E 00 03  EF 0F 00 03  6F  AA AA AA BB BB")).error(), Error::Truncated);
}

TEST(Red, SetPayloadTypesRewritesEveryHeaderAndNothingElse) {
  Bytes payload = kTwoRedundant;
  ASSERT_TRUE(set_red_payload_types(payload, 109));
  // F bits, offsets, lengths and blocks stay; the 7-bit PTs are 109 (0x6D).
  EXPECT_EQ(payload, hex("ED 1E 00 03  ED 0F 00 02  6D  AA AA AA  BB BB  CC DD EE FF"));
  const auto red = parse_red(payload);
  ASSERT_TRUE(red);
  EXPECT_EQ(red->primary_payload_type, 109);
  EXPECT_TRUE(red->single_payload_type);
}

TEST(Red, SetPayloadTypesRefusesMalformedInputUntouched) {
  Bytes bad = hex("EF 1E 00 05  6F  AA AA AA");
  const Bytes before = bad;
  EXPECT_EQ(set_red_payload_types(bad, 109).error(), Error::Truncated);
  EXPECT_EQ(bad, before);
  Bytes good = kTwoRedundant;
  EXPECT_EQ(set_red_payload_types(good, 128).error(), Error::ValueOutOfRange);
  EXPECT_EQ(good, kTwoRedundant);
}

}  // namespace
}  // namespace parley::rtp
