#pragma once
// Building blocks shared by the integration tests: the usual call steps, each
// asserting every message the protocol (docs/protocol.md) promises for it.

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <sstream>

#include "harness.hpp"

namespace parley::itest {

#ifdef PARLEY_SDP_FIXTURES
// A real Chromium SDP from the unit tests' fixtures (tests/unit/sdp/fixtures).
inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(PARLEY_SDP_FIXTURES) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}
#endif

// A server with its HTTP client; devices connect to it.
struct World {
  explicit World(std::vector<std::string> args = {}, Where where = Where::current())
      : server(std::move(args), where), http(server.port()) {}
  User user(const std::string& prefix, Where where = Where::current()) {
    return register_user(http, prefix, where);
  }
  std::unique_ptr<WsClient> device(const User& u, const std::string& device_id,
                                   const std::string& push_token = {},
                                   Where where = Where::current()) {
    return connect_device(server.port(), u, device_id, push_token, where);
  }

  ServerProcess server;
  Http http;
};

// Waits for a send_async to be written; fails the test otherwise.
inline void sent(const std::shared_future<bool>& f, Where where = Where::current()) {
  if (f.wait_for(kTimeout) != std::future_status::ready || !f.get())
    fail_at(where, "a message could not be sent");
}

inline std::string offer_sdp(const std::string& who) {
  return "v=0\r\no=" + who + " offer\r\n";
}
inline std::string answer_sdp(const std::string& who) {
  return "v=0\r\no=" + who + " answer\r\n";
}

inline json::object invite_msg(const User& callee, const std::string& key,
                               const std::string& call_type = "video",
                               const std::string& offer = "v=0 offer") {
  return {{"type", "call_invite"},
          {"callee", callee.username},
          {"call_type", call_type},
          {"idempotency_key", key},
          {"sdp_offer", offer}};
}

inline json::object call_msg(std::string_view type, const std::string& call_id) {
  return {{"type", type}, {"call_id", call_id}};
}

// Checks an incoming_call against the call, its caller and its offer.
inline void check_incoming(const json::object& m, const std::string& call_id, const User& caller,
                           const std::string& call_type, const std::string& offer,
                           Where where = Where::current()) {
  if (str(m, "call_id", where) != call_id || str(m, "call_type", where) != call_type ||
      str(m, "sdp_offer", where) != offer)
    fail_at(where, "incoming_call does not match the invite: " + dump(m));
  const auto& c = obj(m, "caller", where);
  if (str(c, "user_id", where) != caller.user_id || str(c, "username", where) != caller.username ||
      str(c, "display_name", where) != caller.display_name)
    fail_at(where, "incoming_call names the wrong caller: " + dump(m));
}

// `caller_dev` invites `callee`: call_initiated (not deduplicated) and
// call_ringing for the caller, incoming_call on every device in `ringing`.
inline std::string place_call(const User& caller, WsClient& caller_dev, const User& callee,
                              std::initializer_list<WsClient*> ringing, const std::string& key,
                              const std::string& call_type = "video",
                              Where where = Where::current()) {
  const std::string offer = offer_sdp(caller.username + "/" + key);
  caller_dev.send(invite_msg(callee, key, call_type, offer), where);
  const auto init = caller_dev.expect("call_initiated", kTimeout, where);
  const std::string call_id = str(init, "call_id", where);
  if (call_id.rfind("c_", 0) != 0) fail_at(where, "call ids start with c_: " + dump(init));
  if (init.at("deduplicated") != json::value(false))
    fail_at(where, "a fresh invite is not deduplicated: " + dump(init));
  if (const auto* g = init.if_contains("glare"); g && *g == json::value(true))
    fail_at(where, "no glare expected here: " + dump(init));
  const auto ring = caller_dev.expect("call_ringing", kTimeout, where);
  if (str(ring, "call_id", where) != call_id) fail_at(where, "call_ringing for another call");
  for (WsClient* d : ringing)
    check_incoming(d->expect("incoming_call", kTimeout, where), call_id, caller, call_type, offer,
                   where);
  return call_id;
}

// `winner` (device `winner_id`) accepts: call_accepted to the caller with the
// answer and the device, call_connected to the winner, call_answered_elsewhere
// to every device in `others`.
inline void accept_call(WsClient& caller_dev, WsClient& winner, const std::string& winner_id,
                        std::initializer_list<WsClient*> others, const std::string& call_id,
                        Where where = Where::current()) {
  const std::string answer = answer_sdp(winner_id);
  winner.send({{"type", "call_accept"}, {"call_id", call_id}, {"sdp_answer", answer}}, where);
  const auto acc = caller_dev.expect("call_accepted", kTimeout, where);
  if (str(acc, "call_id", where) != call_id || str(acc, "sdp_answer", where) != answer ||
      str(acc, "device_id", where) != winner_id)
    fail_at(where, "call_accepted does not carry the winner's answer: " + dump(acc));
  const auto con = winner.expect("call_connected", kTimeout, where);
  if (str(con, "call_id", where) != call_id) fail_at(where, "call_connected for another call");
  for (WsClient* d : others) {
    const auto m = d->expect("call_answered_elsewhere", kTimeout, where);
    if (str(m, "call_id", where) != call_id) fail_at(where, "answered_elsewhere: " + dump(m));
  }
}

// Expects call_ended {call_id, reason} as the next message on every device.
inline void expect_ended(std::initializer_list<WsClient*> devices, const std::string& call_id,
                         const std::string& reason, Duration timeout = kTimeout,
                         Where where = Where::current()) {
  for (WsClient* d : devices) {
    const auto m = d->expect("call_ended", timeout, where);
    if (str(m, "call_id", where) != call_id || str(m, "reason", where) != reason)
      fail_at(where, "[" + d->label() + "] expected call_ended " + reason + ": " + dump(m));
    if (num(m, "duration_seconds", where) < 0) fail_at(where, "negative duration: " + dump(m));
  }
}

// GET /api/v1/calls[query] as `user`; expects 200 and returns `calls`.
inline json::array history(const Http& http, const User& user, const std::string& query = {},
                           Where where = Where::current()) {
  const auto r = http.get("/api/v1/calls" + query, user.token, where);
  if (r.status != 200) fail_at(where, "history: HTTP " + std::to_string(r.status) + " " + r.body);
  return r.json(where).at("calls").as_array();
}

// The history entry for `call_id`; fails when it is absent.
inline json::object history_entry(const Http& http, const User& user, const std::string& call_id,
                                  Where where = Where::current()) {
  for (const auto& c : history(http, user, {}, where))
    if (c.as_object().at("call_id") == json::value(call_id)) return c.as_object();
  fail_at(where, "call " + call_id + " is not in " + user.username + "'s history");
}

}  // namespace parley::itest
