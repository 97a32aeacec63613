#include "sfu/layer_selector.hpp"

#include <gtest/gtest.h>

namespace parley::sfu {
namespace {

// Typical 3-layer simulcast: 180p, 360p, 720p.
Layers three_layers() {
  Layers l;
  l[0] = {true, 150'000};
  l[1] = {true, 500'000};
  l[2] = {true, 1'500'000};
  return l;
}

constexpr std::uint64_t kPlenty = 10'000'000;

TEST(ChooseLayer, RequestedQualityCapsTheLayer) {
  const Layers l = three_layers();
  EXPECT_EQ(choose_layer(Quality::High, l, kPlenty), 2u);
  EXPECT_EQ(choose_layer(Quality::Medium, l, kPlenty), 1u);
  EXPECT_EQ(choose_layer(Quality::Low, l, kPlenty), 0u);
  EXPECT_EQ(choose_layer(Quality::Off, l, kPlenty), std::nullopt);
}

TEST(ChooseLayer, BudgetCapsTheLayer) {
  const Layers l = three_layers();
  EXPECT_EQ(choose_layer(Quality::High, l, 1'499'999), 1u);
  EXPECT_EQ(choose_layer(Quality::High, l, 500'000), 1u);
  EXPECT_EQ(choose_layer(Quality::High, l, 200'000), 0u);
  EXPECT_EQ(choose_layer(Quality::High, l, 149'999), std::nullopt) << "paused: nothing fits";
}

TEST(ChooseLayer, InactiveLayersAreSkipped) {
  Layers l = three_layers();
  l[2].active = false;
  EXPECT_EQ(choose_layer(Quality::High, l, kPlenty), 1u);
  l[1].active = false;
  EXPECT_EQ(choose_layer(Quality::High, l, kPlenty), 0u);
  l[0].active = false;
  EXPECT_EQ(choose_layer(Quality::High, l, kPlenty), std::nullopt);
}

TEST(ChooseLayer, FallsBackToTheLowestActiveLayerAboveTheRequest) {
  // The publisher stopped its low layer; a thumbnail still gets a picture.
  Layers l = three_layers();
  l[0].active = false;
  EXPECT_EQ(choose_layer(Quality::Low, l, kPlenty), 1u);
  EXPECT_EQ(choose_layer(Quality::Low, l, 400'000), std::nullopt) << "unless it does not fit";
}

TEST(ChooseLayer, UnmeasuredLayerCountsAsFitting) {
  Layers l = three_layers();
  l[2].bitrate_bps = 0;
  EXPECT_EQ(choose_layer(Quality::High, l, 100), 2u);
}

TEST(LayerSelector, StartsAtTheFirstKeyframe) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  EXPECT_EQ(s.target(), 2u);
  EXPECT_TRUE(s.needs_keyframe());
  EXPECT_FALSE(s.on_packet(2, false).forward) << "no picture without a keyframe";
  const auto v = s.on_packet(2, true);
  EXPECT_TRUE(v.forward);
  EXPECT_TRUE(v.switched);
  EXPECT_EQ(s.current(), 2u);
  EXPECT_FALSE(s.needs_keyframe());
  EXPECT_TRUE(s.on_packet(2, false).forward);
  EXPECT_FALSE(s.on_packet(2, false).switched);
  EXPECT_FALSE(s.on_packet(1, false).forward);
  EXPECT_FALSE(s.on_packet(0, true).forward) << "other layers' keyframes are ignored";
}

TEST(LayerSelector, StartsOnALowerKeyframeThenClimbs) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  EXPECT_TRUE(s.on_packet(0, true).switched);
  EXPECT_EQ(s.current(), 0u);
  EXPECT_TRUE(s.needs_keyframe()) << "still aiming at layer 2";
  EXPECT_TRUE(s.on_packet(0, false).forward);
  EXPECT_FALSE(s.on_packet(1, true).forward) << "going up waits for the target itself";
  EXPECT_TRUE(s.on_packet(2, true).switched);
  EXPECT_EQ(s.current(), 2u);
}

TEST(LayerSelector, GoingUpWaitsForTheTargetKeyframe) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), 200'000);
  ASSERT_TRUE(s.on_packet(0, true).switched);
  s.update(Quality::High, three_layers(), kPlenty);  // bandwidth grew
  EXPECT_EQ(s.target(), 2u);
  EXPECT_TRUE(s.needs_keyframe());
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(s.on_packet(0, false).forward) << "the current layer keeps flowing";
    EXPECT_FALSE(s.on_packet(2, false).forward) << "the target is not decodable yet";
  }
  const auto v = s.on_packet(2, true);
  EXPECT_TRUE(v.forward);
  EXPECT_TRUE(v.switched);
  EXPECT_FALSE(s.on_packet(0, false).forward);
  EXPECT_FALSE(s.needs_keyframe());
}

TEST(LayerSelector, GoingDownHappensAtTheLowerLayersKeyframe) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  ASSERT_TRUE(s.on_packet(2, true).switched);
  s.update(Quality::High, three_layers(), 200'000);  // bandwidth dropped
  EXPECT_EQ(s.target(), 0u);
  EXPECT_TRUE(s.needs_keyframe());
  EXPECT_TRUE(s.on_packet(2, false).forward) << "no freeze while waiting";
  EXPECT_FALSE(s.on_packet(0, false).forward);
  EXPECT_FALSE(s.on_packet(1, true).forward) << "layer 1 is not the target";
  EXPECT_TRUE(s.on_packet(2, true).forward) << "the current layer's keyframe is just a packet";
  EXPECT_FALSE(s.on_packet(2, true).switched);
  const auto v = s.on_packet(0, true);
  EXPECT_TRUE(v.forward);
  EXPECT_TRUE(v.switched);
  EXPECT_FALSE(s.on_packet(2, false).forward);
  EXPECT_EQ(s.current(), 0u);
}

TEST(LayerSelector, ChangingTheTargetBackCancelsThePendingSwitch) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  ASSERT_TRUE(s.on_packet(2, true).switched);
  s.update(Quality::Low, three_layers(), kPlenty);
  EXPECT_TRUE(s.needs_keyframe());
  s.update(Quality::High, three_layers(), kPlenty);
  EXPECT_FALSE(s.needs_keyframe());
  EXPECT_FALSE(s.on_packet(0, true).forward);
  EXPECT_EQ(s.current(), 2u);
}

TEST(LayerSelector, CurrentLayerStoppedSwitchesAtAnyLowerKeyframe) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  ASSERT_TRUE(s.on_packet(2, true).switched);
  Layers l = three_layers();
  l[2].active = false;  // the publisher dropped 720p
  s.update(Quality::High, l, kPlenty);
  EXPECT_EQ(s.target(), 1u);
  // Layer 0's keyframe comes first: take it rather than stay frozen.
  const auto v = s.on_packet(0, true);
  EXPECT_TRUE(v.forward);
  EXPECT_TRUE(v.switched);
  EXPECT_EQ(s.current(), 0u);
  EXPECT_TRUE(s.needs_keyframe());
  // Then up to the target as usual.
  EXPECT_TRUE(s.on_packet(1, true).switched);
  EXPECT_EQ(s.current(), 1u);
  EXPECT_FALSE(s.needs_keyframe());
}

TEST(LayerSelector, ActiveCurrentLayerDoesNotTakeAnIntermediateKeyframe) {
  // The contrast to the test above: with layer 2 still active, going down
  // to 0 ignores a keyframe of layer 1.
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  ASSERT_TRUE(s.on_packet(2, true).switched);
  s.update(Quality::Low, three_layers(), kPlenty);
  EXPECT_FALSE(s.on_packet(1, true).forward);
  EXPECT_EQ(s.current(), 2u);
}

TEST(LayerSelector, PauseStopsAtOnceAndResumesAtAKeyframe) {
  LayerSelector s;
  s.update(Quality::High, three_layers(), kPlenty);
  ASSERT_TRUE(s.on_packet(2, true).switched);
  s.update(Quality::High, three_layers(), 100'000);  // nothing fits
  EXPECT_TRUE(s.paused());
  EXPECT_FALSE(s.needs_keyframe()) << "no keyframe requests for a paused track";
  EXPECT_FALSE(s.on_packet(2, false).forward);
  EXPECT_FALSE(s.on_packet(2, true).forward);
  EXPECT_FALSE(s.current());
  s.update(Quality::High, three_layers(), kPlenty);
  EXPECT_TRUE(s.needs_keyframe());
  EXPECT_FALSE(s.on_packet(2, false).forward) << "resume needs a keyframe";
  EXPECT_TRUE(s.on_packet(2, true).switched);
}

TEST(LayerSelector, OffPauses) {
  LayerSelector s;
  s.update(Quality::Off, three_layers(), kPlenty);
  EXPECT_TRUE(s.paused());
  EXPECT_FALSE(s.on_packet(0, true).forward);
}

TEST(LayerSelector, SetTargetDirectly) {
  LayerSelector s;
  s.set_layers(three_layers());
  s.set_target(1);
  EXPECT_FALSE(s.on_packet(2, true).forward) << "above the target";
  EXPECT_TRUE(s.on_packet(1, true).switched);
  s.set_target(7);  // out of range: treated as pause
  EXPECT_TRUE(s.paused());
  EXPECT_FALSE(s.on_packet(1, false).forward);
}

}  // namespace
}  // namespace parley::sfu
