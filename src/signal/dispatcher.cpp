#include "signal/dispatcher.hpp"

#include <algorithm>
#include <cctype>
#include <array>
#include <string_view>

#include "common/ids.hpp"
#include "common/json_util.hpp"
#include "meetings/meeting_service.hpp"
#include "signal/meeting_signaling.hpp"
#include "signal/room_signaling.hpp"

namespace parley::signal {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxSdp = 60 * 1024;  // the whole message is capped at 64 KiB anyway

// `candidate: {candidate, sdpMid, sdpMLineIndex}` as RTCIceCandidateInit.
Result<void> check_candidate(const json::object& msg) {
  FieldReader r(msg);
  auto cand = r.object("candidate");
  if (!cand) return std::unexpected(cand.error());
  FieldReader c(**cand);
  if (auto s = c.string("candidate", 2048); !s) return std::unexpected(s.error());
  if (auto s = c.optional_string("sdpMid", 64); !s) return std::unexpected(s.error());
  if (const auto* idx = (*cand)->if_contains("sdpMLineIndex"); idx && !idx->is_null()) {
    if (auto n = c.integer("sdpMLineIndex", 0, 1024); !n) return std::unexpected(n.error());
  }
  return {};
}

}  // namespace

constexpr std::array<std::string_view, 21> kKnownTypes = {
    "register",     "call_invite", "call_accept", "call_decline",  "call_cancel", "call_end",
    "call_handoff", "sdp_offer",   "sdp_answer",  "ice_candidate", "ping",
    // rooms (signal/room_signaling.hpp)
    "join", "leave", "offer", "answer", "subscribe", "unsubscribe", "audio-state", "video-state",
    "screen-share-start", "screen-share-stop"};

Dispatcher::Dispatcher(calls::CallService& calls, metrics::Registry& metrics, RoomSignaling* rooms)
    : calls_(calls), rooms_(rooms) {
  auto& family = metrics.counter("parley_signaling_messages_total",
                                 "WebSocket messages received, by type");
  for (auto type : kKnownTypes)
    by_type_.emplace_back(std::string(type), &family.with({{"type", std::string(type)}}));
  for (auto type : meetings::MeetingService::message_types())
    by_type_.emplace_back(std::string(type), &family.with({{"type", std::string(type)}}));
  unknown_ = &family.with({{"type", "unknown"}});
  invalid_ = &family.with({{"type", "invalid"}});
}

void Dispatcher::disconnected(Connection& conn) {
  if (meetings_) meetings_->disconnected(conn);
  if (rooms_) rooms_->disconnected(conn);
  if (conn.device_id) calls_.detach(conn.user.user_id, *conn.device_id, conn.link);
}

void Dispatcher::dispatch(Connection& conn, const json::object& msg) {
  static const json::value kNoRef;
  const json::value* ref_ptr = msg.if_contains("ref");
  const json::value& ref = ref_ptr ? *ref_ptr : kNoRef;
  auto reply_error = [&](const Error& e) { conn.link->send_error(e, ref); };

  FieldReader r(msg);
  auto type = r.string("type", 64);
  if (!type) {
    invalid_->inc();
    return reply_error({"unknown_type", "every message needs a string 'type'"});
  }
  const auto known = std::find_if(by_type_.begin(), by_type_.end(),
                                  [&](const auto& entry) { return entry.first == *type; });
  if (known == by_type_.end()) {
    unknown_->inc();
    return reply_error({"unknown_type", "unknown message type '" + std::string(*type) + "'"});
  }
  known->second->inc();

  if (*type == "ping") return conn.link->send({{"type", "pong"}});
  if (MeetingSignaling::handles(*type, conn)) {
    if (!meetings_) return reply_error({"unavailable", "meetings are not available on this server"});
    return meetings_->dispatch(conn, *type, msg);
  }
  // A guest's join token is good for its meeting, nothing else.
  const bool media_message = RoomSignaling::handles(*type, msg) && *type != "join";
  if (conn.guest() && !media_message)
    return reply_error({"not_allowed", "a join token is only good for its meeting: sign in for this"});
  if (RoomSignaling::handles(*type, msg)) {
    if (!rooms_) return reply_error({"media_unavailable", "rooms are not available on this server"});
    return rooms_->dispatch(conn, *type, msg);
  }

  if (*type == "register") {
    auto device_id = r.string("device_id", 64);
    if (!device_id) return reply_error(device_id.error());
    if (!is_token_name(*device_id, 64))
      return reply_error({"invalid_field", "device_id must be 1-64 of A-Za-z0-9_.:-"});
    auto name = r.optional_string("device_name", 128);
    if (!name) return reply_error(name.error());
    auto push = r.optional_string("push_token", 4096);
    if (!push) return reply_error(push.error());
    if (conn.device_id && *conn.device_id != *device_id)
      return reply_error({"invalid_state", "this connection is registered as " + *conn.device_id});
    conn.device_id = std::string(*device_id);
    calls_.attach(conn.user, *conn.device_id, std::string(name->value_or("")),
                  std::string(push->value_or("")), conn.owner.lock());
    return;
  }

  if (!conn.device_id)
    return reply_error({"not_registered", "send 'register' before call messages"});
  const calls::Sender from{conn.user, *conn.device_id, *conn.link, ref};

  if (*type == "call_invite") {
    auto callee = r.string("callee", 64);
    if (!callee) return reply_error(callee.error());
    auto call_type = r.string("call_type", 16);
    if (!call_type) return reply_error(call_type.error());
    if (*call_type != "voice" && *call_type != "video")
      return reply_error({"invalid_field", "call_type must be 'voice' or 'video'"});
    auto key = r.string("idempotency_key", 128);
    if (!key) return reply_error(key.error());
    auto offer = r.optional_string("sdp_offer", kMaxSdp);
    if (!offer) return reply_error(offer.error());
    std::optional<std::string> sdp;
    if (*offer) sdp = std::string(**offer);
    return calls_.invite(from, std::string(*callee), std::string(*call_type), std::string(*key),
                         std::move(sdp));
  }

  auto call_id = r.string("call_id", 64);
  if (!call_id) return reply_error(call_id.error());
  const std::string id(*call_id);

  if (*type == "call_accept") {
    auto answer = r.optional_string("sdp_answer", kMaxSdp);
    if (!answer) return reply_error(answer.error());
    std::optional<std::string> sdp;
    if (*answer) sdp = std::string(**answer);
    return calls_.accept(from, id, std::move(sdp));
  }
  if (*type == "call_decline") return calls_.decline(from, id);
  if (*type == "call_cancel") return calls_.cancel(from, id);
  if (*type == "call_end") return calls_.end(from, id);
  if (*type == "call_handoff") return calls_.handoff(from, id);

  json::object out{{"type", *type}, {"call_id", id}};
  calls::CallService::Relay kind;
  if (*type == "ice_candidate") {
    if (auto ok = check_candidate(msg); !ok) return reply_error(ok.error());
    out["candidate"] = msg.at("candidate");
    kind = calls::CallService::Relay::candidate;
  } else {
    auto sdp = r.string("sdp", kMaxSdp);
    if (!sdp) return reply_error(sdp.error());
    out["sdp"] = *sdp;
    kind = *type == "sdp_offer" ? calls::CallService::Relay::offer
                                : calls::CallService::Relay::answer;
  }
  calls_.relay(from, id, kind, std::move(out));
}

}  // namespace parley::signal
