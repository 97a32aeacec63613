#include "signal/room_signaling.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/array.hpp>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/ids.hpp"
#include "common/json_util.hpp"
#include "meetings/meeting_id.hpp"
#include "sfu/sfu_service.hpp"

namespace parley::signal {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxSdp = 60 * 1024;
constexpr std::array<std::string_view, 10> kRoomTypes = {
    "join",        "leave",     "offer",       "answer",  "subscribe", "unsubscribe",
    "audio-state", "video-state", "screen-share-start", "screen-share-stop"};

std::optional<sfu::Quality> quality_from(std::string_view q) {
  if (q == "low") return sfu::Quality::Low;
  if (q == "medium") return sfu::Quality::Medium;
  if (q == "high") return sfu::Quality::High;
  return std::nullopt;
}

}  // namespace

RoomSignaling::RoomSignaling(sfu::SfuService* sfu, boost::asio::any_io_executor executor,
                             IceServersFunction ice_servers)
    : sfu_(sfu), executor_(std::move(executor)), ice_servers_(std::move(ice_servers)) {}

bool RoomSignaling::handles(std::string_view type, const json::object& msg) {
  // ice_candidate with a call_id belongs to a 1:1 call.
  if (type == "ice_candidate") return !msg.contains("call_id");
  return std::ranges::find(kRoomTypes, type) != kRoomTypes.end();
}

void RoomSignaling::disconnected(Connection& conn) {
  if (conn.participant_id && sfu_) sfu_->leave(*conn.participant_id);
  conn.participant_id.reset();
}

void RoomSignaling::dispatch(Connection& conn, std::string_view type, const json::object& msg) {
  static const json::value kNoRef;
  const json::value* ref_ptr = msg.if_contains("ref");
  const json::value& ref = ref_ptr ? *ref_ptr : kNoRef;
  auto reply_error = [&](const Error& e) { conn.link->send_error(e, ref); };
  if (!sfu_ || !sfu_->available())
    return reply_error({"media_unavailable", "the SFU is not running on this server"});
  FieldReader r(msg);

  if (conn.participant_id && !sfu_->is_member(*conn.participant_id)) conn.participant_id.reset();
  // In a meeting, join/leave/mute/share went to MeetingSignaling; what is
  // left here is media for the member's SFU participant.

  if (type == "join") {
    if (conn.participant_id) return reply_error({"already_in_room", "leave the current room first"});
    auto room = r.string("room", 64);
    if (!room) return reply_error(room.error());
    if (!is_token_name(*room, 64)) return reply_error({"invalid_field", "room must be 1-64 of A-Za-z0-9_.:-"});
    if (meetings::is_meeting_room(*room))
      return reply_error({"not_allowed", "a meeting's room is entered with meeting_join"});
    auto name = r.optional_string("display_name", 64);
    if (!name) return reply_error(name.error());
    sfu::ParticipantInfo info;
    info.display_name = *name && !(*name)->empty() ? std::string(**name) : conn.user.display_name;
    info.user_id = conn.user.user_id;
    // The sink runs on a media worker: hop to the signaling loop, then send
    // if the connection is still there.
    sfu::EventSink sink = [exec = executor_, owner = conn.owner](json::object message) {
      boost::asio::post(exec, [owner, message = std::move(message)]() mutable {
        if (auto link = owner.lock()) link->send(std::move(message));
      });
    };
    json::object extra{{"ice_servers", ice_servers_ ? ice_servers_(conn.user.user_id) : json::array()}};
    conn.participant_id = sfu_->join(std::string(*room), std::move(info), std::move(sink), std::move(extra), ref);
    return;
  }

  if (type == "ice_candidate") {
    // We are ICE-lite with our candidates in the SDP and learn the
    // browser's addresses from its checks (RFC 8445 §2.5): nothing to do.
    if (!conn.media_participant()) return reply_error({"not_in_room", "join a room first"});
    return;
  }

  const auto media = conn.media_participant();
  if (!media) return reply_error({"not_in_room", "join a room first"});
  const std::string pid = *media;

  if (type == "leave") {
    sfu_->leave(pid);
    conn.participant_id.reset();
    return;
  }
  if (type == "offer" || type == "answer") {
    auto pc = r.string("pc", 16);
    if (!pc) return reply_error(pc.error());
    const bool offer = type == "offer";
    if (*pc != (offer ? "publisher" : "subscriber"))
      return reply_error({"invalid_field", offer ? "offers come from the publisher connection (pc: publisher)"
                                                 : "answers come from the subscriber connection (pc: subscriber)"});
    auto sdp = r.string("sdp", kMaxSdp);
    if (!sdp) return reply_error(sdp.error());
    if (!offer) {
      return sfu_->with_room(
          pid, [sdp = std::string(*sdp)](sfu::Room& room, const std::string& id) {
            return room.subscriber_answer(id, sdp);
          },
          ref);
    }
    std::vector<sfu::TrackSource> sources;
    if (const auto* tracks = msg.if_contains("tracks")) {
      if (!tracks->is_array() || tracks->as_array().size() > 16)
        return reply_error({"invalid_field", "tracks must be an array of at most 16 {mid, source}"});
      for (const auto& t : tracks->as_array()) {
        if (!t.is_object()) return reply_error({"invalid_field", "tracks must hold {mid, source} objects"});
        FieldReader tr(t.as_object());
        auto mid = tr.string("mid", 32);
        if (!mid) return reply_error(mid.error());
        auto source = tr.string("source", 16);
        if (!source) return reply_error(source.error());
        auto parsed = sfu::source_from_string(*source);
        if (!parsed) return reply_error({"invalid_field", "source must be microphone, camera or screen"});
        sources.push_back({std::string(*mid), *parsed});
      }
    }
    return sfu_->with_room(
        pid,
        [sdp = std::string(*sdp), sources = std::move(sources), ref](sfu::Room& room,
                                                                     const std::string& id) -> Result<void> {
          auto answer = room.publisher_offer(id, sdp, sources);
          if (!answer) return std::unexpected(answer.error());
          room.send_to(id, {{"type", "answer"}, {"pc", "publisher"}, {"sdp", *answer}, {"ref", ref}});
          return {};
        },
        ref);
  }
  if (type == "subscribe" || type == "unsubscribe") {
    auto target = r.string("participant_id", 64);
    if (!target) return reply_error(target.error());
    sfu::Quality quality = sfu::Quality::Off;
    if (type == "subscribe") {
      auto q = r.optional_string("quality", 16);
      if (!q) return reply_error(q.error());
      auto parsed = quality_from(q->value_or("high"));
      if (!parsed) return reply_error({"invalid_field", "quality must be low, medium or high"});
      quality = *parsed;
    }
    return sfu_->with_room(
        pid,
        [target = std::string(*target), quality](sfu::Room& room, const std::string& id) {
          return room.subscribe(id, target, quality);
        },
        ref);
  }
  if (type == "audio-state" || type == "video-state") {
    auto muted = r.boolean("muted");
    if (!muted) return reply_error(muted.error());
    const auto kind = type == "audio-state" ? sdp::MediaKind::Audio : sdp::MediaKind::Video;
    return sfu_->with_room(
        pid, [kind, m = *muted](sfu::Room& room, const std::string& id) { return room.set_muted(id, kind, m); },
        ref);
  }
  // screen-share-start / screen-share-stop
  const bool sharing = type == "screen-share-start";
  sfu_->with_room(
      pid, [sharing](sfu::Room& room, const std::string& id) { return room.set_screen_sharing(id, sharing); },
      ref);
}

}  // namespace parley::signal
