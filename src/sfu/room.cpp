#include "sfu/room.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <array>
#include <random>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "rtc/answer.hpp"
#include "rtc/offer.hpp"
#include "rtp/rtcp_feedback.hpp"
#include "rtp/rtcp_packet.hpp"
#include "rtp/rtcp_reports.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/rtx.hpp"
#include "rtp/transport_cc.hpp"
#include "rtp/vp8.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"
#include "sfu/bandwidth_allocator.hpp"
#include "sfu/sfu_service.hpp"
#include "srtp/srtp_profile.hpp"

namespace parley::sfu {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);
// A probe cluster lasts about 15 ms (libwebrtc's minimum), sent in 5 bursts
// 3 ms apart: spread enough that feedback's 250 µs arrival ticks see its rate.
constexpr auto kProbeDuration = std::chrono::milliseconds(15);
constexpr auto kProbeInterval = std::chrono::milliseconds(3);
constexpr std::size_t kProbeBursts = 5;
constexpr std::uint8_t kProbePadding = 255;  // the most one padding count byte says (RFC 3550 §5.1)
constexpr std::size_t kProbePacketBytes = 12 + 12 + kProbePadding;  // header, extensions, padding
constexpr std::size_t kRtcpBuffer = 1200;
// Audio is never NACKed by browsers; a short cache keeps memory small.
constexpr std::size_t kAudioCache = 16;
constexpr std::size_t kVideoCache = 512;  // > 1 s at 1.5 Mbit/s

std::uint32_t random_ssrc() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (;;)
    if (const auto s = static_cast<std::uint32_t>(rng()); s != 0) return s;
}

bool is_keyframe(const PublishedTrack& track, const rtp::RtpPacket& packet) {
  if (track.kind != sdp::MediaKind::Video) return false;
  auto d = rtp::Vp8Descriptor::parse(packet.payload());
  return d && d->keyframe && d->start_of_frame();
}

json::object error_json(const Error& e) { return {{"type", "error"}, {"code", e.code}, {"message", e.message}}; }

}  // namespace

std::string_view to_string(Source source) {
  switch (source) {
    case Source::Microphone: return "microphone";
    case Source::Camera: return "camera";
    case Source::Screen: return "screen";
  }
  return "camera";
}

std::optional<Source> source_from_string(std::string_view text) {
  if (text == "microphone") return Source::Microphone;
  if (text == "camera") return Source::Camera;
  if (text == "screen") return Source::Screen;
  return std::nullopt;
}

void BitrateMeter::advance(TimePoint now) {
  const auto index = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() / 100;
  if (current_ < 0) current_ = index;
  for (auto i = current_ + 1; i <= index && i <= current_ + 10; ++i) buckets_[static_cast<std::size_t>(i % 10)] = 0;
  if (index > current_) current_ = index;
}

void BitrateMeter::add(std::size_t bytes, TimePoint now) {
  advance(now);
  buckets_[static_cast<std::size_t>(current_ % 10)] += bytes;
}

std::uint64_t BitrateMeter::bps(TimePoint now) {
  advance(now);
  std::uint64_t total = 0;
  for (auto b : buckets_) total += b;
  return total * 8;
}

Layers PublishedTrack::layer_info(Clock::time_point now) {
  Layers out{};
  for (std::size_t i = 0; i < layers.size() && i < out.size(); ++i) {
    auto& l = layers[i];
    // A layer that sent nothing for a second is not being sent (Chromium
    // stops the upper layers when its uplink estimate is low).
    out[i].active = l.ssrc != 0 && now - l.last_packet < std::chrono::seconds(1);
    out[i].bitrate_bps = l.bitrate.bps(now);
  }
  return out;
}

json::object track_json(const PublishedTrack& t) {
  json::array layers;
  for (const auto& l : t.layers) layers.push_back(json::string(l.rid.empty() ? "single" : l.rid));
  return {{"track_id", t.id},
          {"kind", sdp::to_string(t.kind)},
          {"source", to_string(t.source)},
          {"muted", t.muted},
          {"layers", std::move(layers)}};
}

json::object Participant::to_json() const {
  json::array list;
  for (const auto& t : tracks) list.push_back(track_json(*t));
  return {{"participant_id", id},       {"display_name", info.display_name}, {"user_id", info.user_id},
          {"audio_muted", audio_muted}, {"video_muted", video_muted},        {"screen_sharing", screen_sharing},
          {"tracks", std::move(list)}};
}

Room::Room(std::string name, rtc::MediaWorker& worker, RoomConfig config, SfuCounters* counters)
    : name_(std::move(name)), worker_(worker), config_(config), counters_(counters), timer_(worker.io()), probe_timer_(worker.io()) {}

Room::~Room() {
  *alive_ = false;
  timer_.cancel();
  std::vector<std::string> ids;
  for (const auto& [id, p] : participants_) ids.push_back(id);
  for (const auto& id : ids) leave(id);
}

Participant* Room::find(const std::string& id) {
  auto it = participants_.find(id);
  return it == participants_.end() ? nullptr : it->second.get();
}

void Room::broadcast(const json::object& message, const Participant* except) {
  for (auto& [id, p] : participants_)
    if (p.get() != except) p->send(message);
}

Result<json::object> Room::join(const std::string& participant_id, ParticipantInfo info, EventSink sink) {
  if (participants_.size() >= config_.max_participants) return fail("room_full", "the room is full");
  if (!timer_started_) {
    timer_started_ = true;
    start_timer();
  }
  auto p = std::make_unique<Participant>();
  p->id = participant_id;
  p->info = std::move(info);
  p->audio_muted = p->info.start_audio_muted;
  p->send = std::move(sink);
  p->joined_at = Clock::now();
  p->bwe = BandwidthEstimator(BandwidthEstimator::Config{.start_bps = config_.start_bps});
  p->rtcp_ssrc = random_ssrc();
  p->cname = random_hex(8);
  std::random_device rd;
  p->session_id = ((std::uint64_t{rd()} << 32) | rd()) & 0x7fffffffffffffffULL;
  p->speaker_id = next_speaker_id_++;
  speaker_ids_[p->speaker_id] = participant_id;
  json::array others;
  for (const auto& [id, other] : participants_) others.push_back(other->to_json());
  broadcast({{"type", "participant_joined"}, {"participant", p->to_json()}});
  auto& ref = *p;
  participants_.emplace(participant_id, std::move(p));
  if (counters_) counters_->participants->add(1);
  // Everything already published comes to the newcomer.
  for (auto& [id, other] : participants_)
    if (other.get() != &ref)
      for (auto& t : other->tracks) add_down_track(ref, *t);
  spdlog::info("room {}: {} joined ({} participants)", name_, participant_id, participants_.size());
  return json::object{{"type", "joined"},
                      {"room", name_},
                      {"participant_id", participant_id},
                      {"participants", std::move(others)}};
}

