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

  Allocation result;
  result.tracks.resize(tracks.size());
  std::uint64_t used = 0;
  for (const std::size_t i : order) {
    const TrackDemand& t = tracks[i];
    TrackAllocation& a = result.tracks[i];
    a.track_id = t.track_id;
    if (t.kind == TrackKind::Audio) {
      if (t.requested != Quality::Off) a.layer = 0;  // never starved
    } else {
      const std::uint64_t remaining = used < budget_bps ? budget_bps - used : 0;
      a.layer = choose_layer(t.requested, t.layers, remaining);
    }
    if (a.layer) a.bitrate_bps = t.layers[*a.layer].bitrate_bps;
    used += a.bitrate_bps;
  }
  result.total_bps = used;
  return result;
}

}  // namespace parley::sfu
