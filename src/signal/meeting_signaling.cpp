#include "signal/meeting_signaling.hpp"

#include <algorithm>
#include <array>

#include "common/json_util.hpp"
#include "meetings/meeting_service.hpp"

namespace parley::signal {

namespace json = boost::json;
using meetings::MeetingService;

namespace {

constexpr std::size_t kMaxChat = 4096;

// Room messages that a meeting takes over while the connection is in one.
constexpr std::array<std::string_view, 6> kTakenOver = {"join",        "leave",       "audio-state",
                                                        "video-state", "screen-share-start", "screen-share-stop"};

Result<std::optional<bool>> optional_bool(const json::object& msg, std::string_view key) {
  if (!msg.contains(key)) return std::optional<bool>{};
  auto b = FieldReader(msg).boolean(key);
  if (!b) return std::unexpected(b.error());
  return std::optional<bool>(*b);
}

// "all" / "host" as a bool (true: everyone).
Result<std::optional<bool>> optional_scope(const json::object& msg, std::string_view key) {
  const auto* v = msg.if_contains(key);
  if (!v) return std::optional<bool>{};
  if (v->is_string() && (v->as_string() == "all" || v->as_string() == "host"))
    return std::optional<bool>(v->as_string() == "all");
  return fail("invalid_field", std::string(key) + " must be \"all\" or \"host\"");
}

Result<std::string> chat_text(const FieldReader& r, std::string_view key) {
  auto text = r.optional_string(key, 1 << 20);  // the size rule gets its own message below
  if (!text) return std::unexpected(text.error());
  if (!*text || (*text)->empty()) return fail("invalid_field", std::string(key) + " must be 1-4096 bytes");
  if ((*text)->size() > kMaxChat) return fail("message_too_large", std::string(key) + " is over 4096 bytes");
  return std::string(**text);
}

}  // namespace

bool MeetingSignaling::handles(std::string_view type, const Connection& conn) {
  if (MeetingService::handles(type)) return true;
  return conn.seat && std::ranges::find(kTakenOver, type) != kTakenOver.end();
}

void MeetingSignaling::disconnected(Connection& conn) {
  if (conn.seat) meetings_.disconnected(*conn.seat);
  conn.seat.reset();
}

void MeetingSignaling::dispatch(Connection& conn, std::string_view type, const json::object& msg) {
  static const json::value kNoRef;
  const json::value* ref_ptr = msg.if_contains("ref");
  const json::value& ref = ref_ptr ? *ref_ptr : kNoRef;
  auto reply_error = [&](const Error& e) { conn.link->send_error(e, ref); };
  FieldReader r(msg);

  if (conn.seat && conn.seat->stage == meetings::Seat::Stage::Out) conn.seat.reset();

  if (type == "meeting_join") {
    if (conn.seat) return reply_error({"already_in_meeting", "leave the current meeting first"});
    if (conn.participant_id) return reply_error({"already_in_room", "leave the current room first"});
    auto token = r.string("join_token", 4096);
    if (!token) return reply_error(token.error());
    auto seat = meetings_.join(*token, conn.owner, ref);
    if (!seat) return reply_error(seat.error());
    conn.seat = std::move(*seat);
    return;
  }
  if (!conn.seat) return reply_error({"not_in_meeting", "join the meeting first"});
  if (type == "join") return reply_error({"already_in_meeting", "leave the current meeting first"});
  if (type == "meeting_leave" || type == "leave") {
    meetings_.leave(*conn.seat, "left");
    conn.seat.reset();
    return;
  }
  const meetings::Caller caller{*conn.seat, ref};

  if (type == "chat") {
    auto text = chat_text(r, "text");
    if (!text) return reply_error(text.error());
    auto to = r.optional_string("to", 64);
    if (!to) return reply_error(to.error());
    return meetings_.chat(caller, std::move(*text), *to ? std::optional(std::string(**to)) : std::nullopt);
  }
  if (type == "reaction") {
    auto emoji = r.string("emoji", 16);
    if (!emoji) return reply_error(emoji.error());
    return meetings_.reaction(caller, *emoji);
  }
  if (type == "hand") {
    auto raised = r.boolean("raised");
    if (!raised) return reply_error(raised.error());
    auto target = r.optional_string("participant_id", 64);
    if (!target) return reply_error(target.error());
    return meetings_.hand(caller, *raised, *target ? std::optional(std::string(**target)) : std::nullopt);
  }
  if (type == "audio-state" || type == "video-state") {
    auto muted = r.boolean("muted");
    if (!muted) return reply_error(muted.error());
    return meetings_.media_state(
        caller, type == "audio-state" ? MeetingService::MediaState::Audio : MeetingService::MediaState::Video, *muted);
  }
  if (type == "screen-share-start" || type == "screen-share-stop")
    return meetings_.media_state(caller, MeetingService::MediaState::Screen, type == "screen-share-start");

  // Host controls.
  if (type == "mute_all") {
    auto allow = optional_bool(msg, "allow_unmute");
    if (!allow) return reply_error(allow.error());
    return meetings_.mute_all(caller, allow->value_or(true));
  }
  if (type == "lock") {
    auto locked = r.boolean("locked");
    if (!locked) return reply_error(locked.error());
    return meetings_.lock(caller, *locked);
  }
  if (type == "end_meeting") return meetings_.end_meeting(caller);
  if (type == "admit_all") return meetings_.admit_all(caller);
  if (type == "set_permissions") {
    MeetingService::PermissionChange change;
    auto screen = optional_scope(msg, "screen_share");
    if (!screen) return reply_error(screen.error());
    auto chat = optional_scope(msg, "chat");
    if (!chat) return reply_error(chat.error());
    auto unmute = optional_bool(msg, "allow_unmute");
    if (!unmute) return reply_error(unmute.error());
    change.screen_share_all = *screen;
    change.chat_all = *chat;
    change.allow_unmute = *unmute;
    return meetings_.set_permissions(caller, change);
  }
  if (type == "breakout_create") {
    const auto* rooms = msg.if_contains("rooms");
    std::size_t count = 0;
    std::vector<std::string> names;
    if (rooms && rooms->is_int64() && rooms->as_int64() >= 1 && rooms->as_int64() <= 50) {
      count = static_cast<std::size_t>(rooms->as_int64());
    } else if (rooms && rooms->is_array() && !rooms->as_array().empty() && rooms->as_array().size() <= 50) {
      for (const auto& n : rooms->as_array()) {
        if (!n.is_string() || n.as_string().empty() || n.as_string().size() > 64)
          return reply_error({"invalid_field", "rooms: each name must be a string of 1-64 bytes"});
        names.emplace_back(n.as_string());
      }
    } else {
      return reply_error({"invalid_field", "rooms must be a count of 1-50 or a list of 1-50 names"});
    }
    auto assign = r.optional_string("assign", 16);
    if (!assign || (*assign && **assign != "auto" && **assign != "manual"))
      return reply_error({"invalid_field", "assign must be \"auto\" or \"manual\""});
    return meetings_.breakout_create(caller, count, std::move(names), assign->value_or("auto") == "auto");
  }
  if (type == "breakout_open") return meetings_.breakout_open(caller);
  if (type == "breakout_broadcast") {
    auto text = chat_text(r, "text");
    if (!text) return reply_error(text.error());
    return meetings_.breakout_broadcast(caller, std::move(*text));
  }
  if (type == "breakout_close") {
    std::int64_t countdown = 10;
    if (msg.contains("countdown")) {
      auto n = r.integer("countdown", 0, 60);
      if (!n) return reply_error({"invalid_field", "countdown must be 0-60 seconds"});
      countdown = *n;
    }
    return meetings_.breakout_close(caller, static_cast<int>(countdown));
  }

  // The rest name a participant.
  auto target = r.string("participant_id", 64);
  if (!target) return reply_error(target.error());
  const std::string id(*target);
  if (type == "mute") return meetings_.mute(caller, id);
  if (type == "remove") return meetings_.remove(caller, id);
  if (type == "admit") return meetings_.admit(caller, id);
  if (type == "deny") return meetings_.deny(caller, id);
  if (type == "set_role") {
    auto role_name = r.string("role", 16);
    if (!role_name) return reply_error(role_name.error());
    auto role = meetings::role_from_string(*role_name);
    if (!role) return reply_error({"invalid_field", "role must be host, cohost, panelist, participant or attendee"});
    return meetings_.set_role(caller, id, *role);
  }
  if (type == "breakout_assign") {
    const auto* room = msg.if_contains("room_id");
    if (room && !room->is_null() && !room->is_string())
      return reply_error({"invalid_field", "room_id must be a breakout room id or null"});
    std::optional<std::string> room_id;
    if (room && room->is_string()) room_id = std::string(room->as_string());
    return meetings_.breakout_assign(caller, id, std::move(room_id));
  }
  reply_error({"unknown_type", "unknown message type '" + std::string(type) + "'"});
}

}  // namespace parley::signal