void Room::leave(const std::string& participant_id, std::string_view reason) {
  auto it = participants_.find(participant_id);
  if (it == participants_.end()) return;
  auto p = std::move(it->second);
  participants_.erase(it);
  if (counters_) counters_->participants->add(-1);
  for (auto& t : p->tracks) {
    remove_down_tracks_of(*t);
    if (counters_) counters_->tracks->add(-1);
  }
  // Its own down tracks stop being subscribers of the others' tracks.
  for (auto& d : p->downs) {
    if (!d) continue;
    auto& subs = d->source().subscribers;
    std::erase(subs, d.get());
  }
  speakers_.remove(p->speaker_id);
  if (announced_speaker_ == p->speaker_id) announced_speaker_.reset();
  speaker_ids_.erase(p->speaker_id);
  if (p->pub_id) {
    if (p->pub) {
      p->pub->on_rtp(nullptr);
      p->pub->on_rtcp(nullptr);
    }
    worker_.release_transport(p->pub_id);
  }
  if (p->sub_id) {
    if (p->sub) p->sub->on_rtcp(nullptr);
    worker_.release_transport(p->sub_id);
  }
  broadcast({{"type", "participant_left"}, {"participant_id", participant_id}});
  spdlog::info("room {}: {} {} ({} participants)", name_, participant_id, reason, participants_.size());
}

void Room::transport_failed(const std::string& participant_id) {
  // Posted: the worker is inside its transport removal right now.
  boost::asio::post(worker_.io(), [this, alive = std::weak_ptr<bool>(alive_), participant_id] {
    if (alive.expired()) return;
    auto* p = find(participant_id);
    if (!p) return;
    p->send({{"type", "error"}, {"code", "media_failed"}, {"message", "the media connection was lost"}});
    leave(participant_id, "lost its media connection");
    if (on_removed_) on_removed_(participant_id);
  });
}

void Room::add_down_track(Participant& subscriber, PublishedTrack& track) {
  if (!subscriber.info.can_subscribe || subscriber.fixed_subscription) return;
  std::size_t slot = subscriber.downs.size();
  for (std::size_t i = 0; i < subscriber.downs.size(); ++i)
    if (!subscriber.downs[i] && subscriber.section_kinds[i] == track.kind) {
      slot = i;
      break;
    }
  if (slot == subscriber.downs.size()) {
    subscriber.downs.emplace_back();
    subscriber.section_kinds.push_back(track.kind);
  }
  const bool video = track.kind == sdp::MediaKind::Video;
  auto down = std::make_unique<DownTrack>(track, subscriber, std::to_string(slot), random_ssrc(),
                                          video ? random_ssrc() : 0, OutgoingFormat::of_our_offer(!video));
  down->set_rtx(subscriber.sub_rtx);
  if (auto q = subscriber.quality_of.find(track.owner->id); q != subscriber.quality_of.end() && video)
    down->set_quality(q->second);
  track.subscribers.push_back(down.get());
  subscriber.downs[slot] = std::move(down);
  subscriber.renegotiate = true;
}

void Room::remove_down_tracks_of(PublishedTrack& track) {
  for (auto& [id, p] : participants_)
    for (auto& d : p->downs)
      if (d && &d->source() == &track) {
        d.reset();
        p->renegotiate = true;
      }
  track.subscribers.clear();
}

void Room::publish(Participant& p, std::unique_ptr<PublishedTrack> track) {
  auto& t = *track;
  p.tracks.push_back(std::move(track));
  if (counters_) counters_->tracks->add(1);
  for (auto& [id, other] : participants_)
    if (other.get() != &p) add_down_track(*other, t);
  broadcast({{"type", "track_published"}, {"participant_id", p.id}, {"track", track_json(t)}}, &p);
}

void Room::unpublish(Participant& p, PublishedTrack& track) {
  remove_down_tracks_of(track);
  std::erase_if(p.by_ssrc, [&](const auto& e) { return e.second.track == &track; });
  const std::string id = track.id;
  std::erase_if(p.tracks, [&](const auto& t) { return t.get() == &track; });
  if (counters_) counters_->tracks->add(-1);
  broadcast({{"type", "track_unpublished"}, {"participant_id", p.id}, {"track_id", id}}, &p);
}

