#pragma once

// Simulcast layer choice for one subscriber's view of one video track.
// The publisher sends up to three spatial layers of the same picture
// (RFC 8853 §5.1 "a=simulcast", one RTP stream each, low to high); the
// subscriber gets one of them, the highest that both its request (the size
// it renders the video at) and its share of bandwidth allow.
//
// A decoder can only start on a new layer at a keyframe of that layer (VP8,
// RFC 7741 §4.3: intra frames are the only independently decodable ones), so
// choosing a layer (the target) and forwarding it (the current one) are two
// different things:
//   - going up: keep forwarding the current layer, ask the publisher for a
//     keyframe on the target (needs_keyframe(), answered by a PLI, RFC 4585
//     §6.3.1), switch when it arrives;
//   - going down: the same, at the next keyframe of the lower layer; the
//     current layer keeps flowing until then, so the picture never freezes;
//   - the current layer stopped (the publisher turned it off, e.g. for its
//     own uplink): nothing is flowing, so switch at the next keyframe of any
//     layer up to the target, and climb to the target afterwards;
//   - nothing forwarded yet (start, or resume after a pause): likewise, the
//     first keyframe of any layer up to the target starts the picture.
// Temporal layers are not chosen here: all of them are forwarded.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace parley::sfu {

// What the subscriber asks for: typically from the size its UI renders the
// track at (thumbnail Low, tile Medium, full screen High), or Off when the
// track is hidden.
enum class Quality : std::uint8_t { Off, Low, Medium, High };

inline constexpr std::size_t kMaxSpatialLayers = 3;

struct LayerInfo {
  bool active = false;          // the publisher currently sends it
  std::uint64_t bitrate_bps = 0;  // measured; 0 while unknown (counts as fitting)
};

// Index 0 is the lowest resolution.
using Layers = std::array<LayerInfo, kMaxSpatialLayers>;

// The highest layer that fits: the highest active layer whose index is at
// most the requested quality (Low → 0, Medium → 1, High → 2) and whose
// bitrate is within `budget_bps`; failing that the lowest active layer if it
// fits the budget (some video beats none when the publisher stopped the low
// layers); else nullopt (paused). Off is always nullopt.
std::optional<std::size_t> choose_layer(Quality requested, const Layers& layers,
                                        std::uint64_t budget_bps);

class LayerSelector {
 public:
  struct Verdict {
    bool forward = false;   // send this packet to the subscriber
    bool switched = false;  // it opened a new layer: call RtpMunger::switch_to
  };

  // What the publisher currently sends.
  void set_layers(const Layers& layers) { layers_ = layers; }
  // The layer to aim at, nullopt to pause. Pausing takes effect at once;
  // any other change at the next fitting keyframe.
  void set_target(std::optional<std::size_t> target);
  // set_layers, then set_target(choose_layer(...)).
  void update(Quality requested, const Layers& layers, std::uint64_t budget_bps);

  // For every packet of the track: `layer` is the spatial layer it belongs
  // to, `keyframe` whether it is the first packet of a keyframe.
  Verdict on_packet(std::size_t layer, bool keyframe);

  std::optional<std::size_t> target() const { return target_; }
  // The layer being forwarded; nullopt while paused or waiting for a first
  // keyframe.
  std::optional<std::size_t> current() const { return current_; }
  bool paused() const { return !target_; }
  // True while the target differs from what is forwarded: the caller should
  // ask the publisher (through KeyframeThrottle) for a keyframe on target().
  bool needs_keyframe() const { return target_ && current_ != target_; }

 private:
  bool current_usable() const { return current_ && layers_[*current_].active; }

  Layers layers_{};
  std::optional<std::size_t> target_;
  std::optional<std::size_t> current_;
};

}  // namespace parley::sfu
