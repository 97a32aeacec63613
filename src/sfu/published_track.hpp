#pragma once

// A track a participant publishes: one m= section of its publisher
// connection. Video may come as up to three simulcast layers (RFC 8853),
// each its own SSRC, found by the rid header extension (RFC 8852 §3.1),
// with an RTX stream (RFC 4588) found by repaired-rid or the offer's FID
// group. Each layer keeps a packet cache for subscribers' NACKs and a
// bitrate measured over the last second for layer choice.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sdp/session_description.hpp"
#include "sfu/keyframe_throttle.hpp"
#include "sfu/layer_selector.hpp"
#include "sfu/packet_cache.hpp"

namespace parley::sfu {

enum class Source : std::uint8_t { Microphone, Camera, Screen };
std::string_view to_string(Source source);
std::optional<Source> source_from_string(std::string_view text);

class DownTrack;
struct Participant;

// Bytes received over a sliding second, in ten 100 ms buckets.
class BitrateMeter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  void add(std::size_t bytes, TimePoint now);
  std::uint64_t bps(TimePoint now);

 private:
  void advance(TimePoint now);
  std::array<std::uint64_t, 10> buckets_{};
  std::int64_t current_ = -1;  // index of the bucket `now` falls into, in 100 ms since epoch
};

struct Layer {
  explicit Layer(std::size_t cache_capacity = PacketCache::kDefaultCapacity, std::string rid_ = {}) : rid(std::move(rid_)), cache(cache_capacity) {}
  std::string rid;  // empty for a non-simulcast stream
  std::uint32_t ssrc = 0;
  std::uint32_t rtx_ssrc = 0;
  PacketCache cache;
  BitrateMeter bitrate;
  std::chrono::steady_clock::time_point last_packet{};
  // RFC 3550 A.1 for our receiver reports and upstream NACKs.
  bool seq_started = false;
  std::uint16_t max_seq = 0;
  std::uint32_t cycles = 0;
  std::uint32_t received = 0;
  std::uint32_t expected_prior = 0, received_prior = 0;
  std::uint32_t last_sr = 0;  // compact NTP of the publisher's last SR
  std::chrono::steady_clock::time_point last_sr_at{};
  std::uint64_t nacks_sent = 0;
};

struct PublishedTrack {
  std::string id;   // "<participant>:<mid>"
  Participant* owner = nullptr;
  std::string mid;
  sdp::MediaKind kind = sdp::MediaKind::Audio;
  Source source = Source::Microphone;
  bool muted = false;
  bool gated = false;  // audio of a large room, not among the loudest
  std::uint8_t payload_type = 0;
  std::optional<std::uint8_t> rtx_payload_type;
  std::optional<std::uint8_t> red_payload_type;  // audio: RFC 2198 redundancy over payload_type
  std::uint32_t clock_rate = 48000;
  std::uint8_t audio_level_id = 0;  // the publisher's extension id, 0: none
  std::vector<Layer> layers;  // low to high; one for audio and plain video
  KeyframeThrottle keyframes;
  std::vector<DownTrack*> subscribers;

  bool simulcast() const { return layers.size() > 1; }
  Layers layer_info(std::chrono::steady_clock::time_point now);
};

}  // namespace parley::sfu