Result<std::string> Room::publisher_offer(const std::string& participant_id, std::string_view text,
                                          const std::vector<TrackSource>& sources) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  if (!p->info.can_publish) return fail("forbidden", "this participant may not publish");
  auto offer = sdp::parse(text);
  if (!offer) return fail("invalid_sdp", offer.error().to_string());

  rtc::LocalTransport local;
  if (!p->pub) {
    if (!p->pub_id) {
      auto reserved = worker_.reserve_transport();
      if (!reserved) return fail("media_unavailable", reserved.error());
      p->pub_local = *reserved;
      p->pub_id = reserved->id;
    }
    local = p->pub_local;  // reserved by an earlier offer that was refused
  } else {
    local.id = p->pub_id;
    local.candidates = worker_.candidates();
    local.certificate = dtls::Certificate::process_certificate().value_or(nullptr);
    local.ice = p->pub->ice().local_credentials();
  }
  rtc::AnswerOptions options;
  options.ice = local.ice;
  options.fingerprint = local.certificate->fingerprint();
  options.candidates = local.candidates;
  options.cname = p->cname;
  options.stream_id = "parley-sfu";
  options.session_id = p->session_id;
  options.sfu_publisher = true;
  auto answer = rtc::answer_for(*offer, options);
  if (!answer) return fail("unacceptable_offer", answer.error());

  if (!p->pub) {
    auto transport = worker_.create_transport(
        p->pub_id, rtc::RemoteTransport{answer->remote_ice, answer->remote_fingerprint, answer->dtls_role},
        [this, participant_id] { transport_failed(participant_id); });
    if (!transport) return fail("media_unavailable", transport.error());
    p->pub = *transport;
    p->pub->on_rtp([this, p](std::span<std::uint8_t> b, std::size_t n) { on_publisher_rtp(*p, b, n); });
    p->pub->on_rtcp([this, p](std::span<std::uint8_t> b, std::size_t n) { on_publisher_rtcp(*p, b, n); });
  } else if (p->pub->ice().remote_credentials() != answer->remote_ice) {
    // RFC 8445 §9: an ICE restart; the answer must carry our new credentials.
    auto creds = worker_.restart_ice(p->pub_id, answer->remote_ice);
    if (!creds) return fail("unacceptable_offer", "the ICE restart was refused");
    for (auto& m : answer->description.media) {
      m.ice_ufrag = creds->ufrag;
      m.ice_pwd = creds->pwd;
    }
  }

  answer->description.origin.session_version = ++p->publisher_answers + 1;  // RFC 3264 §8
  // Header extensions: BUNDLE makes the ids one space (RFC 8843 §9.2).
  p->pub_extensions.clear();
  // Tracks: every accepted section the browser sends on.
  std::vector<std::string> live;
  std::optional<Source> refused;
  for (const auto& s : answer->sections) {
    if (!s.accepted || s.direction != sdp::Direction::RecvOnly) continue;
    if (s.kind != sdp::MediaKind::Audio && s.kind != sdp::MediaKind::Video) continue;
    for (const auto& e : s.extensions) p->pub_extensions.set(static_cast<std::uint8_t>(e.id), e.uri);
    live.push_back(s.mid);
    // msid-id token chars only (RFC 8830 §2): it goes into a=msid.
    const std::string track_id = p->id + "-" + s.mid;
    if (p->track_by_id(track_id)) continue;
    auto t = std::make_unique<PublishedTrack>();
    t->id = track_id;
    t->owner = p;
    t->mid = s.mid;
    t->kind = s.kind;
    t->source = s.kind == sdp::MediaKind::Audio ? Source::Microphone : Source::Camera;
    for (const auto& src : sources)
      if (src.mid == s.mid) t->source = src.source;
    if (!p->info.sources.allows(t->source)) {
      refused = t->source;
      continue;
    }
    t->payload_type = s.payload_type;
    t->rtx_payload_type = s.rtx_payload_type;
    t->red_payload_type = s.red_payload_type;
    t->clock_rate = s.clock_rate ? s.clock_rate : 90000;
    for (const auto& e : s.extensions)
      if (e.uri == rtc::kUriAudioLevel) t->audio_level_id = static_cast<std::uint8_t>(e.id);
    t->muted = (t->source == Source::Microphone && p->audio_muted) || (t->source == Source::Camera && p->video_muted);
    const std::size_t cache = s.kind == sdp::MediaKind::Audio ? kAudioCache : kVideoCache;
    if (s.rids.empty()) {
      t->layers.emplace_back(cache);
    } else {
      for (const auto& rid : s.rids) {
        t->layers.emplace_back(cache, rid);
      }
      // The usual names order low to high; otherwise the offer's order is.
      const auto rank = [](const std::string& rid) {
        return rid == "q" ? 0 : rid == "h" ? 1 : rid == "f" ? 2 : 3;
      };
      std::stable_sort(t->layers.begin(), t->layers.end(),
                       [&](const Layer& a, const Layer& b) { return rank(a.rid) < rank(b.rid); });
      while (t->layers.size() > kMaxSpatialLayers) t->layers.pop_back();
    }
    // Signaled SSRCs (no simulcast): the primary, and RTX by FID (RFC 5576 §4.2).
    const auto* section = offer->find_media(s.mid);
    if (s.rids.empty() && !s.remote_ssrcs.empty()) {
      t->layers[0].ssrc = s.remote_ssrcs.front();
      p->by_ssrc[t->layers[0].ssrc] = {t.get(), 0, false};
      if (section)
        for (const auto& g : section->ssrc_groups)
          if (g.semantics == "FID" && g.ssrcs.size() == 2 && g.ssrcs[0] == t->layers[0].ssrc) {
            t->layers[0].rtx_ssrc = g.ssrcs[1];
            p->by_ssrc[g.ssrcs[1]] = {t.get(), 0, true};
          }
    }
    spdlog::info("room {}: {} publishes {} {} ({} layers)", name_, p->id, sdp::to_string(t->kind),
                 to_string(t->source), t->layers.size());
    publish(*p, std::move(t));
  }
  // Tracks whose sections stopped sending are gone (RFC 8829 §5.2.2).
  std::vector<PublishedTrack*> gone;
  for (auto& t : p->tracks)
    if (std::ranges::find(live, t->mid) == live.end()) gone.push_back(t.get());
  for (auto* t : gone) unpublish(*p, *t);
  if (refused) {
    // The answer already stands for the other sections; the refused one
    // is simply not forwarded, and the client hears why.
    p->send(error_json({"forbidden", "publishing " + std::string(to_string(*refused)) + " is not allowed"}));
  }
  const bool sharing = std::ranges::any_of(p->tracks, [](const auto& t) { return t->source == Source::Screen; });
  if (sharing != p->screen_sharing) {
    p->screen_sharing = sharing;
    broadcast({{"type", "participant_state"}, {"participant", p->to_json()}});
  }
  for (auto& [id, other] : participants_)
    if (other->renegotiate && !other->offer_outstanding) send_subscriber_offer(*other);
  return sdp::serialize(answer->description);
}

void Room::send_subscriber_offer(Participant& p) {
  p.renegotiate = false;
  if (p.downs.empty() || p.fixed_subscription || !p.info.can_subscribe) return;
  if (!p.sub_id) {
    auto reserved = worker_.reserve_transport();
    if (!reserved) {
      p.send(error_json({"media_unavailable", reserved.error()}));
      return;
    }
    p.sub_local = *reserved;
    p.sub_id = reserved->id;
  }
  std::vector<rtc::OfferTrack> tracks;
  json::array described;
  for (std::size_t i = 0; i < p.downs.size(); ++i) {
    rtc::OfferTrack t;
    t.mid = std::to_string(i);
    t.kind = p.section_kinds[i];
    if (const auto& d = p.downs[i]) {
      const auto& src = d->source();
      t.stream_id = src.owner->id;
      t.track_id = src.id;
      t.ssrc = d->ssrc();
      t.rtx_ssrc = d->rtx_ssrc();
      described.push_back(json::object{{"mid", t.mid},
                                       {"participant_id", src.owner->id},
                                       {"track_id", src.id},
                                       {"kind", sdp::to_string(src.kind)},
                                       {"source", to_string(src.source)}});
    } else {
      t.active = false;
    }
    tracks.push_back(std::move(t));
  }
  rtc::OfferOptions options;
  options.ice = p.sub ? p.sub->ice().local_credentials() : p.sub_local.ice;
  options.fingerprint = p.sub_local.certificate->fingerprint();
  options.candidates = p.sub_local.candidates;
  options.cname = p.cname;
  options.session_id = p.session_id ^ 1;
  options.version = ++p.offer_version;
  p.offer_outstanding = true;
  p.offered_sections = tracks.size();
  p.send({{"type", "offer"},
          {"pc", "subscriber"},
          {"sdp", sdp::serialize(rtc::build_send_offer(tracks, options))},
          {"tracks", std::move(described)}});
}

