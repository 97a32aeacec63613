#include "sfu/bandwidth_allocator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace parley::sfu {
namespace {

Layers simulcast() {
  Layers l;
  l[0] = {true, 150'000};
  l[1] = {true, 500'000};
  l[2] = {true, 1'500'000};
  return l;
}

Layers single(std::uint64_t bps) {
  Layers l;
  l[0] = {true, bps};
  return l;
}

TrackDemand audio(std::uint32_t id) { return {id, TrackKind::Audio, false, Quality::High, single(40'000)}; }
TrackDemand video(std::uint32_t id, Quality q = Quality::High, bool speaker = false) {
  return {id, TrackKind::Video, speaker, q, simulcast()};
}
TrackDemand screen(std::uint32_t id) {
  Layers l;
  l[0] = {true, 300'000};
  l[1] = {true, 1'200'000};
  return {id, TrackKind::Screen, false, Quality::High, l};
}

const TrackAllocation& of(const Allocation& a, std::uint32_t id) {
  const auto it = std::find_if(a.tracks.begin(), a.tracks.end(),
                               [&](const TrackAllocation& t) { return t.track_id == id; });
  EXPECT_NE(it, a.tracks.end());
  return *it;
}

TEST(BandwidthAllocator, EverythingAtItsRequestWhenBandwidthIsPlenty) {
  const std::vector<TrackDemand> t = {audio(1), video(2), video(3, Quality::Medium),
                                      video(4, Quality::Low)};
  const auto a = allocate(10'000'000, t);
  ASSERT_EQ(a.tracks.size(), 4u);
  EXPECT_EQ(of(a, 1).layer, 0u);
  EXPECT_EQ(of(a, 2).layer, 2u);
  EXPECT_EQ(of(a, 3).layer, 1u);
  EXPECT_EQ(of(a, 4).layer, 0u);
  EXPECT_EQ(a.total_bps, 40'000u + 1'500'000 + 500'000 + 150'000);
}

TEST(BandwidthAllocator, ResultKeepsTheInputOrder) {
  const std::vector<TrackDemand> t = {video(9), audio(5), screen(7)};
  const auto a = allocate(10'000'000, t);
  ASSERT_EQ(a.tracks.size(), 3u);
  EXPECT_EQ(a.tracks[0].track_id, 9u);
  EXPECT_EQ(a.tracks[1].track_id, 5u);
  EXPECT_EQ(a.tracks[2].track_id, 7u);
}

TEST(BandwidthAllocator, AudioNeverStarves) {
  const std::vector<TrackDemand> t = {video(1), audio(2), audio(3), audio(4)};
  const auto a = allocate(50'000, t);  // less than the three audio streams
  EXPECT_EQ(of(a, 2).layer, 0u);
  EXPECT_EQ(of(a, 3).layer, 0u);
  EXPECT_EQ(of(a, 4).layer, 0u);
  EXPECT_FALSE(of(a, 1).layer) << "video paused";
  EXPECT_EQ(a.total_bps, 120'000u) << "over budget, on purpose";
  const auto zero = allocate(0, t);
  EXPECT_EQ(of(zero, 2).layer, 0u);
}

TEST(BandwidthAllocator, AudioTheSubscriberTurnedOffIsPaused) {
  TrackDemand muted = audio(1);
  muted.requested = Quality::Off;
  const std::vector<TrackDemand> t = {muted};
  const auto a = allocate(1'000'000, t);
  EXPECT_FALSE(of(a, 1).layer);
  EXPECT_EQ(a.total_bps, 0u);
}

TEST(BandwidthAllocator, ScreenShareComesBeforeTheSpeakerBeforeOthers) {
  // Everyone's lowest layer first (40k audio + 300k + 3 x 150k = 790k),
  // then upgrades: the screen to 1.2M, the speaker to 500k, nothing left
  // for the others to go up.
  const std::vector<TrackDemand> t = {video(1), video(2, Quality::High, /*speaker=*/true),
                                      screen(3), audio(4), video(5)};
  const auto a = allocate(40'000 + 1'200'000 + 500'000 + 150'000 + 150'000, t);
  EXPECT_EQ(of(a, 4).layer, 0u);
  EXPECT_EQ(of(a, 3).layer, 1u) << "screen share at full quality";
  EXPECT_EQ(of(a, 2).layer, 1u) << "the speaker goes up next";
  EXPECT_EQ(of(a, 1).layer, 0u) << "the others stay visible at their lowest layer";
  EXPECT_EQ(of(a, 5).layer, 0u);
  EXPECT_EQ(a.total_bps, 2'040'000u);
}

TEST(BandwidthAllocator, SpeakerVideoBeatsALowerTrackId) {
  const std::vector<TrackDemand> t = {video(1), video(2, Quality::High, true)};
  const auto a = allocate(1'800'000, t);
  EXPECT_EQ(of(a, 2).layer, 2u);
  EXPECT_EQ(of(a, 1).layer, 0u);
  // Without the speaker flag, the lower id wins the tie.
  const std::vector<TrackDemand> u = {video(2), video(1)};
  const auto b = allocate(1'800'000, u);
  EXPECT_EQ(of(b, 1).layer, 2u);
  EXPECT_EQ(of(b, 2).layer, 0u);
}

TEST(BandwidthAllocator, LowersEveryoneBeforePausingAnyone) {
  const std::vector<TrackDemand> t = {video(1), video(2), video(3)};
  // 750k: all three at 150k rather than one at 500k and one paused.
  const auto a = allocate(750'000, t);
  EXPECT_EQ(of(a, 1).layer, 0u);
  EXPECT_EQ(of(a, 2).layer, 0u);
  EXPECT_EQ(of(a, 3).layer, 0u);
  EXPECT_EQ(a.total_bps, 450'000u);
  // 350k: two fit at their lowest layer; the last one by priority pauses.
  const auto b = allocate(350'000, t);
  EXPECT_EQ(of(b, 1).layer, 0u);
  EXPECT_EQ(of(b, 2).layer, 0u);
  EXPECT_FALSE(of(b, 3).layer);
  EXPECT_EQ(of(b, 3).bitrate_bps, 0u);
  EXPECT_EQ(b.total_bps, 300'000u);
}

TEST(BandwidthAllocator, RespectsRequestedQualityAndOff) {
  const std::vector<TrackDemand> t = {video(1, Quality::Low), video(2, Quality::Off),
                                      video(3, Quality::Medium)};
  const auto a = allocate(10'000'000, t);
  EXPECT_EQ(of(a, 1).layer, 0u);
  EXPECT_FALSE(of(a, 2).layer);
  EXPECT_EQ(of(a, 3).layer, 1u);
}

TEST(BandwidthAllocator, InactiveLayersAreNotAllocated) {
  TrackDemand v = video(1);
  v.layers[2].active = false;
  const std::vector<TrackDemand> t = {v};
  EXPECT_EQ(of(allocate(10'000'000, t), 1).layer, 1u);
}

TEST(BandwidthAllocator, IsDeterministic) {
  std::vector<TrackDemand> t = {video(8), video(3), audio(6), screen(4), video(5, Quality::Medium),
                                video(1, Quality::High, true)};
  const auto a = allocate(1'000'000, t);
  std::reverse(t.begin(), t.end());
  const auto b = allocate(1'000'000, t);
  for (const auto& x : a.tracks) EXPECT_EQ(of(b, x.track_id), x) << x.track_id;
}

}  // namespace
}  // namespace parley::sfu
