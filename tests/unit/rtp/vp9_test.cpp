#include "rtp/vp9.hpp"

#include <gtest/gtest.h>

#include <array>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

// Non-flexible mode (§4.2): I=1 L=1 B=1 | M=1 picture id 0x0123 |
// TID=1 U=1 SID=0 D=0 | TL0PICIDX 0x42 | VP9 data.
const Bytes kNonFlexible = hex("a8 81 23 30 42 00");

TEST(Vp9, NonFlexibleMode) {
  const auto d = Vp9Descriptor::parse(kNonFlexible);
  ASSERT_TRUE(d) << d.error();
  EXPECT_FALSE(d->flexible);
  EXPECT_FALSE(d->inter_picture_predicted);
  EXPECT_TRUE(d->begin_of_frame);
  EXPECT_FALSE(d->end_of_frame);
  EXPECT_EQ(d->picture_id, 0x0123);
  EXPECT_TRUE(d->long_picture_id);
  EXPECT_EQ(d->tid, 1);
  EXPECT_TRUE(d->switching_up);
  EXPECT_EQ(d->sid, 0);
  EXPECT_FALSE(d->inter_layer_dependent);
  EXPECT_EQ(d->tl0_pic_idx, 0x42);
  EXPECT_EQ(d->num_ref_pics, 0);
  EXPECT_FALSE(d->ss);
  EXPECT_EQ(d->size, 5u);
  EXPECT_TRUE(d->keyframe);
}

// Flexible mode: I=1 P=1 L=1 F=1 E=1 | picture id 5 | TID=2 SID=1 D=1 |
// P_DIFF 1 (N=1) | P_DIFF 4 | data.
const Bytes kFlexible = hex("f4 05 43 03 08 00");

TEST(Vp9, FlexibleModeWithReferences) {
  const auto d = Vp9Descriptor::parse(kFlexible);
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d->flexible);
  EXPECT_TRUE(d->inter_picture_predicted);
  EXPECT_TRUE(d->end_of_frame);
  EXPECT_EQ(d->picture_id, 5);
  EXPECT_FALSE(d->long_picture_id);
  EXPECT_EQ(d->tid, 2);
  EXPECT_EQ(d->sid, 1);
  EXPECT_TRUE(d->inter_layer_dependent);
  EXPECT_FALSE(d->tl0_pic_idx);  // not in flexible mode
  ASSERT_EQ(d->num_ref_pics, 2);
  EXPECT_EQ(d->p_diff[0], 1);
  EXPECT_EQ(d->p_diff[1], 4);
  EXPECT_EQ(d->size, 5u);
  EXPECT_FALSE(d->keyframe);
}

// Scalability structure (§4.2.1): I=1 B=1 E=1 V=1 | picture id 0 |
// N_S=2 Y=1 G=1 | 320x180 640x360 1280x720 | N_G=2 | TID=0 R=0 |
// TID=1 U=1 R=1, P_DIFF 1 | data.
const Bytes kWithSs = hex("8e 00 58  01 40 00 b4  02 80 01 68  05 00 02 d0  02 00 34 01  00");

TEST(Vp9, ScalabilityStructure) {
  const auto d = Vp9Descriptor::parse(kWithSs);
  ASSERT_TRUE(d) << d.error();
  ASSERT_TRUE(d->ss);
  const auto& ss = *d->ss;
  EXPECT_EQ(ss.spatial_layers, 3);
  EXPECT_TRUE(ss.has_resolution);
  EXPECT_EQ(ss.width[0], 320);
  EXPECT_EQ(ss.height[0], 180);
  EXPECT_EQ(ss.width[2], 1280);
  EXPECT_EQ(ss.height[2], 720);
  EXPECT_TRUE(ss.has_group);
  EXPECT_EQ(ss.group_size, 2);
  std::array<Vp9GroupPicture, 4> pictures{};
  ASSERT_EQ(ss.pictures(pictures), 2u);
  EXPECT_EQ(pictures[0], (Vp9GroupPicture{0, false, 0, {}}));
  EXPECT_EQ(pictures[1], (Vp9GroupPicture{1, true, 1, {1, 0, 0}}));
  EXPECT_EQ(d->size, kWithSs.size() - 1);
  EXPECT_TRUE(d->keyframe);  // B, not P, no layer indices = base layer
}