Result<void> Room::subscriber_answer(const std::string& participant_id, std::string_view text) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  if (!p->offer_outstanding) return fail("invalid_state", "there is no subscriber offer to answer");
  // A refused answer ends that offer; the next tick offers afresh, so the
  // connection can still come up.
  auto refuse = [&](std::string code, std::string why) {
    p->offer_outstanding = false;
    p->renegotiate = true;
    return fail(std::move(code), std::move(why));
  };
  auto answer = sdp::parse(text);
  if (!answer) return refuse("invalid_sdp", answer.error().to_string());
  auto read = rtc::read_send_answer(*answer, p->offered_sections);
  if (!read) return refuse("unacceptable_answer", read.error());
  p->offer_outstanding = false;
  if (!p->sub) {
    const std::string id = p->id;
    auto transport = worker_.create_transport(
        p->sub_id, rtc::RemoteTransport{read->remote_ice, read->remote_fingerprint, read->our_dtls_role},
        [this, id] { transport_failed(id); });
    if (!transport) return fail("media_unavailable", transport.error());
    p->sub = *transport;
    p->sub->on_rtcp([this, p](std::span<std::uint8_t> b, std::size_t n) { on_subscriber_rtcp(*p, b, n); });
  }
  // RTX survives only if the answer kept its payload type (RFC 4588 §8.6).
  bool rtx = false;
  for (const auto& m : answer->media)
    for (const auto& c : m.codecs)
      if (c.is("rtx")) rtx = true;
  p->sub_rtx = rtx;
  for (auto& d : p->downs)
    if (d) d->set_rtx(rtx);
  // RED (RFC 2198) where the section kept our red; the others get opus alone.
  for (std::size_t i = 0; i < p->downs.size(); ++i)
    if (auto& d = p->downs[i])
      d->set_red_payload_type(i < read->red.size() && read->red[i] ? rtc::kOfferRedPayloadType : 0);
  if (p->renegotiate) send_subscriber_offer(*p);
  return {};
}

Result<std::string> Room::viewer_offer(const std::string& participant_id, std::string_view text,
                                       const std::string& publisher_id) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  auto* publisher = find(publisher_id);
  if (!publisher) return fail("not_found", "no participant " + publisher_id + " in this room");
  if (p->sub_id) return fail("invalid_state", "this viewer is connected already");
  auto offer = sdp::parse(text);
  if (!offer) return fail("invalid_sdp", offer.error().to_string());
  auto local = worker_.reserve_transport();
  if (!local) return fail("media_unavailable", local.error());
  p->sub_id = local->id;
  p->sub_local = *local;
  rtc::AnswerOptions options;
  options.ice = local->ice;
  options.fingerprint = local->certificate->fingerprint();
  options.candidates = local->candidates;
  options.cname = p->cname;
  options.stream_id = publisher_id;
  options.session_id = p->session_id;
  options.sfu_subscriber = true;
  auto answer = rtc::answer_for(*offer, options);
  if (!answer) return fail("unacceptable_offer", answer.error());
  auto transport = worker_.create_transport(
      p->sub_id, rtc::RemoteTransport{answer->remote_ice, answer->remote_fingerprint, answer->dtls_role},
      [this, participant_id] { transport_failed(participant_id); });
  if (!transport) return fail("media_unavailable", transport.error());
  p->sub = *transport;
  p->sub->on_rtcp([this, p](std::span<std::uint8_t> b, std::size_t n) { on_subscriber_rtcp(*p, b, n); });
  p->fixed_subscription = true;
  // Camera and microphone before a screen share, in publishing order.
  std::vector<PublishedTrack*> available;
  for (auto& t : publisher->tracks)
    if (t->source != Source::Screen) available.push_back(t.get());
  for (auto& t : publisher->tracks)
    if (t->source == Source::Screen) available.push_back(t.get());
  for (const auto& s : answer->sections) {
    if (!s.accepted || !s.local_ssrc) continue;
    auto it = std::ranges::find_if(available, [&](PublishedTrack* t) { return t->kind == s.kind; });
    if (it == available.end()) continue;
    PublishedTrack& track = **it;
    available.erase(it);
    OutgoingFormat format;
    format.payload_type = s.payload_type;
    format.rtx_payload_type = s.rtx_payload_type.value_or(0);
    format.red_payload_type = s.red_payload_type.value_or(0);
    for (const auto& e : s.extensions) {
      const auto id = static_cast<std::uint8_t>(e.id);
      if (e.uri == rtc::kUriAbsSendTime) format.abs_send_time_id = id;
      if (e.uri == rtc::kUriTransportCc) format.transport_cc_id = id;
      if (e.uri == rtc::kUriAudioLevel) format.audio_level_id = id;
    }
    auto down = std::make_unique<DownTrack>(track, *p, s.mid, *s.local_ssrc, s.local_rtx_ssrc.value_or(0), format);
    track.subscribers.push_back(down.get());
    p->downs.push_back(std::move(down));
    p->section_kinds.push_back(s.kind);
  }
  spdlog::info("room {}: {} views {} ({} tracks)", name_, participant_id, publisher_id, p->downs.size());
  return sdp::serialize(answer->description);
}

Result<void> Room::subscribe(const std::string& participant_id, const std::string& publisher_id, Quality quality) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  if (!find(publisher_id)) return fail("not_found", "no participant " + publisher_id + " in this room");
  p->quality_of[publisher_id] = quality;
  for (auto& d : p->downs)
    if (d && d->source().owner->id == publisher_id && d->source().kind == sdp::MediaKind::Video)
      d->set_quality(quality);
  allocate(*p, Clock::now());
  return {};
}

