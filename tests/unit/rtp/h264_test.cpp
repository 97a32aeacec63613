#include "rtp/h264.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

std::vector<Bytes> nal_units(const Bytes& payload) {
  std::vector<Bytes> out;
  for_each_h264_nal(payload, [&](std::span<const std::uint8_t> nal) {
    out.emplace_back(nal.begin(), nal.end());
  });
  return out;
}

TEST(H264, SingleNalUnits) {
  // §5.6: IDR slice (NRI=3, type 5).
  auto info = parse_h264_payload(hex("65 88 84 00"));
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->packetization, H264Packetization::SingleNal);
  EXPECT_EQ(info->nal_type, 5);
  EXPECT_EQ(info->nal_count, 1u);
  EXPECT_TRUE(info->has_idr);
  EXPECT_TRUE(info->keyframe());
  // Non-IDR slice.
  info = parse_h264_payload(hex("41 9a 00"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->nal_type, 1);
  EXPECT_FALSE(info->keyframe());
  // SPS alone counts as a keyframe start.
  info = parse_h264_payload(hex("67 42 00 1f"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->has_sps);
  EXPECT_TRUE(info->keyframe());
  // PPS alone does not.
  info = parse_h264_payload(hex("68 ce 3c 80"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->has_pps);
  EXPECT_FALSE(info->keyframe());
  EXPECT_EQ(nal_units(hex("65 88")), (std::vector<Bytes>{hex("65 88")}));
}

// §5.7.1 figure 7: STAP-A (NRI=3, type 24) with SPS, PPS and IDR.
const Bytes kStapA = hex("78  00 04 67 42 00 1f  00 02 68 ce  00 03 65 88 84");

TEST(H264, StapAWithSpsPpsIdr) {
  const auto info = parse_h264_payload(kStapA);
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->packetization, H264Packetization::StapA);
  EXPECT_EQ(info->nal_count, 3u);
  EXPECT_EQ(info->nal_type, 7);  // the first aggregated unit
  EXPECT_TRUE(info->has_sps);
  EXPECT_TRUE(info->has_pps);
  EXPECT_TRUE(info->has_idr);
  EXPECT_TRUE(info->keyframe());
  EXPECT_EQ(nal_units(kStapA),
            (std::vector<Bytes>{hex("67 42 00 1f"), hex("68 ce"), hex("65 88 84")}));
}

TEST(H264, StapAWithoutKeyframe) {
  const auto info = parse_h264_payload(hex("78  00 02 09 f0  00 02 41 9a"));  // AUD + slice
  ASSERT_TRUE(info);
  EXPECT_EQ(info->nal_type, 9);
  EXPECT_FALSE(info->keyframe());
}

TEST(H264, StapBAndMtaps) {
  // STAP-B: DON, then like STAP-A.
  auto info = parse_h264_payload(hex("79 00 01  00 02 65 88"));
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->packetization, H264Packetization::StapB);
  EXPECT_TRUE(info->has_idr);
  // MTAP16: DONB, then size, DOND, TS offset (16 bits), NAL.
  info = parse_h264_payload(hex("7a 00 01  00 02 00 00 10 67 42"));
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->packetization, H264Packetization::Mtap16);
  EXPECT_TRUE(info->has_sps);
  EXPECT_EQ(nal_units(hex("7a 00 01  00 02 00 00 10 67 42")), (std::vector<Bytes>{hex("67 42")}));
  // MTAP24: TS offset of 24 bits.
  info = parse_h264_payload(hex("7b 00 01  00 01 00 00 00 10 41"));
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->packetization, H264Packetization::Mtap24);
  EXPECT_EQ(info->nal_type, 1);
}

TEST(H264, FuAFragments) {
  // §5.8: FU indicator (NRI=3, type 28), FU header S=1 type 5.
  auto info = parse_h264_payload(hex("7c 85 88 84"));
  ASSERT_TRUE(info) << info.error();
  EXPECT_EQ(info->packetization, H264Packetization::FuA);
  EXPECT_TRUE(info->start_of_nal);
  EXPECT_FALSE(info->end_of_nal);
  EXPECT_EQ(info->nal_type, 5);
  EXPECT_TRUE(info->keyframe());
  // Middle and end fragments of the IDR: not a keyframe start.
  info = parse_h264_payload(hex("7c 05 00 00"));
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->start_of_nal);
  EXPECT_FALSE(info->keyframe());
  info = parse_h264_payload(hex("7c 45 00"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->end_of_nal);
  EXPECT_FALSE(info->keyframe());
  // Start of a non-IDR slice.
  info = parse_h264_payload(hex("5c 81 9a"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->nal_type, 1);
  EXPECT_FALSE(info->keyframe());
  // FU-B carries a DON after the FU header.
  info = parse_h264_payload(hex("7d 85 00 01 88"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->packetization, H264Packetization::FuB);
  EXPECT_TRUE(info->keyframe());
  EXPECT_TRUE(nal_units(hex("7c 85 88 84")).empty());
}

TEST(H264, Malformed) {
  EXPECT_EQ(parse_h264_payload({}).error(), Error::Truncated);
  EXPECT_EQ(parse_h264_payload(hex("7c")).error(), Error::Truncated);        // FU-A, no header
  EXPECT_EQ(parse_h264_payload(hex("7d 85 00")).error(), Error::Truncated);  // FU-B, no DON
  EXPECT_EQ(parse_h264_payload(hex("7c c5 00")).error(), Error::Malformed);  // S and E
  EXPECT_EQ(parse_h264_payload(hex("78")).error(), Error::Truncated);        // empty STAP-A
  EXPECT_EQ(parse_h264_payload(hex("78 00 05 67 42")).error(), Error::Truncated);
  EXPECT_EQ(parse_h264_payload(hex("78 00 00 67 42")).error(), Error::Malformed);
  EXPECT_EQ(parse_h264_payload(hex("78 00 01 67 00")).error(), Error::Truncated);  // 1 byte left
  for (std::uint8_t type : {0, 30, 31}) {
    EXPECT_EQ(parse_h264_payload(Bytes{static_cast<std::uint8_t>(0x60 | type), 0}).error(),
              Error::Unsupported);
  }
  for (std::size_t n = 0; n < kStapA.size(); ++n) {
    test::ExactCopy copy(kStapA, n);
    // Cut inside a unit: rejected. Cut between units: fewer units.
    const auto info = parse_h264_payload(copy.cspan());
    if (n == 7 || n == 11) {
      ASSERT_TRUE(info) << n;
      EXPECT_EQ(info->nal_count, n == 7 ? 1u : 2u);
    } else {
      EXPECT_FALSE(info) << n;
    }
    nal_units(Bytes(kStapA.begin(), kStapA.begin() + static_cast<std::ptrdiff_t>(n)));
  }
}

}  // namespace
}  // namespace parley::rtp