TEST(Vp9, KeyframeOnlyOnLowestSpatialLayer) {
  // As kNonFlexible but SID=1.
  const Bytes upper = hex("a8 81 23 32 42 00");
  EXPECT_EQ(Vp9Descriptor::parse(upper)->sid, 1);
  EXPECT_FALSE(Vp9Descriptor::parse(upper)->keyframe);
  // Not the beginning of the frame.
  EXPECT_FALSE(Vp9Descriptor::parse(hex("a0 81 23 30 42 00"))->keyframe);
  // Minimal descriptor: B only.
  const auto d = Vp9Descriptor::parse(hex("08 00"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->keyframe);
  EXPECT_EQ(d->size, 1u);
}

TEST(Vp9, Malformed) {
  // Four P_DIFFs, each saying another follows.
  EXPECT_EQ(Vp9Descriptor::parse(hex("50 03 05 07 09 00")).error(), Error::Malformed);
  // P_DIFF of 0.
  EXPECT_EQ(Vp9Descriptor::parse(hex("50 00 00")).error(), Error::Malformed);
  for (const Bytes* bytes : {&kNonFlexible, &kFlexible, &kWithSs}) {
    for (std::size_t n = 0; n < bytes->size(); ++n) {
      test::ExactCopy copy(*bytes, n);
      EXPECT_EQ(Vp9Descriptor::parse(copy.cspan()).error(), Error::Truncated) << n;
    }
  }
}

TEST(Vp9, WriteRoundTrip) {
  for (const Bytes* bytes : {&kNonFlexible, &kFlexible, &kWithSs}) {
    const auto d = Vp9Descriptor::parse(*bytes);
    ASSERT_TRUE(d);
    std::array<Vp9GroupPicture, 8> pictures{};
    const std::size_t np = d->ss ? d->ss->pictures(pictures) : 0;
    std::array<std::uint8_t, 64> out{};
    const auto n = write_vp9_descriptor(out, *d, std::span(pictures).first(np));
    ASSERT_TRUE(n) << n.error();
    EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)),
              Bytes(bytes->begin(), bytes->end() - 1));
  }
}

TEST(Vp9, WriteValidates) {
  std::array<std::uint8_t, 64> out{};
  Vp9Descriptor d;
  d.tid = 1;  // L needs both indices
  EXPECT_EQ(write_vp9_descriptor(out, d).error(), Error::ValueOutOfRange);
  d.sid = 0;  // non-flexible L also needs TL0PICIDX
  EXPECT_EQ(write_vp9_descriptor(out, d).error(), Error::ValueOutOfRange);
  d.tl0_pic_idx = 1;
  EXPECT_TRUE(write_vp9_descriptor(out, d));
  d.flexible = true;
  d.inter_picture_predicted = true;  // flexible P needs 1-3 references
  EXPECT_EQ(write_vp9_descriptor(out, d).error(), Error::ValueOutOfRange);
  d.num_ref_pics = 1;
  d.p_diff[0] = 128;
  EXPECT_EQ(write_vp9_descriptor(out, d).error(), Error::ValueOutOfRange);
  d.p_diff[0] = 127;
  EXPECT_TRUE(write_vp9_descriptor(out, d));
  EXPECT_EQ(write_vp9_descriptor(std::span(out).first(2), d).error(), Error::BufferTooSmall);
}

TEST(Vp9, RewriteInPlace) {
  Bytes bytes = kNonFlexible;
  ASSERT_TRUE(vp9_set_picture_id(bytes, 0x7fff));
  ASSERT_TRUE(vp9_set_tl0_pic_idx(bytes, 7));
  const auto d = Vp9Descriptor::parse(bytes);
  EXPECT_EQ(d->picture_id, 0x7fff);
  EXPECT_EQ(d->tl0_pic_idx, 7);
  EXPECT_EQ(d->tid, 1);
  Bytes flexible = kFlexible;
  ASSERT_TRUE(vp9_set_picture_id(flexible, 0x1ff));
  EXPECT_EQ(Vp9Descriptor::parse(flexible)->picture_id, 0x7f);
  EXPECT_EQ(vp9_set_tl0_pic_idx(flexible, 1).error(), Error::NotPresent);
  Bytes none = hex("08 00");
  EXPECT_EQ(vp9_set_picture_id(none, 1).error(), Error::NotPresent);
}

}  // namespace
}  // namespace parley::rtp