Result<void> Room::set_muted(const std::string& participant_id, sdp::MediaKind kind, bool muted) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  const Source source = kind == sdp::MediaKind::Audio ? Source::Microphone : Source::Camera;
  (kind == sdp::MediaKind::Audio ? p->audio_muted : p->video_muted) = muted;
  for (auto& t : p->tracks) {
    if (t->source != source) continue;
    t->muted = muted;
    for (auto* d : t->subscribers) d->set_paused(muted);
  }
  broadcast({{"type", "participant_state"}, {"participant", p->to_json()}});
  if (!muted) {
    const auto now = Clock::now();
    for (auto& [id, other] : participants_) allocate(*other, now);
  }
  return {};
}

Result<void> Room::set_screen_sharing(const std::string& participant_id, bool sharing) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  if (p->screen_sharing == sharing) return {};
  if (sharing && !p->info.sources.allows(Source::Screen))
    return fail("forbidden", "screen sharing is not allowed");
  p->screen_sharing = sharing;
  broadcast({{"type", "participant_state"}, {"participant", p->to_json()}});
  return {};
}

Result<void> Room::set_publishing(const std::string& participant_id, bool can_publish, SourceSet sources) {
  auto* p = find(participant_id);
  if (!p) return fail("not_in_room", "join a room first");
  p->info.can_publish = can_publish;
  p->info.sources = sources;
  std::vector<PublishedTrack*> gone;
  for (auto& t : p->tracks)
    if (!can_publish || !sources.allows(t->source)) gone.push_back(t.get());
  for (auto* t : gone) unpublish(*p, *t);
  if (p->screen_sharing && (!can_publish || !sources.screen)) {
    p->screen_sharing = false;
    broadcast({{"type", "participant_state"}, {"participant", p->to_json()}});
  }
  for (auto& [id, other] : participants_)
    if (other->renegotiate && !other->offer_outstanding) send_subscriber_offer(*other);
  return {};
}

// --- packets ----------------------------------------------------------------

Participant::SsrcRoute* Room::learn_ssrc(Participant& p, std::uint32_t ssrc, const rtp::ExtensionValues& values,
                                         std::uint8_t payload_type) {
  PublishedTrack* track = nullptr;
  if (values.mid) {
    for (auto& t : p.tracks)
      if (t->mid == *values.mid) track = t.get();
  } else {
    // Without mid, a payload type that only one track uses (RFC 8843 §9.2).
    for (auto& t : p.tracks)
      if (t->payload_type == payload_type || t->rtx_payload_type == payload_type ||
          t->red_payload_type == payload_type) {
        if (track) return nullptr;
        track = t.get();
      }
  }
  if (!track) return nullptr;
  Participant::SsrcRoute route{track, 0, track->rtx_payload_type == payload_type};
  if (track->simulcast()) {
    const auto rid = values.repaired_rid ? values.repaired_rid : values.rid;
    if (!rid) return nullptr;  // wait for a packet that names its layer
    route.rtx = values.repaired_rid.has_value();
    bool found = false;
    for (std::size_t i = 0; i < track->layers.size(); ++i)
      if (track->layers[i].rid == *rid) {
        route.layer = i;
        found = true;
      }
    if (!found) return nullptr;
  }
  auto& layer = track->layers[route.layer];
  (route.rtx ? layer.rtx_ssrc : layer.ssrc) = ssrc;
  return &(p.by_ssrc[ssrc] = route);
}

void Room::note_sequence(Participant& p, PublishedTrack& track, Layer& layer, std::uint16_t seq) {
  ++layer.received;
  if (!layer.seq_started) {
    layer.seq_started = true;
    layer.max_seq = seq;
    layer.cycles = 0;
    return;
  }
  const auto delta = static_cast<std::uint16_t>(seq - layer.max_seq);
  if (delta == 0 || delta >= 0x8000) return;  // duplicate or late
  if (delta > 1 && delta <= 64 && track.kind == sdp::MediaKind::Video && p.pub) {
    // RFC 4585 §6.2.1: ask the publisher again for what its uplink lost.
    std::array<std::uint16_t, 64> lost{};
    std::size_t n = 0;
    for (std::uint16_t s = static_cast<std::uint16_t>(layer.max_seq + 1); s != seq; ++s) lost[n++] = s;
    std::array<std::uint8_t, kRtcpBuffer + srtp::max_rtcp_overhead> out{};
    if (auto w = rtp::write_nack(std::span(out).first(kRtcpBuffer), p.rtcp_ssrc, layer.ssrc,
                                 std::span(lost).first(n))) {
      p.pub->send_rtcp(out, *w);
      ++layer.nacks_sent;
      if (counters_) counters_->nacks_sent->inc();
    }
  }
  if (seq < layer.max_seq) layer.cycles += 0x10000;
  layer.max_seq = seq;
}

void Room::on_publisher_rtp(Participant& p, std::span<std::uint8_t> buffer, std::size_t len) {
  auto packet = rtp::RtpPacket::parse(buffer.first(len));
  if (!packet) return;
  const auto now = Clock::now();
  const auto values = packet->extension_values(p.pub_extensions);
  if (values.transport_sequence) p.uplink_twcc.on_packet(*values.transport_sequence, now);
  auto it = p.by_ssrc.find(packet->ssrc());
  Participant::SsrcRoute* route = it != p.by_ssrc.end() ? &it->second : nullptr;
  if (!route) route = learn_ssrc(p, packet->ssrc(), values, packet->payload_type());
  if (!route) return;
  auto& track = *route->track;
  auto& layer = track.layers[route->layer];
  if (route->rtx) {
    if (!layer.ssrc) return;
    auto unwrapped = rtp::rtx_unwrap_in_place(buffer.first(len), {track.payload_type, layer.ssrc});
    if (!unwrapped) return;  // padding-only probe
    len = *unwrapped;
    packet = rtp::RtpPacket::parse(buffer.first(len));
    if (!packet) return;
  } else if (packet->payload_type() != track.payload_type && packet->payload_type() != track.red_payload_type) {
    return;  // RED (RFC 2198) is checked per subscriber by its DownTrack
  }
  note_sequence(p, track, layer, packet->sequence_number());
  layer.cache.insert(packet->sequence_number(), packet->bytes(), now);
  layer.bitrate.add(len, now);
  layer.last_packet = now;
  if (counters_) {
    counters_->packets_in->inc();
    counters_->bytes_in->inc(len);
  }
  if (track.kind == sdp::MediaKind::Audio && track.audio_level_id && !track.muted) {
    if (auto data = packet->extension(track.audio_level_id))
      if (auto level = rtp::read_audio_level(*data)) speakers_.on_audio_level(p.speaker_id, *level, now);
  }
  if (track.muted) return;
  const bool keyframe = is_keyframe(track, *packet);
  if (track.gated) return;  // large rooms: only the loudest few are heard
  for (auto* d : track.subscribers) {
    const auto before = d->stats().packets;
    d->forward(*packet, route->layer, keyframe, now);
    if (counters_ && d->stats().packets != before) {
      counters_->packets_out->inc();
    }
  }
}

