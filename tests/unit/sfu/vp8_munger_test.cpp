#include "sfu/vp8_munger.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "rtp/vp8.hpp"

namespace parley::sfu {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Frame {
  std::optional<std::uint16_t> picture_id{};
  bool long_id = true;
  std::optional<std::uint8_t> tl0{};
  bool keyframe = false;
  bool start = true;
  std::uint8_t tid = 0;
};

// A VP8 RTP payload: descriptor (RFC 7741 §4.2), then a payload header
// whose P bit (§4.3, inverse keyframe flag) says what the frame is, then data.
Bytes payload(const Frame& f) {
  rtp::Vp8Descriptor d;
  d.start_of_partition = f.start;
  d.picture_id = f.picture_id;
  d.long_picture_id = f.long_id;
  d.tl0_pic_idx = f.tl0;
  d.tid = f.tid;
  d.layer_sync = true;
  d.key_idx = 5;
  Bytes out(rtp::vp8_descriptor_size(d));
  EXPECT_TRUE(rtp::write_vp8_descriptor(out, d));
  out.push_back(f.keyframe ? 0x00 : 0x01);
  out.insert(out.end(), {0xAA, 0xBB, 0xCC});
  return out;
}

struct Seen {
  std::optional<std::uint16_t> picture_id{};
  bool long_id = false;
  std::optional<std::uint8_t> tl0{};
};

// Rewrites and reads back, checking that nothing but the two fields moved.
Seen rewrite(Vp8Munger& m, const Frame& f, bool segment_start) {
  Bytes p = payload(f);
  const Bytes before = p;
  const auto r = m.rewrite(p, segment_start);
  EXPECT_TRUE(r);
  EXPECT_EQ(p.size(), before.size()) << "rewriting never changes the length";
  const auto d = rtp::Vp8Descriptor::parse(p);
  EXPECT_TRUE(d);
  if (!d) return {};
  const auto orig = rtp::Vp8Descriptor::parse(before);
  EXPECT_EQ(d->size, orig->size);
  EXPECT_EQ(d->tid, orig->tid);
  EXPECT_EQ(d->layer_sync, orig->layer_sync);
  EXPECT_EQ(d->key_idx, orig->key_idx);
  EXPECT_EQ(d->keyframe, orig->keyframe);
  EXPECT_EQ(d->start_of_partition, orig->start_of_partition);
  EXPECT_TRUE(std::equal(p.begin() + static_cast<std::ptrdiff_t>(d->size), p.end(),
                         before.begin() + static_cast<std::ptrdiff_t>(d->size)))
      << "the VP8 payload itself is untouched";
  return {d->picture_id, d->long_picture_id, d->tl0_pic_idx};
}

TEST(Vp8Munger, FirstSegmentPassesThrough) {
  Vp8Munger m;
  const auto a = rewrite(m, {.picture_id = 1234, .tl0 = 77, .keyframe = true}, true);
  EXPECT_EQ(a.picture_id, 1234);
  EXPECT_EQ(a.tl0, 77);
  const auto b = rewrite(m, {.picture_id = 1235, .tl0 = 78}, false);
  EXPECT_EQ(b.picture_id, 1235);
  EXPECT_EQ(b.tl0, 78);
}

TEST(Vp8Munger, PictureIdAndTl0PicIdxContinueAcrossALayerSwitch) {
  Vp8Munger m;
  // Low layer: pictures 1000-1004, TL0PICIDX 50-54.
  for (std::uint16_t i = 0; i < 5; ++i) {
    rewrite(m, {.picture_id = static_cast<std::uint16_t>(1000 + i),
                .tl0 = static_cast<std::uint8_t>(50 + i), .keyframe = i == 0},
            i == 0);
  }
  // High layer keyframe, numbered independently by the encoder.
  const auto k = rewrite(m, {.picture_id = 20'000, .tl0 = 200, .keyframe = true}, true);
  EXPECT_EQ(k.picture_id, 1005);
  EXPECT_EQ(k.tl0, 55);
  // Second packet of the same frame: same numbers.
  const auto k2 = rewrite(m, {.picture_id = 20'000, .tl0 = 200, .start = false}, false);
  EXPECT_EQ(k2.picture_id, 1005);
  EXPECT_EQ(k2.tl0, 55);
  // Next frames: a TL1 frame (same TL0PICIDX) then a TL0 frame.
  const auto f1 = rewrite(m, {.picture_id = 20'001, .tl0 = 200, .tid = 1}, false);
  const auto f2 = rewrite(m, {.picture_id = 20'002, .tl0 = 201}, false);
  EXPECT_EQ(f1.picture_id, 1006);
  EXPECT_EQ(f1.tl0, 55);
  EXPECT_EQ(f2.picture_id, 1007);
  EXPECT_EQ(f2.tl0, 56);
  // And back to the low layer, which has moved on meanwhile.
  const auto back = rewrite(m, {.picture_id = 1012, .tl0 = 60, .keyframe = true}, true);
  EXPECT_EQ(back.picture_id, 1008);
  EXPECT_EQ(back.tl0, 57);
}

TEST(Vp8Munger, ReorderedAndMissingFramesInsideASegmentKeepTheirDistance) {
  Vp8Munger m;
  rewrite(m, {.picture_id = 10, .tl0 = 1, .keyframe = true}, true);
  rewrite(m, {.picture_id = 500, .tl0 = 9, .keyframe = true}, true);  // -> 11, tl0 2
  const auto later = rewrite(m, {.picture_id = 503, .tl0 = 10}, false);
  const auto earlier = rewrite(m, {.picture_id = 501, .tl0 = 9}, false);
  EXPECT_EQ(later.picture_id, 14);
  EXPECT_EQ(later.tl0, 3);
  EXPECT_EQ(earlier.picture_id, 12);
  EXPECT_EQ(earlier.tl0, 2);
}

TEST(Vp8Munger, FifteenBitPictureIdWraps) {
  Vp8Munger m;
  std::uint16_t pid = 32'765;
  for (int i = 0; i < 5; ++i, pid = (pid + 1) & 0x7FFF) {
    const auto s = rewrite(m, {.picture_id = pid, .keyframe = i == 0}, i == 0);
    EXPECT_EQ(s.picture_id, pid);
    EXPECT_TRUE(s.long_id);
  }
  // Last sent: 1. A switch continues at 2.
  const auto k = rewrite(m, {.picture_id = 9000, .keyframe = true}, true);
  EXPECT_EQ(k.picture_id, 2);
  // The outgoing number wraps too: a source running up to 32767 and beyond.
  Vp8Munger w;
  rewrite(w, {.picture_id = 32'767, .keyframe = true}, true);
  const auto k2 = rewrite(w, {.picture_id = 100, .keyframe = true}, true);
  EXPECT_EQ(k2.picture_id, 0);
  const auto n = rewrite(w, {.picture_id = 101}, false);
  EXPECT_EQ(n.picture_id, 1);
}

TEST(Vp8Munger, SevenBitPictureIdStaysSevenBitsAndWraps) {
  Vp8Munger m;
  std::uint16_t pid = 125;
  for (int i = 0; i < 5; ++i, pid = (pid + 1) & 0x7F) {
    const auto s = rewrite(m, {.picture_id = pid, .long_id = false, .keyframe = i == 0}, i == 0);
    EXPECT_EQ(s.picture_id, pid);
    EXPECT_FALSE(s.long_id);
  }
  // Last sent: 1 (125, 126, 127, 0, 1).
  const auto k = rewrite(m, {.picture_id = 60, .long_id = false, .keyframe = true}, true);
  EXPECT_EQ(k.picture_id, 2);
  EXPECT_FALSE(k.long_id);
  // 200 frames later in the same segment: 7-bit wraps, still continuous.
  std::uint16_t in = 60, out = 2;
  for (int i = 0; i < 200; ++i) {
    in = (in + 1) & 0x7F;
    out = (out + 1) & 0x7F;
    const auto s = rewrite(m, {.picture_id = in, .long_id = false}, false);
    ASSERT_EQ(s.picture_id, out) << i;
  }
}

TEST(Vp8Munger, SwitchBetweenWidthsKeepsEachPacketsWidth) {
  Vp8Munger m;
  rewrite(m, {.picture_id = 1000, .keyframe = true}, true);
  // A layer that uses 7-bit ids: written as (1001 mod 128).
  const auto s = rewrite(m, {.picture_id = 5, .long_id = false, .keyframe = true}, true);
  EXPECT_FALSE(s.long_id);
  EXPECT_EQ(s.picture_id, 1001 % 128);
  const auto t = rewrite(m, {.picture_id = 6, .long_id = false}, false);
  EXPECT_EQ(t.picture_id, 1002 % 128);
  // Back to a 15-bit layer: continues from the unwrapped count.
  const auto u = rewrite(m, {.picture_id = 7000, .keyframe = true}, true);
  EXPECT_TRUE(u.long_id);
  EXPECT_EQ(u.picture_id, 1003);
}

TEST(Vp8Munger, Tl0PicIdxWraps) {
  Vp8Munger m;
  rewrite(m, {.picture_id = 1, .tl0 = 254, .keyframe = true}, true);
  rewrite(m, {.picture_id = 2, .tl0 = 255}, false);
  const auto a = rewrite(m, {.picture_id = 3, .tl0 = 0}, false);
  EXPECT_EQ(a.tl0, 0);
  const auto b = rewrite(m, {.picture_id = 50, .tl0 = 128, .keyframe = true}, true);
  EXPECT_EQ(b.tl0, 1);
}

TEST(Vp8Munger, FieldsAbsentAtTheSegmentStartRebaseWhenTheyAppear) {
  Vp8Munger m;
  rewrite(m, {.picture_id = 40, .keyframe = true}, true);
  // Segment starts with a packet without picture id (left alone)...
  const auto bare = rewrite(m, {.keyframe = true}, true);
  EXPECT_FALSE(bare.picture_id);
  // ...and the first one with a picture id continues from 40.
  const auto s = rewrite(m, {.picture_id = 7777}, false);
  EXPECT_EQ(s.picture_id, 41);
}

TEST(Vp8Munger, MalformedPayloadIsRefusedAndLeftUntouched) {
  Vp8Munger m;
  Bytes p = {0x90, 0x80};  // X and I set, picture id byte missing
  const Bytes before = p;
  const auto r = m.rewrite(p, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), rtp::Error::Truncated);
  EXPECT_EQ(p, before);
}

}  // namespace
}  // namespace parley::sfu
