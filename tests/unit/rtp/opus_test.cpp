#include "rtp/opus.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::hex;

TEST(Opus, TocOfTypicalWebRtcPacket) {
  // config 15 (Hybrid FB 20 ms), mono, code 0: what browsers send (0x78).
  const auto toc = parse_opus_toc(hex("78 01 02 03"));
  ASSERT_TRUE(toc) << toc.error();
  EXPECT_EQ(toc->config, 15);
  EXPECT_EQ(toc->mode, OpusMode::Hybrid);
  EXPECT_EQ(toc->bandwidth, OpusBandwidth::Full);
  EXPECT_EQ(toc->frame_duration_us, 20'000u);
  EXPECT_FALSE(toc->stereo);
  EXPECT_EQ(toc->frame_count, 1);
  EXPECT_EQ(toc->samples_48k(), 960u);
}

TEST(Opus, ConfigTable) {
  // RFC 6716 Table 2 corners.
  auto toc = parse_opus_toc(hex("00"));  // config 0: SILK NB 10 ms
  EXPECT_EQ(toc->mode, OpusMode::Silk);
  EXPECT_EQ(toc->bandwidth, OpusBandwidth::Narrow);
  EXPECT_EQ(toc->frame_duration_us, 10'000u);
  toc = parse_opus_toc(hex("2b"));  // config 5: SILK MB 20 ms, code 3 needs a count byte
  EXPECT_EQ(toc.error(), Error::Truncated);
  toc = parse_opus_toc(hex("5c"));  // config 11: SILK WB 60 ms, stereo
  EXPECT_EQ(toc->bandwidth, OpusBandwidth::Wide);
  EXPECT_EQ(toc->frame_duration_us, 60'000u);
  EXPECT_TRUE(toc->stereo);
  toc = parse_opus_toc(hex("60"));  // config 12: Hybrid SWB 10 ms
  EXPECT_EQ(toc->bandwidth, OpusBandwidth::SuperWide);
  EXPECT_EQ(toc->frame_duration_us, 10'000u);
  toc = parse_opus_toc(hex("80"));  // config 16: CELT NB 2.5 ms
  EXPECT_EQ(toc->mode, OpusMode::Celt);
  EXPECT_EQ(toc->frame_duration_us, 2'500u);
  EXPECT_EQ(toc->samples_48k(), 120u);
  toc = parse_opus_toc(hex("f9"));  // config 31: CELT FB 20 ms, code 1 (two frames)
  EXPECT_EQ(toc->bandwidth, OpusBandwidth::Full);
  EXPECT_EQ(toc->frame_count, 2);
  EXPECT_EQ(toc->samples_48k(), 1920u);
}

TEST(Opus, Code3FrameCount) {
  // config 31 (20 ms), code 3, M=6: 120 ms, the most allowed.
  auto toc = parse_opus_toc(hex("fb 06"));
  ASSERT_TRUE(toc);
  EXPECT_EQ(toc->frame_count, 6);
  EXPECT_EQ(toc->samples_48k(), 5760u);
  EXPECT_EQ(parse_opus_toc(hex("fb 07")).error(), Error::Malformed);  // 140 ms
  EXPECT_EQ(parse_opus_toc(hex("fb 00")).error(), Error::Malformed);  // no frames
  EXPECT_EQ(parse_opus_toc(hex("83 30")).value().frame_count, 48);    // 48 x 2.5 ms
  EXPECT_EQ(parse_opus_toc({}).error(), Error::Truncated);
}

}  // namespace
}  // namespace parley::rtp