void Room::request_keyframe(PublishedTrack& track, std::size_t layer, Clock::time_point now) {
  if (track.kind != sdp::MediaKind::Video || !track.owner->pub) return;
  if (layer >= track.layers.size() || !track.layers[layer].ssrc) return;
  if (!track.keyframes.should_request(now)) return;  // one per 500 ms per track
  std::array<std::uint8_t, 64 + srtp::max_rtcp_overhead> out{};
  if (auto n = rtp::write_pli(std::span(out).first(64), track.owner->rtcp_ssrc, track.layers[layer].ssrc)) {
    track.owner->pub->send_rtcp(out, *n);  // RFC 4585 §6.3.1
    if (counters_) counters_->plis_sent->inc();
  }
}

void Room::on_publisher_rtcp(Participant& p, std::span<std::uint8_t> buffer, std::size_t len) {
  auto compound = rtp::RtcpCompound::parse(buffer.first(len));
  if (!compound) return;
  for (const auto& packet : *compound) {
    if (packet.type() != rtp::rtcp_type::kSenderReport) continue;
    auto sr = rtp::SenderReport::parse(packet);
    if (!sr) continue;
    if (auto it = p.by_ssrc.find(sr->sender_ssrc); it != p.by_ssrc.end() && !it->second.rtx) {
      auto& layer = it->second.track->layers[it->second.layer];
      layer.last_sr = rtp::compact_ntp(sr->info.ntp_timestamp);  // for our LSR (RFC 3550 §6.4.1)
      layer.last_sr_at = Clock::now();
    }
  }
}

void Room::on_subscriber_rtcp(Participant& p, std::span<std::uint8_t> buffer, std::size_t len) {
  auto compound = rtp::RtcpCompound::parse(buffer.first(len));
  if (!compound) return;
  const auto now = Clock::now();
  auto down_by_ssrc = [&](std::uint32_t ssrc) -> DownTrack* {
    for (auto& d : p.downs)
      if (d && d->ssrc() == ssrc) return d.get();
    return nullptr;
  };
  for (const auto& packet : *compound) {
    if (packet.type() == rtp::rtcp_type::kReceiverReport || packet.type() == rtp::rtcp_type::kSenderReport) {
      auto blocks = [&](const auto& report) {
        for (const auto& block : report.report_blocks) {
          auto* d = down_by_ssrc(block.ssrc);
          if (!d) continue;
          auto& s = d->stats();
          s.fraction_lost = block.fraction_lost / 256.0;
          s.jitter = block.jitter;
          if (block.last_sr) {
            // RFC 3550 §6.4.1: RTT = now - LSR - DLSR, in 1/65536 s.
            const auto now_compact = rtp::compact_ntp(rtp::ntp_time(std::chrono::system_clock::now()));
            const auto rtt = static_cast<std::int64_t>(now_compact - block.last_sr - block.delay_since_last_sr);
            if (rtt >= 0 && rtt < 65536 * 10) s.rtt_ms = static_cast<double>(rtt) * 1000.0 / 65536.0;
          }
        }
      };
      if (packet.type() == rtp::rtcp_type::kReceiverReport) {
        if (auto rr = rtp::ReceiverReport::parse(packet)) blocks(*rr);
      } else if (auto sr = rtp::SenderReport::parse(packet)) {
        blocks(*sr);
      }
      continue;
    }
    if (packet.type() != rtp::rtcp_type::kPayloadFeedback && packet.type() != rtp::rtcp_type::kRtpFeedback)
      continue;
    auto fb = rtp::Feedback::parse(packet);
    if (!fb) continue;
    if (packet.type() == rtp::rtcp_type::kRtpFeedback && fb->format == 15) {
      if (auto tf = rtp::TransportFeedback::parse(packet)) {
        p.bwe.on_transport_feedback(*tf, now);
        if (auto measured = p.bwe.take_probe_result()) {
          p.probes.on_result(*measured, now);
          p.last_probe_bps = *measured;
        }
      }
      continue;
    }
    if (packet.type() == rtp::rtcp_type::kPayloadFeedback && fb->format == rtp::psfb_format::kAfb) {
      if (auto remb = rtp::Remb::parse(packet)) p.bwe.on_remb(remb->bitrate_bps, now);
      continue;
    }
    if (rtp::is_pli(*fb) || (packet.type() == rtp::rtcp_type::kPayloadFeedback && fb->format == rtp::psfb_format::kFir)) {
      // PLI names our SSRC in media_ssrc; FIR in its FCI entries (RFC 5104 §4.3.1).
      std::vector<std::uint32_t> targets{fb->media_ssrc};
      if (fb->format == rtp::psfb_format::kFir)
        if (auto fir = rtp::Fir::parse(packet))
          for (const auto& e : fir->entries) targets.push_back(e.ssrc);
      for (auto ssrc : targets)
        if (auto* d = down_by_ssrc(ssrc)) {
          ++d->stats().plis_received;
          if (counters_) counters_->plis_received->inc();
          if (auto layer = d->current_layer()) request_keyframe(d->source(), *layer, now);
        }
      continue;
    }
    if (packet.type() == rtp::rtcp_type::kRtpFeedback && fb->format == 1) {
      auto nack = rtp::Nack::parse(packet);
      if (!nack) continue;
      auto* d = down_by_ssrc(nack->media_ssrc);
      if (!d) continue;
      if (counters_) counters_->nacks_received->inc();
      std::vector<std::uint16_t> upstream;
      std::uint32_t upstream_ssrc = 0;
      nack->for_each_lost([&](std::uint16_t seq) {
        // Not in the cache: the publisher's uplink lost it too; ask again.
        if (auto missing = d->retransmit(seq, now); missing && upstream.size() < 64) {
          if (upstream.empty()) upstream_ssrc = missing->ssrc;
          if (missing->ssrc == upstream_ssrc) upstream.push_back(missing->seq);
        }
      });
      auto& src = d->source();
      if (!upstream.empty() && src.owner->pub) {
        std::array<std::uint8_t, kRtcpBuffer + srtp::max_rtcp_overhead> out{};
        if (auto w = rtp::write_nack(std::span(out).first(kRtcpBuffer), src.owner->rtcp_ssrc, upstream_ssrc, upstream)) {
          src.owner->pub->send_rtcp(out, *w);  // RFC 4585 §6.2.1
          if (counters_) counters_->nacks_sent->inc();
        }
      }
    }
  }
}

