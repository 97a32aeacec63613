#include "sfu/bandwidth_allocator.hpp"

#include <algorithm>
#include <numeric>

namespace parley::sfu {

namespace {

int priority(const TrackDemand& t) {
  switch (t.kind) {
    case TrackKind::Audio:
      return 0;
    case TrackKind::Screen:
      return 1;
    case TrackKind::Video:
      return t.active_speaker ? 2 : 3;
  }
  return 3;
}

}  // namespace

Allocation allocate(std::uint64_t budget_bps, std::span<const TrackDemand> tracks) {
  std::vector<std::size_t> order(tracks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int pa = priority(tracks[a]), pb = priority(tracks[b]);
    if (pa != pb) return pa < pb;
    return tracks[a].track_id < tracks[b].track_id;
  });

  // Three passes, so that a tight budget lowers everyone before it pauses
  // anyone: audio (never starved), then every video at its lowest layer
  // by priority, then upgrades by priority.
  Allocation result;
  result.tracks.resize(tracks.size());
  std::uint64_t used = 0;
  auto remaining = [&] { return used < budget_bps ? budget_bps - used : 0; };
  for (const std::size_t i : order) {
    const TrackDemand& t = tracks[i];
    TrackAllocation& a = result.tracks[i];
    a.track_id = t.track_id;
    if (t.kind != TrackKind::Audio || t.requested == Quality::Off) continue;
    a.layer = 0;
    a.bitrate_bps = t.layers[0].bitrate_bps;
    used += a.bitrate_bps;
  }
  for (const std::size_t i : order) {
    const TrackDemand& t = tracks[i];
    if (t.kind == TrackKind::Audio || t.requested == Quality::Off) continue;
    auto lowest = std::ranges::find_if(t.layers, [](const LayerInfo& l) { return l.active; });
    if (lowest == t.layers.end() || lowest->bitrate_bps > remaining()) continue;
    TrackAllocation& a = result.tracks[i];
    a.layer = static_cast<std::size_t>(lowest - t.layers.begin());
    a.bitrate_bps = lowest->bitrate_bps;
    used += a.bitrate_bps;
  }
  for (const std::size_t i : order) {
    const TrackDemand& t = tracks[i];
    TrackAllocation& a = result.tracks[i];
    if (t.kind == TrackKind::Audio || !a.layer) continue;
    const auto better = choose_layer(t.requested, t.layers, remaining() + a.bitrate_bps);
    if (!better || *better <= *a.layer) continue;
    used = used - a.bitrate_bps + t.layers[*better].bitrate_bps;
    a.layer = better;
    a.bitrate_bps = t.layers[*better].bitrate_bps;
  }
  result.total_bps = used;
  return result;
}

}  // namespace parley::sfu
