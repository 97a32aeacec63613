#pragma once

// A room: the participants of one group call and the forwarding between
// them. A room lives on one media worker and everything here runs on that
// worker's thread (the SfuService posts to it); nothing takes a lock on the
// media path.
//
// The way of a packet: publisher transport -> on_publisher_rtp: the SSRC is
// routed to its track and simulcast layer (learned from the mid/rid header
// extensions, RFC 8843 §15.1 / RFC 8852 §3), RTX unwrapped (RFC 4588 §4),
// the packet cached, and handed to every subscriber's DownTrack, which
// rewrites and sends it.
//
// A 100 ms timer drives the rest: transport-wide feedback to publishers,
// bandwidth allocation and layer targets per subscriber (every 500 ms),
// keyframe requests (throttled per track), bandwidth probes when a
// subscriber wants more than its estimate, RTCP reports (every second),
// active speaker, and the subscriber renegotiations that track changes
// asked for.

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "rtc/media_worker.hpp"
#include "sfu/participant.hpp"
#include "sfu/speaker_detector.hpp"

namespace parley::sfu {

struct RoomConfig {
  std::size_t max_participants = 200;
  // Rooms larger than this forward only the `loudest_audio` loudest
  // microphones to each subscriber.
  std::size_t loudest_after = 20;
  std::size_t loudest_audio = 3;
  // Where each subscriber's downlink estimate starts: room for three
  // simulcast videos at their middle layer. Probes take it higher.
  std::uint64_t start_bps = 2'500'000;
};

struct SfuCounters;  // metrics, see sfu_service.hpp

struct TrackSource {
  std::string mid;
  Source source = Source::Camera;
};

class Room {
 public:
  Room(std::string name, rtc::MediaWorker& worker, RoomConfig config, SfuCounters* counters);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }
  std::size_t size() const { return participants_.size(); }

  // The `joined` message for the new participant (ice_servers added by the
  // caller); everyone else hears participant_joined.
  Result<boost::json::object> join(const std::string& participant_id, ParticipantInfo info, EventSink sink);
  // Idempotent. `notify_self`: also tell the participant (the room dropped it).
  void leave(const std::string& participant_id, std::string_view reason = "left");
  bool contains(const std::string& participant_id) const { return participants_.contains(participant_id); }

  // The publisher connection's offer; the answer SDP.
  Result<std::string> publisher_offer(const std::string& participant_id, std::string_view sdp,
                                      const std::vector<TrackSource>& sources);
  Result<void> subscriber_answer(const std::string& participant_id, std::string_view sdp);
  // WHEP (draft-ietf-wish-whep §4.2): the viewer offers recvonly sections;
  // we answer with the tracks of `publisher_id`, one per section of the
  // same kind (camera and microphone first, then a screen share).
  Result<std::string> viewer_offer(const std::string& participant_id, std::string_view sdp,
                                   const std::string& publisher_id);
  std::optional<std::string> user_of(const std::string& participant_id) {
    auto* p = find(participant_id);
    return p ? std::optional(p->info.user_id) : std::nullopt;
  }
  Result<void> subscribe(const std::string& participant_id, const std::string& publisher_id, Quality quality);
  Result<void> set_muted(const std::string& participant_id, sdp::MediaKind kind, bool muted);
  Result<void> set_screen_sharing(const std::string& participant_id, bool sharing);
  // A meeting changed what the participant may publish: tracks of sources
  // no longer allowed stop being forwarded at once.
  Result<void> set_publishing(const std::string& participant_id, bool can_publish, SourceSet sources);

  boost::json::object snapshot();
  // A message to one participant's signaling connection.
  void send_to(const std::string& participant_id, boost::json::object message) {
    if (auto* p = find(participant_id)) p->send(std::move(message));
  }

  // Called when the room removes a participant by itself (its media
  // connection failed), so that the service forgets the membership.
  void on_removed(std::function<void(const std::string& participant_id)> fn) { on_removed_ = std::move(fn); }

 private:
  Participant* find(const std::string& id);
  void broadcast(const boost::json::object& message, const Participant* except = nullptr);
  void add_down_track(Participant& subscriber, PublishedTrack& track);
  void remove_down_tracks_of(PublishedTrack& track);
  void publish(Participant& p, std::unique_ptr<PublishedTrack> track);
  void unpublish(Participant& p, PublishedTrack& track);
  void send_subscriber_offer(Participant& p);
  void transport_failed(const std::string& participant_id);

  void on_publisher_rtp(Participant& p, std::span<std::uint8_t> buffer, std::size_t len);
  void on_publisher_rtcp(Participant& p, std::span<std::uint8_t> buffer, std::size_t len);
  void on_subscriber_rtcp(Participant& p, std::span<std::uint8_t> buffer, std::size_t len);
  Participant::SsrcRoute* learn_ssrc(Participant& p, std::uint32_t ssrc, const rtp::ExtensionValues& values,
                                     std::uint8_t payload_type);
  void note_sequence(Participant& p, PublishedTrack& track, Layer& layer, std::uint16_t seq);
  void request_keyframe(PublishedTrack& track, std::size_t layer, std::chrono::steady_clock::time_point now);

  void start_timer();
  void on_timer();
  void allocate(Participant& subscriber, std::chrono::steady_clock::time_point now);
  void maybe_probe(Participant& subscriber, std::uint64_t desired_bps, std::chrono::steady_clock::time_point now);
  void send_probe_packets();
  void send_reports(std::chrono::steady_clock::time_point now);
  void update_speakers(std::chrono::steady_clock::time_point now);
  void update_loudest();

  std::string name_;
  rtc::MediaWorker& worker_;
  RoomConfig config_;
  SfuCounters* counters_;
  boost::asio::steady_timer timer_;
  bool timer_started_ = false;
  // Paces probe clusters: a few packets every few milliseconds while any
  // subscriber has one under way.
  boost::asio::steady_timer probe_timer_;
  bool probe_timer_running_ = false;
  std::uint64_t ticks_ = 0;
  std::map<std::string, std::unique_ptr<Participant>> participants_;
  SpeakerDetector speakers_;
  std::map<SpeakerId, std::string> speaker_ids_;
  SpeakerId next_speaker_id_ = 1;
  std::optional<SpeakerId> announced_speaker_;
  std::vector<std::string> loudest_;  // participant ids allowed to be heard in large rooms
  std::function<void(const std::string&)> on_removed_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::sfu