// --- timer ------------------------------------------------------------------

void Room::start_timer() {
  timer_.expires_after(kTick);
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    on_timer();
    start_timer();
  });
}

void Room::on_timer() {
  const auto now = Clock::now();
  ++ticks_;
  // Transport-wide feedback to each publisher (draft-holmer-...-01 §3.1).
  for (auto& [id, p] : participants_) {
    if (!p->pub || p->pub->state() != rtc::TransportState::Connected) continue;
    std::uint32_t media_ssrc = 0;
    for (const auto& [ssrc, route] : p->by_ssrc) media_ssrc = ssrc;
    std::array<std::uint8_t, 1400 + srtp::max_rtcp_overhead> out{};
    if (auto n = p->uplink_twcc.build_feedback(std::span(out).first(1400), p->rtcp_ssrc, media_ssrc))
      p->pub->send_rtcp(out, n);
  }
  update_speakers(now);
  if (ticks_ % 5 == 0)
    for (auto& [id, p] : participants_) allocate(*p, now);
  // Keyframes for subscribers waiting to switch layers.
  for (auto& [id, p] : participants_)
    for (auto& d : p->downs)
      if (d && d->wants_keyframe() && d->target_layer()) request_keyframe(d->source(), *d->target_layer(), now);
  if (ticks_ % 10 == 0) send_reports(now);
  for (auto& [id, p] : participants_)
    if (p->renegotiate && !p->offer_outstanding) send_subscriber_offer(*p);
}

void Room::allocate(Participant& subscriber, Clock::time_point now) {
  std::vector<TrackDemand> demands;
  std::vector<DownTrack*> order;
  const auto active = announced_speaker_ ? speaker_ids_[*announced_speaker_] : std::string();
  std::uint32_t index = 0;
  for (auto& d : subscriber.downs) {
    ++index;
    if (!d) continue;
    auto& src = d->source();
    TrackDemand demand;
    demand.track_id = index;
    demand.kind = src.kind == sdp::MediaKind::Audio ? TrackKind::Audio
                  : src.source == Source::Screen    ? TrackKind::Screen
                                                    : TrackKind::Video;
    demand.active_speaker = src.owner->id == active;
    demand.requested = src.muted ? Quality::Off : d->quality();
    demand.layers = src.layer_info(now);
    demands.push_back(demand);
    order.push_back(d.get());
  }
  // Hysteresis against flapping on measured bitrates: a layer is kept while
  // it fits the whole estimate, and a higher one taken only when it fits
  // with 20 % headroom.
  const auto budget = subscriber.bwe.estimate_bps();
  const auto keep = sfu::allocate(budget, demands);
  const auto up = sfu::allocate(budget * 4 / 5, demands);
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto* d = order[i];
    if (d->source().kind != sdp::MediaKind::Video) continue;
    const auto before = d->target_layer();
    d->set_layers(demands[i].layers);
    auto target = up.tracks[i].layer;
    const auto kept = keep.tracks[i].layer;
    if (before && kept && *kept >= *before && (!target || *target < *before)) target = before;
    if (!kept) target.reset();
    d->set_target_layer(target);
    if (counters_ && before != d->target_layer() && before && d->target_layer()) counters_->layer_switches->inc();
  }
  // What everything asked for would take, were bandwidth no object.
  constexpr std::uint64_t kUnlimited = 100'000'000'000;
  maybe_probe(subscriber, sfu::allocate(kUnlimited, demands).total_bps, now);
}

void Room::maybe_probe(Participant& subscriber, std::uint64_t desired_bps, Clock::time_point now) {
  if (subscriber.probe || !subscriber.sub || subscriber.sub->state() != rtc::TransportState::Connected) return;
  // Only feedback can tell what a probe got through.
  if (!subscriber.bwe.has_transport_feedback(now)) return;
  if (std::ranges::none_of(subscriber.downs, [](const auto& d) { return d && d->can_pad(); })) return;
  const auto target = subscriber.probes.next(subscriber.bwe.estimate_bps(), desired_bps, now);
  if (!target) return;
  const auto cluster = make_probe_cluster(subscriber.next_probe_id++, *target, kProbeDuration, kProbePacketBytes);
  subscriber.bwe.start_probe(cluster);
  subscriber.probe = cluster;
  subscriber.probe_packets_sent = 0;
  if (counters_) counters_->probes->inc();
  if (!probe_timer_running_) {
    probe_timer_running_ = true;
    send_probe_packets();
  }
}

void Room::send_probe_packets() {
  const auto now = Clock::now();
  bool more = false;
  for (auto& [id, p] : participants_) {
    if (!p->probe) continue;
    DownTrack* pad = nullptr;
    for (auto& d : p->downs)
      if (d && d->can_pad()) pad = d.get();
    if (!pad || !p->sub || p->sub->state() != rtc::TransportState::Connected) {
      p->probe.reset();  // its feedback never comes; the controller times it out
      continue;
    }
    const std::size_t burst = (p->probe->packets + kProbeBursts - 1) / kProbeBursts;
    for (std::size_t i = 0; i < burst && p->probe_packets_sent < p->probe->packets; ++i) {
      std::array<std::uint8_t, kProbePacketBytes + 64 + srtp::max_rtp_overhead> out{};
      const auto seq = p->next_transport_seq();
      const auto n = pad->write_padding(out, kProbePadding, seq, now);
      if (n == 0) break;
      if (p->sub->send_rtp(out, n)) p->bwe.on_packet_sent(seq, n, now, p->probe->id);
      ++p->probe_packets_sent;
    }
    if (p->probe_packets_sent >= p->probe->packets) {
      p->probe.reset();
    } else {
      more = true;
    }
  }
  if (!more) {
    probe_timer_running_ = false;
    return;
  }
  probe_timer_.expires_after(kProbeInterval);
  probe_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    send_probe_packets();
  });
}

