#include "rtp/vp8.hpp"

#include <gtest/gtest.h>

#include <array>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

TEST(Vp8, MinimalDescriptor) {
  // X=0 N=0 S=1 PID=0, then a VP8 payload header with P=0: a keyframe start.
  const auto d = Vp8Descriptor::parse(hex("10 50 00 9d 01 2a"));
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->size, 1u);
  EXPECT_TRUE(d->start_of_partition);
  EXPECT_EQ(d->partition_id, 0);
  EXPECT_TRUE(d->start_of_frame());
  EXPECT_TRUE(d->keyframe);
  EXPECT_FALSE(d->picture_id);
  EXPECT_FALSE(d->tl0_pic_idx);
  EXPECT_FALSE(d->tid);
  EXPECT_FALSE(d->key_idx);
}

TEST(Vp8, InterFrameIsNotKeyframe) {
  // P bit set in the payload header.
  EXPECT_FALSE(Vp8Descriptor::parse(hex("10 51"))->keyframe);
  // Not the start of the first partition.
  EXPECT_FALSE(Vp8Descriptor::parse(hex("00 50"))->keyframe);
  EXPECT_FALSE(Vp8Descriptor::parse(hex("11 50"))->keyframe);  // S=1 but PID=1
}

// RFC 7741 §4.2 with every optional field: X=1 N=1 S=1 PID=0 | I L T K |
// M=1 PictureID 0x1234 | TL0PICIDX 0x56 | TID=2 Y=1 KEYIDX=5.
const Bytes kFull = hex("b0 f0 92 34 56 a5  9c");

TEST(Vp8, AllOptionalFields) {
  const auto d = Vp8Descriptor::parse(kFull);
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d->non_reference);
  EXPECT_EQ(d->size, 6u);
  EXPECT_EQ(d->picture_id, 0x1234);
  EXPECT_TRUE(d->long_picture_id);
  EXPECT_EQ(d->tl0_pic_idx, 0x56);
  EXPECT_EQ(d->tid, 2);
  EXPECT_TRUE(d->layer_sync);
  EXPECT_EQ(d->key_idx, 5);
  EXPECT_TRUE(d->keyframe);  // 0x9c has P=0
}

TEST(Vp8, SevenBitPictureIdOnly) {
  // X=1 S=1 | I | M=0 PictureID 0x7f.
  const auto d = Vp8Descriptor::parse(hex("90 80 7f 00"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->picture_id, 0x7f);
  EXPECT_FALSE(d->long_picture_id);
  EXPECT_EQ(d->size, 3u);
  EXPECT_FALSE(d->tl0_pic_idx);
}

TEST(Vp8, KeyIdxWithoutTid) {
  // K without T: the shared byte carries only KEYIDX.
  const auto d = Vp8Descriptor::parse(hex("80 10 ff 01"));
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->tid);
  EXPECT_FALSE(d->layer_sync);
  EXPECT_EQ(d->key_idx, 31);
}

TEST(Vp8, Truncations) {
  EXPECT_EQ(Vp8Descriptor::parse({}).error(), Error::Truncated);
  EXPECT_EQ(Vp8Descriptor::parse(hex("10")).error(), Error::Truncated);  // no payload byte
  for (std::size_t n = 0; n < kFull.size(); ++n) {
    test::ExactCopy copy(kFull, n);
    EXPECT_EQ(Vp8Descriptor::parse(copy.cspan()).error(), Error::Truncated) << n;
  }
}

