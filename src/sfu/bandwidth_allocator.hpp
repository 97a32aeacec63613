#pragma once

// Splits one subscriber's downlink estimate (BandwidthEstimator) among the
// tracks it receives. What matters most to a person in a meeting comes
// first, so when bandwidth is short the loss lands where it hurts least:
//   1. audio: always allocated, even beyond the budget: a call without
//      sound is broken, one without video is merely degraded; and audio is
//      small (Opus ~ 32-64 kbit/s, RFC 7587 §3.1.1);
//   2. screen share: the content people are looking at;
//   3. the active speaker's video;
//   4. everyone else's video.
// Within a class, by track id (stable and deterministic: the same inputs
// always give the same allocation, so layers do not flap between tracks).
// Audio first; then every video its lowest layer, in that order, while it
// fits (so a short budget lowers everyone before it pauses anyone); then,
// in the same order, each video moves up to the highest layer at or below
// its requested quality that fits what is left (choose_layer in
// layer_selector.hpp). A video whose lowest layer does not fit is paused.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sfu/layer_selector.hpp"

namespace parley::sfu {

enum class TrackKind : std::uint8_t { Audio, Video, Screen };

struct TrackDemand {
  std::uint32_t track_id = 0;
  TrackKind kind = TrackKind::Video;
  bool active_speaker = false;       // its publisher is the active speaker
  Quality requested = Quality::High;  // Off: the subscriber does not want it
  // Video and screen: the publisher's simulcast layers (one active layer
  // for a non-simulcast stream). Audio: layers[0] is the stream.
  Layers layers{};
};

struct TrackAllocation {
  std::uint32_t track_id = 0;
  std::optional<std::size_t> layer;  // nullopt: paused
  std::uint64_t bitrate_bps = 0;     // of that layer, 0 when paused
  friend bool operator==(const TrackAllocation&, const TrackAllocation&) = default;
};

struct Allocation {
  std::vector<TrackAllocation> tracks;  // in the order of the input
  std::uint64_t total_bps = 0;          // may exceed the budget (audio)
};

Allocation allocate(std::uint64_t budget_bps, std::span<const TrackDemand> tracks);

}  // namespace parley::sfu