void Room::send_reports(Clock::time_point now) {
  const auto ntp = rtp::ntp_time(std::chrono::system_clock::now());
  for (auto& [id, p] : participants_) {
    // Receiver reports about what each publisher sends us (RFC 3550 §6.4.2).
    if (p->pub && p->pub->state() == rtc::TransportState::Connected) {
      std::vector<rtp::ReportBlock> blocks;
      for (auto& t : p->tracks)
        for (auto& l : t->layers) {
          if (!l.seq_started || blocks.size() == rtp::kMaxReportBlocks) continue;
          rtp::ReportBlock b;
          b.ssrc = l.ssrc;
          const std::uint32_t extended = l.cycles + l.max_seq;
          const std::uint32_t expected_interval = extended - l.expected_prior;
          const std::uint32_t received_interval = l.received - l.received_prior;
          l.expected_prior = extended;
          l.received_prior = l.received;
          if (expected_interval > received_interval && expected_interval > 0)
            b.fraction_lost =
                static_cast<std::uint8_t>(((expected_interval - received_interval) << 8) / expected_interval);
          b.extended_highest_sequence = extended;
          b.last_sr = l.last_sr;
          if (l.last_sr)
            b.delay_since_last_sr = static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(now - l.last_sr_at).count() * 65536 /
                1'000'000);
          blocks.push_back(b);
        }
      std::array<std::uint8_t, kRtcpBuffer + srtp::max_rtcp_overhead> out{};
      const auto room = std::span(out).first(kRtcpBuffer);
      if (auto rr = rtp::write_receiver_report(room, p->rtcp_ssrc, blocks)) {
        if (auto sdes = rtp::write_sdes_cname(room.subspan(*rr), p->rtcp_ssrc, p->cname))
          p->pub->send_rtcp(out, *rr + *sdes);
      }
    }
    // Sender reports for each stream we send the subscriber (§6.4.1).
    if (p->sub && p->sub->state() == rtc::TransportState::Connected) {
      for (auto& d : p->downs) {
        if (!d) continue;
        const auto ts = d->rtp_timestamp_at(now);
        if (!ts) continue;
        rtp::SenderInfo info{ntp, *ts, d->packets_sent(), d->octets_sent()};
        std::array<std::uint8_t, kRtcpBuffer + srtp::max_rtcp_overhead> out{};
        const auto room = std::span(out).first(kRtcpBuffer);
        auto sr = rtp::write_sender_report(room, d->ssrc(), info, {});
        if (!sr) continue;
        auto sdes = rtp::write_sdes_cname(room.subspan(*sr), d->ssrc(), p->cname);
        if (sdes) p->sub->send_rtcp(out, *sr + *sdes);
      }
    }
  }
}

void Room::update_speakers(Clock::time_point now) {
  speakers_.update(now);
  const auto active = speakers_.active_speaker();
  if (active && active != announced_speaker_) {
    announced_speaker_ = active;
    if (auto it = speaker_ids_.find(*active); it != speaker_ids_.end())
      broadcast({{"type", "active_speaker"}, {"participant_id", it->second}});
  }
  if (ticks_ % 5 == 0) update_loudest();
}

void Room::update_loudest() {
  const bool large = participants_.size() > config_.loudest_after;
  if (large) {
    // Hysteresis: a member of the loudest set keeps its place unless someone
    // outside is clearly louder (6 dB), so equal voices do not take turns.
    constexpr double kMarginDb = 6;
    auto level = [&](SpeakerId sid) { return speakers_.level_dbov(sid).value_or(127.0); };  // -dBov
    std::vector<SpeakerId> members;
    for (const auto& id : loudest_)
      if (auto* member = find(id)) members.push_back(member->speaker_id);
    for (const auto candidate : speakers_.loudest(speakers_.size())) {
      if (std::ranges::find(members, candidate) != members.end()) continue;
      if (members.size() < config_.loudest_audio) {
        members.push_back(candidate);
        continue;
      }
      auto weakest = std::ranges::max_element(members, {}, level);
      if (level(candidate) + kMarginDb < level(*weakest)) *weakest = candidate;
    }
    loudest_.clear();
    for (auto sid : members) loudest_.push_back(speaker_ids_[sid]);
  }
  for (auto& [id, p] : participants_)
    for (auto& t : p->tracks) {
      if (t->kind != sdp::MediaKind::Audio) continue;
      const bool gated = large && std::ranges::find(loudest_, id) == loudest_.end();
      if (t->gated && !gated)
        for (auto* d : t->subscribers) d->restart_segment();
      t->gated = gated;
    }
}

json::object Room::snapshot() {
  const auto now = Clock::now();
  json::array list;
  for (auto& [id, p] : participants_) {
    auto o = p->to_json();
    json::array tracks;
    for (auto& t : p->tracks) {
      auto tj = track_json(*t);
      json::array layers;
      for (auto& l : t->layers)
        layers.push_back(json::object{{"rid", l.rid},
                                      {"ssrc", l.ssrc},
                                      {"bitrate_bps", l.bitrate.bps(now)},
                                      {"nacks_sent", l.nacks_sent}});
      tj["layers"] = std::move(layers);
      tj["subscribers"] = t->subscribers.size();
      tracks.push_back(std::move(tj));
    }
    o["tracks"] = std::move(tracks);
    json::array subscriptions;
    for (auto& d : p->downs) {
      if (!d) continue;
      const auto& s = d->stats();
      json::object sj{{"track_id", d->source().id},
                      {"participant_id", d->source().owner->id},
                      {"packets", s.packets},
                      {"bytes", s.bytes},
                      {"retransmitted", s.retransmitted},
                      {"nacks", s.nacks_received},
                      {"plis", s.plis_received},
                      {"layer_switches", s.layer_switches},
                      {"fraction_lost", s.fraction_lost},
                      {"jitter", s.jitter}};
      sj["rtt_ms"] = s.rtt_ms ? json::value(*s.rtt_ms) : json::value(nullptr);
      sj["layer"] = d->current_layer() ? json::value(*d->current_layer()) : json::value(nullptr);
      subscriptions.push_back(std::move(sj));
    }
    o["subscriptions"] = std::move(subscriptions);
    o["downlink_estimate_bps"] = p->bwe.estimate_bps();
    o["downlink_acknowledged_bps"] = p->bwe.acknowledged_bps().value_or(0);
    o["downlink_delay_based_bps"] = p->bwe.delay_based_bps();
    o["downlink_loss_based_bps"] = p->bwe.loss_based_bps();
    o["downlink_probe_bps"] = p->last_probe_bps;
    o["connected"] = json::object{
        {"publisher", p->pub && p->pub->state() == rtc::TransportState::Connected},
        {"subscriber", p->sub && p->sub->state() == rtc::TransportState::Connected}};
    list.push_back(std::move(o));
  }
  return {{"room", name_}, {"participants", std::move(list)}};
}

}  // namespace parley::sfu
