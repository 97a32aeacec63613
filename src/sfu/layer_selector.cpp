#include "sfu/layer_selector.hpp"

namespace parley::sfu {

std::optional<std::size_t> choose_layer(Quality requested, const Layers& layers,
                                        std::uint64_t budget_bps) {
  if (requested == Quality::Off) return std::nullopt;
  const std::size_t max_index = static_cast<std::size_t>(requested) - 1;
  for (std::size_t i = max_index + 1; i-- > 0;) {
    if (layers[i].active && layers[i].bitrate_bps <= budget_bps) return i;
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].active) continue;
    if (layers[i].bitrate_bps <= budget_bps) return i;
    break;  // the lowest active layer does not fit; higher ones will not either
  }
  return std::nullopt;
}

void LayerSelector::set_target(std::optional<std::size_t> target) {
  if (target && *target >= kMaxSpatialLayers) target.reset();
  target_ = target;
  if (!target_) current_.reset();
}

void LayerSelector::update(Quality requested, const Layers& layers, std::uint64_t budget_bps) {
  set_layers(layers);
  set_target(choose_layer(requested, layers, budget_bps));
}

LayerSelector::Verdict LayerSelector::on_packet(std::size_t layer, bool keyframe) {
  if (!target_ || layer >= kMaxSpatialLayers) return {};
  if (keyframe && layer != current_) {
    // The target's keyframe always wins. With no usable current layer (none
    // yet, or it stopped), any keyframe up to the target gets a picture
    // going; needs_keyframe() stays true until the target is reached.
    if (layer == *target_ || (!current_usable() && layer < *target_)) {
      current_ = layer;
      return {true, true};
    }
  }
  return {layer == current_, false};
}

}  // namespace parley::sfu
