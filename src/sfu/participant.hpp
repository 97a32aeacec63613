#pragma once

// A participant of a room as its worker sees it: two WebRTC connections
// (publisher: the browser offers and sends; subscriber: we offer and send),
// the tracks it publishes and the down tracks it receives.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtc/media_worker.hpp"
#include "rtp/header_extensions.hpp"
#include "sfu/bandwidth_estimator.hpp"
#include "sfu/down_track.hpp"
#include "sfu/probe_cluster.hpp"
#include "sfu/published_track.hpp"
#include "sfu/twcc_recorder.hpp"

namespace parley::sfu {

// Messages to the participant's signaling connection; called on the worker
// thread, so it must only post.
using EventSink = std::function<void(boost::json::object message)>;

// Which sources a participant may publish (a meeting's grants).
struct SourceSet {
  bool microphone = true, camera = true, screen = true;
  bool allows(Source s) const {
    return s == Source::Microphone ? microphone : s == Source::Camera ? camera : screen;
  }
};

struct ParticipantInfo {
  std::string display_name;
  std::string user_id;
  bool can_publish = true;
  bool can_subscribe = true;  // false: a WHIP publisher, which receives nothing
  SourceSet sources;
  bool start_audio_muted = false;  // a meeting's mute-on-entry, or a host's mute carried into a breakout
};

struct Participant final : PacketSink {
  std::string id;
  ParticipantInfo info;
  EventSink send;
  std::chrono::steady_clock::time_point joined_at;
  std::uint64_t speaker_id = 0;  // its handle in the room's SpeakerDetector
  bool audio_muted = false;
  bool video_muted = false;
  bool screen_sharing = false;

  // Publisher connection.
  ice::TransportId pub_id = 0;
  rtc::LocalTransport pub_local;  // reserved at the first offer
  rtc::WebRtcTransport* pub = nullptr;
  std::uint64_t publisher_answers = 0;  // for the answers' o= version
  rtp::ExtensionMap pub_extensions;
  std::vector<std::unique_ptr<PublishedTrack>> tracks;
  struct SsrcRoute {
    PublishedTrack* track = nullptr;
    std::size_t layer = 0;
    bool rtx = false;
  };
  std::unordered_map<std::uint32_t, SsrcRoute> by_ssrc;
  TwccRecorder uplink_twcc;
  std::uint32_t rtcp_ssrc = 0;  // our SSRC in RTCP we send (RR, NACK, PLI, feedback)

  // Subscriber connection.
  ice::TransportId sub_id = 0;
  rtc::LocalTransport sub_local;
  rtc::WebRtcTransport* sub = nullptr;
  bool sub_rtx = true;
  std::vector<std::unique_ptr<DownTrack>> downs;  // in m= section order; null: a free section
  std::vector<sdp::MediaKind> section_kinds;      // kind of each m= section offered so far
  bool fixed_subscription = false;  // a WHEP viewer: its answer fixed what it gets
  std::uint64_t offer_version = 0;
  bool offer_outstanding = false;  // waiting for the answer
  std::size_t offered_sections = 0;
  bool renegotiate = false;        // something changed meanwhile
  std::uint64_t session_id = 0;
  std::string cname;
  std::uint16_t transport_seq = 0;
  BandwidthEstimator bwe;  // the room sets where it starts (RoomConfig::start_bps)
  std::map<std::string, Quality> quality_of;  // publisher id -> what we asked for
  // Probing the downlink when it should carry more (probe_cluster.hpp).
  ProbeController probes;
  std::optional<ProbeCluster> probe;  // being sent
  std::size_t probe_packets_sent = 0;
  std::uint32_t next_probe_id = 1;
  std::uint64_t last_probe_bps = 0;  // what the last probe measured

  void send_rtp(std::span<std::uint8_t> buffer, std::size_t len, std::uint16_t seq) override {
    if (sub && sub->send_rtp(buffer, len)) bwe.on_packet_sent(seq, len, std::chrono::steady_clock::now());
  }
  std::uint16_t next_transport_seq() override { return transport_seq++; }

  PublishedTrack* track_by_id(std::string_view track_id) {
    for (auto& t : tracks)
      if (t->id == track_id) return t.get();
    return nullptr;
  }
  boost::json::object to_json() const;
};

boost::json::object track_json(const PublishedTrack& track);

}  // namespace parley::sfu