TEST(Vp8, WriteRoundTripVariants) {
  std::vector<Vp8Descriptor> variants;
  Vp8Descriptor d;
  variants.push_back(d);
  d.start_of_partition = true;
  d.picture_id = 5;
  variants.push_back(d);
  d.picture_id = 300;  // needs 15 bits
  d.tl0_pic_idx = 255;
  variants.push_back(d);
  d.picture_id = 5;
  d.long_picture_id = true;  // 15-bit form for a small id
  d.tid = 3;
  d.layer_sync = true;
  variants.push_back(d);
  d = {};
  d.non_reference = true;
  d.partition_id = 7;
  d.key_idx = 9;
  variants.push_back(d);
  d.tid = 1;
  variants.push_back(d);

  for (const auto& v : variants) {
    std::array<std::uint8_t, 8> out{};
    const auto n = write_vp8_descriptor(out, v);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, vp8_descriptor_size(v));
    out[*n] = 0x00;  // payload header, P=0
    const auto p = Vp8Descriptor::parse(std::span(out).first(*n + 1));
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->size, *n);
    EXPECT_EQ(p->non_reference, v.non_reference);
    EXPECT_EQ(p->start_of_partition, v.start_of_partition);
    EXPECT_EQ(p->partition_id, v.partition_id);
    EXPECT_EQ(p->picture_id, v.picture_id);
    EXPECT_EQ(p->long_picture_id, v.picture_id && (v.long_picture_id || *v.picture_id > 127));
    EXPECT_EQ(p->tl0_pic_idx, v.tl0_pic_idx);
    EXPECT_EQ(p->tid, v.tid);
    EXPECT_EQ(p->layer_sync, v.tid && v.layer_sync);
    EXPECT_EQ(p->key_idx, v.key_idx);
  }
}

TEST(Vp8, WriteExactBytes) {
  Vp8Descriptor d;
  d.non_reference = true;
  d.start_of_partition = true;
  d.picture_id = 0x1234;
  d.tl0_pic_idx = 0x56;
  d.tid = 2;
  d.layer_sync = true;
  d.key_idx = 5;
  std::array<std::uint8_t, 6> out{};
  ASSERT_EQ(write_vp8_descriptor(out, d).value(), 6u);
  EXPECT_EQ(Bytes(out.begin(), out.end()), Bytes(kFull.begin(), kFull.begin() + 6));
  EXPECT_EQ(write_vp8_descriptor(std::span(out).first(5), d).error(), Error::BufferTooSmall);
  d.tid = 4;
  EXPECT_EQ(write_vp8_descriptor(out, d).error(), Error::ValueOutOfRange);
}

TEST(Vp8, RewritePictureIdAndTl0InPlace) {
  Bytes bytes = kFull;
  ASSERT_TRUE(vp8_set_picture_id(bytes, 0x7abc));
  ASSERT_TRUE(vp8_set_tl0_pic_idx(bytes, 0x99));
  auto d = Vp8Descriptor::parse(bytes);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->picture_id, 0x7abc);
  EXPECT_TRUE(d->long_picture_id);
  EXPECT_EQ(d->tl0_pic_idx, 0x99);
  EXPECT_EQ(d->tid, 2);      // untouched
  EXPECT_EQ(d->key_idx, 5);  // untouched
  EXPECT_EQ(bytes.back(), 0x9c);
  // 15-bit ids wrap at 2^15.
  ASSERT_TRUE(vp8_set_picture_id(bytes, 0x8001));
  EXPECT_EQ(Vp8Descriptor::parse(bytes)->picture_id, 1);

  // A 7-bit id keeps its width.
  Bytes short_id = hex("90 c0 05 10 00");
  ASSERT_TRUE(vp8_set_picture_id(short_id, 0x1ff));
  d = Vp8Descriptor::parse(short_id);
  EXPECT_EQ(d->picture_id, 0x7f);
  EXPECT_FALSE(d->long_picture_id);
  EXPECT_EQ(d->tl0_pic_idx, 0x10);

  // Fields that are not there.
  Bytes plain = hex("10 00");
  EXPECT_EQ(vp8_set_picture_id(plain, 1).error(), Error::NotPresent);
  EXPECT_EQ(vp8_set_tl0_pic_idx(plain, 1).error(), Error::NotPresent);
  Bytes truncated = hex("90 80");
  EXPECT_EQ(vp8_set_picture_id(truncated, 1).error(), Error::Truncated);
}

}  // namespace
}  // namespace parley::rtp
