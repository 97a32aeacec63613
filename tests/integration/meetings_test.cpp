// Meetings against a real server (docs/protocol.md "Meetings"): the REST
// API, join tokens and their grants, the waiting room, chat, hands,
// reactions, every host control and its permission check, host
// succession, breakout rooms, the records, and bad input everywhere.
// Media rides on the SFU exactly as in rooms_test.cpp; here only the
// signaling of the media room is looked at.

#include <fstream>
#include <regex>
#include <sstream>

#include "scenario.hpp"

namespace parley::itest {
namespace {

bool flag(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// A server, a host with an account, and the steps every test takes.
struct Meet {
  explicit Meet(std::vector<std::string> server_args = {}) : w(std::move(server_args)) {}
  World w;
  User host = w.user("host");
  std::string host_pid;  // the host's participant id once it entered

  json::object create(json::object body = {}, Where where = Where::current()) {
    const auto r = w.http.post("/api/v1/meetings", json::serialize(body), host.token, where);
    if (r.status != 201) fail_at(where, "create: " + std::to_string(r.status) + " " + r.body);
    return r.json(where).as_object();
  }
  HttpResponse join_rest(const std::string& id, json::object body, const std::string& token = {},
                         Where where = Where::current()) {
    return w.http.post("/api/v1/meetings/" + id + "/join", json::serialize(body), token, where);
  }
  std::string join_token(const std::string& id, const std::string& name, const std::string& password = {},
                         const std::string& token = {}, Where where = Where::current()) {
    json::object body{{"display_name", name}};
    if (!password.empty()) body["password"] = password;
    const auto r = join_rest(id, body, token, where);
    if (r.status != 200) fail_at(where, "join: " + std::to_string(r.status) + " " + r.body);
    return str(r.json(where).as_object(), "join_token", where);
  }
  // A WebSocket opened with the join token, which sends meeting_join.
  std::unique_ptr<WsClient> enter(const std::string& join_token, const std::string& label,
                                  const std::string& ws_token = {}, Where where = Where::current()) {
    auto ws = std::make_unique<WsClient>(w.server.port(), ws_token.empty() ? join_token : ws_token, label, where);
    ws->send({{"type", "meeting_join"}, {"join_token", join_token}}, where);
    return ws;
  }
  // The host enters its own meeting (user token on the socket).
  std::unique_ptr<WsClient> enter_host(const std::string& id, Where where = Where::current()) {
    auto ws = enter(join_token(id, "Host", {}, host.token, where), "host", host.token, where);
    const auto j = ws->wait_for("meeting_joined", kTimeout, where);
    if (str(obj(j, "you", where), "role", where) != "host") fail_at(where, "not host: " + dump(j));
    host_pid = str(obj(j, "you", where), "participant_id", where);
    return ws;
  }
  // A guest who gets in directly; returns its socket and participant id.
  std::pair<std::unique_ptr<WsClient>, std::string> guest(const std::string& id, const std::string& name,
                                                          const std::string& password = {},
                                                          Where where = Where::current()) {
    auto ws = enter(join_token(id, name, password, {}, where), name, {}, where);
    const auto j = ws->wait_for("meeting_joined", kTimeout, where);
    return {std::move(ws), str(obj(j, "you", where), "participant_id", where)};
  }
};

void expect_err(WsClient& ws, json::object msg, std::string_view code, Where where = Where::current()) {
  static int next_ref = 5000;
  const int ref = next_ref++;
  msg["ref"] = ref;
  ws.send(msg, where);
  for (;;) {
    const auto m = ws.wait_for("error", kTimeout, where);
    if (m.contains("ref") && m.at("ref") == json::value(ref)) {
      if (str(m, "code", where) != code) fail_at(where, "expected " + std::string(code) + ", got " + dump(m));
      if (str(m, "message", where).empty()) fail_at(where, "error without a message: " + dump(m));
      return;
    }
  }
}

// Waits for a participant_update saying that `pid`'s `key` is `want`
// (earlier updates about it are skipped); returns that participant.
json::object update_until(WsClient& ws, const std::string& pid, std::string_view key, json::value want,
                          Where where = Where::current()) {
  for (;;) {
    const auto m = ws.wait_for("participant_update", kTimeout, where);
    const auto& p = obj(m, "participant", where);
    if (str(p, "participant_id", where) == pid && p.contains(key) && p.at(key) == want) return p;
  }
}

// Waits for `role {participant_id: pid, role}`.
void wait_role(WsClient& ws, const std::string& pid, const std::string& role, Where where = Where::current()) {
  for (;;) {
    const auto r = ws.wait_for("role", kTimeout, where);
    if (str(r, "participant_id", where) == pid && str(r, "role", where) == role) return;
  }
}

// Waits for a `waiting_list` of `n` people.
json::array waiting_until(WsClient& ws, std::size_t n, Where where = Where::current()) {
  for (;;) {
    const auto l = ws.wait_for("waiting_list", kTimeout, where);
    if (l.at("waiting").as_array().size() == n) return l.at("waiting").as_array();
  }
}

// Waits for a `breakouts` message with `open` as given.
json::object breakouts_until(WsClient& ws, bool open, Where where = Where::current()) {
  for (;;) {
    const auto b = ws.wait_for("breakouts", kTimeout, where);
    if (b.at("open") == json::value(open)) return b;
  }
}

// ---------------------------------------------------------------- REST

TEST(MeetingsRest, CreateReadUpdateListDelete) {
  Meet t;
  const auto m = t.create({{"topic", "Weekly sync"},
                           {"duration", 30},
                           {"password", "s3cret"},
                           {"settings", {{"waiting_room", true}, {"max_participants", 50}}}});
  const std::string id = str(m, "meeting_id");
  EXPECT_TRUE(std::regex_match(id, std::regex("[a-z]{3}-[a-z]{4}-[a-z]{3}"))) << id;
  EXPECT_TRUE(std::regex_match(str(m, "host_key"), std::regex("[0-9]{6}")));
  EXPECT_EQ(str(m, "password"), "s3cret");
  EXPECT_EQ(str(m, "host_id"), t.host.user_id);
  EXPECT_NE(str(m, "join_url").find("/#/meeting/" + id + "?pwd=s3cret"), std::string::npos) << str(m, "join_url");
  EXPECT_TRUE(flag(obj(m, "settings"), "waiting_room"));
  EXPECT_EQ(num(obj(m, "settings"), "max_participants"), 50);
  EXPECT_FALSE(flag(obj(m, "settings"), "mute_on_entry"));
  EXPECT_EQ(num(m, "duration"), 30);

  auto got = t.w.http.get("/api/v1/meetings/" + id, t.host.token);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(str(got.json().as_object(), "topic"), "Weekly sync");

  // Another user cannot see it, nor change or delete it.
  const User other = t.w.user("other");
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id, other.token).status, 404);
  EXPECT_EQ(t.w.http.request("PATCH", "/api/v1/meetings/" + id, R"({"topic":"mine"})", other.token).status, 404);
  EXPECT_EQ(t.w.http.request("DELETE", "/api/v1/meetings/" + id, "", other.token).status, 404);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id).status, 401);

  const auto patched = t.w.http.request("PATCH", "/api/v1/meetings/" + id,
                                        R"({"topic":"Renamed","settings":{"mute_on_entry":true}})", t.host.token);
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto p = patched.json().as_object();
  EXPECT_EQ(str(p, "topic"), "Renamed");
  EXPECT_TRUE(flag(obj(p, "settings"), "mute_on_entry"));
  EXPECT_TRUE(flag(obj(p, "settings"), "waiting_room")) << "a PATCH changes only what it names";

  // Upcoming first (by start time), then past ones.
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  const auto later = t.create({{"topic", "Later"}, {"start_time", now + 7200}});
  const auto past = t.create({{"topic", "Past"}, {"start_time", now - 86400}, {"duration", 30}});
  const auto list = t.w.http.get("/api/v1/meetings", t.host.token);
  ASSERT_EQ(list.status, 200);
  std::vector<std::string> topics;
  const auto listed = list.json();
  for (const auto& x : listed.as_object().at("meetings").as_array())
    topics.push_back(str(x.as_object(), "topic"));
  EXPECT_EQ(topics, (std::vector<std::string>{"Renamed", "Later", "Past"}));
  const auto others = t.w.http.get("/api/v1/meetings", other.token);
  EXPECT_TRUE(others.json().as_object().at("meetings").as_array().empty());

  EXPECT_EQ(t.w.http.request("DELETE", "/api/v1/meetings/" + id, "", t.host.token).status, 204);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id, t.host.token).status, 404);
  EXPECT_EQ(t.join_rest(id, {{"display_name", "Late"}, {"password", "s3cret"}}).status, 404);
  (void)later;
  (void)past;
}

TEST(MeetingsRest, BadInputIsRefusedWithTheFieldNamed) {
  Meet t;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "invalid_json"},
      {R"({"topic":""})", "invalid_field"},
      {R"({"topic":")" + std::string(201, 'x') + R"("})", "invalid_field"},
      {R"({"duration":0})", "invalid_field"},
      {R"({"duration":"60"})", "invalid_field"},
      {R"({"start_time":-5})", "invalid_field"},
      {R"({"password":")" + std::string(65, 'p') + R"("})", "invalid_field"},
      {R"({"settings":{"max_participants":500}})", "invalid_field"},
      {R"({"settings":{"recording":"tape"}})", "invalid_field"},
      {R"({"settings":{"waiting_room":"yes"}})", "invalid_field"},
      {R"({"settings":{"wating_room":true}})", "invalid_field"},
      {R"({"settings":[]})", "invalid_field"},
      {R"({"colour":"blue"})", "invalid_field"},
  };
  for (const auto& [body, code] : bad) {
    const auto r = t.w.http.post("/api/v1/meetings", body, t.host.token);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.error_code(), code) << body;
  }
  const std::string id = str(t.create(), "meeting_id");
  const auto r = t.w.http.request("PATCH", "/api/v1/meetings/" + id, R"({"duration":99999})", t.host.token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/not-a-meeting", t.host.token).status, 404);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id + "/nothing", t.host.token).status, 404);
  EXPECT_EQ(t.w.http.request("PUT", "/api/v1/meetings/" + id, "{}", t.host.token).status, 405);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id + "/join").status, 405);
  // Join: the display name is required of guests and checked.
  EXPECT_EQ(t.join_rest(id, {}).error_code(), "invalid_field");
  EXPECT_EQ(t.join_rest(id, {{"display_name", std::string(65, 'n')}}).status, 400);
  EXPECT_EQ(t.w.http.post("/api/v1/meetings/" + id + "/join", "[1]").error_code(), "invalid_json");
  // A bad user token is not taken for a guest.
  EXPECT_EQ(t.join_rest(id, {{"display_name", "X"}}, "garbage").status, 401);
}

TEST(MeetingsRest, WrongPasswordsAreRefusedThenRateLimited) {
  Meet t;
  const std::string id = str(t.create({{"password", "open sesame"}}), "meeting_id");
  auto r = t.join_rest(id, {{"display_name", "Guest"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error_code(), "wrong_password");
  EXPECT_NE(r.body.find("password is wrong"), std::string::npos) << r.body;
  // The right password gets a token with a guest's grants.
  r = t.join_rest(id, {{"display_name", "Guest"}, {"password", "open sesame"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto grants = obj(r.json().as_object(), "grants");
  EXPECT_FALSE(flag(grants, "is_host"));
  EXPECT_TRUE(flag(grants, "can_publish"));
  EXPECT_TRUE(flag(grants, "can_chat"));
  // The host needs no password and is host.
  r = t.join_rest(id, {}, t.host.token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(flag(obj(r.json().as_object(), "grants"), "is_host"));
  EXPECT_EQ(str(r.json().as_object(), "display_name"), t.host.display_name);
  // A join token is no session token.
  const std::string join_token = t.join_token(id, "Guest", "open sesame");
  EXPECT_EQ(t.w.http.get("/api/v1/me", join_token).status, 401);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings", join_token).status, 401);

  for (int i = 0; i < 4; ++i) EXPECT_EQ(t.join_rest(id, {{"display_name", "G"}, {"password", "guess"}}).status, 403);
  r = t.join_rest(id, {{"display_name", "G"}, {"password", "guess"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.error_code(), "too_many_attempts");
  // Even the right password waits now: guessing cannot go on.
  EXPECT_EQ(t.join_rest(id, {{"display_name", "G"}, {"password", "open sesame"}}).status, 429);
  // Another meeting is not affected.
  const std::string other = str(t.create({{"password", "x"}}), "meeting_id");
  EXPECT_EQ(t.join_rest(other, {{"display_name", "G"}, {"password", "x"}}).status, 200);
  // A host key makes a host (and a wrong one counts as a failure).
  const auto m = t.create({{"password", "pw"}});
  r = t.join_rest(str(m, "meeting_id"), {{"display_name", "Co"}, {"password", "pw"}, {"host_key", str(m, "host_key")}});
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(flag(obj(r.json().as_object(), "grants"), "is_host"));
  r = t.join_rest(str(m, "meeting_id"), {{"display_name", "Co"}, {"password", "pw"}, {"host_key", "000000x"}});
  EXPECT_EQ(r.error_code(), "wrong_host_key");
}

// ---------------------------------------------------------------- in the meeting

TEST(Meetings, GuestsJoinByLinkChatReactAndRaiseHands) {
  Meet t;
  const std::string id = str(t.create({{"topic", "Chat"}}), "meeting_id");
  auto host = t.enter_host(id);
  auto [ann, ann_id] = t.guest(id, "Ann");
  update_until(*host, ann_id, "role", "participant");
  // The SFU's joined follows, for the meeting's media room.
  const auto media = ann->wait_for("joined");
  EXPECT_EQ(str(media, "participant_id"), ann_id);
  EXPECT_EQ(str(media, "room"), "meeting:" + id);
  auto [bob, bob_id] = t.guest(id, "Bob");
  update_until(*ann, bob_id, "display_name", "Bob");

  // To everyone: everyone gets it, with an id and the sender.
  ann->send({{"type", "chat"}, {"text", "hello all"}});
  for (auto* ws : {host.get(), ann.get(), bob.get()}) {
    const auto c = obj(ws->wait_for("chat"), "message");
    EXPECT_EQ(str(c, "text"), "hello all");
    EXPECT_EQ(str(c, "from"), ann_id);
    EXPECT_EQ(str(c, "from_name"), "Ann");
    EXPECT_TRUE(c.at("to").is_null());
    EXPECT_GT(num(c, "id"), 0);
  }
  // Private: only the two of them.
  bob->send({{"type", "chat"}, {"text", "psst ann"}, {"to", ann_id}});
  EXPECT_EQ(str(obj(ann->wait_for("chat"), "message"), "text"), "psst ann");
  EXPECT_EQ(str(obj(bob->wait_for("chat"), "message"), "to"), ann_id);
  host->expect_silence(300ms, [](const json::object& m) { return str(m, "type") != "chat"; });

  // A late joiner gets the public history, not others' private messages.
  auto cat_ws = t.enter(t.join_token(id, "Cat"), "cat");
  const auto joined = cat_ws->wait_for("meeting_joined");
  const auto& history = joined.at("chat").as_array();
  ASSERT_EQ(history.size(), 1u) << dump(joined);
  EXPECT_EQ(str(history[0].as_object(), "text"), "hello all");
  EXPECT_EQ(joined.at("participants").as_array().size(), 4u);

  // Limits and bad input.
  expect_err(*ann, {{"type", "chat"}, {"text", std::string(4097, 'x')}}, "message_too_large");
  expect_err(*ann, {{"type", "chat"}, {"text", ""}}, "invalid_field");
  expect_err(*ann, {{"type", "chat"}}, "invalid_field");
  expect_err(*ann, {{"type", "chat"}, {"text", "hi"}, {"to", "p_nobody"}}, "invalid_field");
  ann->send({{"type", "chat"}, {"text", std::string(4096, 'y')}});
  EXPECT_EQ(str(obj(bob->wait_for("chat"), "message"), "text").size(), 4096u);

  // Reactions go to everyone; only the known ones.
  bob->send({{"type", "reaction"}, {"emoji", "🎉"}});
  const auto rx = host->wait_for("reaction");
  EXPECT_EQ(str(rx, "participant_id"), bob_id);
  EXPECT_EQ(str(rx, "emoji"), "🎉");
  expect_err(*bob, {{"type", "reaction"}, {"emoji", "💩"}}, "invalid_field");

  // A raised hand shows in everyone's list; guests cannot lower others'.
  ann->send({{"type", "hand"}, {"raised", true}});
  update_until(*host, ann_id, "hand_raised", true);
  expect_err(*bob, {{"type", "hand"}, {"raised", false}, {"participant_id", ann_id}}, "not_allowed");
  expect_err(*bob, {{"type", "hand"}, {"raised", "up"}}, "invalid_field");
  host->send({{"type", "hand"}, {"raised", false}, {"participant_id", ann_id}});
  update_until(*ann, ann_id, "hand_raised", false);
}

TEST(Meetings, AJoinTokenIsOnlyGoodForItsMeeting) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  const std::string token = t.join_token(id, "Guest");
  auto ws = std::make_unique<WsClient>(t.w.server.port(), token, "guest");
  expect_err(*ws, {{"type", "register"}, {"device_id", "d1"}}, "not_allowed");
  expect_err(*ws, {{"type", "join"}, {"room", "lobby"}}, "not_allowed");
  expect_err(*ws, {{"type", "call_invite"}, {"callee", "x"}}, "not_allowed");
  expect_err(*ws, {{"type", "chat"}, {"text", "hi"}}, "not_in_meeting");
  expect_err(*ws, {{"type", "meeting_join"}, {"join_token", t.host.token}}, "invalid_token");
  expect_err(*ws, {{"type", "meeting_join"}, {"join_token", token + "x"}}, "invalid_token");
  expect_err(*ws, {{"type", "meeting_join"}}, "missing_field");
  ws->send({{"type", "meeting_join"}, {"join_token", token}});
  ws->wait_for("meeting_joined");
  expect_err(*ws, {{"type", "meeting_join"}, {"join_token", token}}, "already_in_meeting");
  expect_err(*ws, {{"type", "join"}, {"room", "x"}}, "already_in_meeting");
  // A signed-in user cannot walk into a meeting's media room by name.
  const User u = t.w.user("nosy");
  WsClient nosy(t.w.server.port(), u.token, "nosy");
  expect_err(nosy, {{"type", "join"}, {"room", "meeting:" + id}}, "not_allowed");
  EXPECT_EQ(t.w.http.get("/api/v1/rooms/meeting:" + id, u.token).status, 404);
  // The upgrade itself wants a valid token of either kind.
  EXPECT_EQ(WsClient::upgrade_status(t.w.server.port(), "/ws?token=" + token + "x"), 401);
  // A deleted meeting cannot be entered with an old token.
  const std::string gone = str(t.create(), "meeting_id");
  const std::string old = t.join_token(gone, "Late");
  ASSERT_EQ(t.w.http.request("DELETE", "/api/v1/meetings/" + gone, "", t.host.token).status, 204);
  WsClient late(t.w.server.port(), old, "late");
  expect_err(late, {{"type", "meeting_join"}, {"join_token", old}}, "meeting_not_found");
}

TEST(Meetings, WaitingRoomHoldsGuestsUntilTheHostAdmitsThem) {
  Meet t;
  const std::string id = str(t.create({{"settings", {{"waiting_room", true}}}}), "meeting_id");
  auto host = t.enter_host(id);
  auto dan = t.enter(t.join_token(id, "Dan"), "dan");
  const auto waiting = dan->wait_for("waiting");
  EXPECT_EQ(str(obj(waiting, "meeting"), "meeting_id"), id);
  const std::string dan_id = str(waiting, "participant_id");
  // The host sees who waits, live.
  const auto list = waiting_until(*host, 1);
  EXPECT_EQ(str(list[0].as_object(), "display_name"), "Dan");
  expect_err(*dan, {{"type", "chat"}, {"text", "let me in"}}, "not_in_meeting");

  auto eve = t.enter(t.join_token(id, "Eve"), "eve");
  const std::string eve_id = str(eve->wait_for("waiting"), "participant_id");
  waiting_until(*host, 2);

  host->send({{"type", "admit"}, {"participant_id", dan_id}});
  const auto joined = dan->wait_for("meeting_joined");
  EXPECT_EQ(str(obj(joined, "you"), "participant_id"), dan_id);
  waiting_until(*host, 1);
  // Participants cannot admit.
  expect_err(*dan, {{"type", "admit"}, {"participant_id", eve_id}}, "not_allowed");
  expect_err(*host, {{"type", "admit"}, {"participant_id", "p_nobody"}}, "invalid_field");

  host->send({{"type", "deny"}, {"participant_id", eve_id}});
  eve->wait_for("denied");
  expect_err(*eve, {{"type", "chat"}, {"text", "?"}}, "not_in_meeting");

  // Admit all; a waiter that leaves disappears from the list.
  auto f1 = t.enter(t.join_token(id, "F1"), "f1");
  f1->wait_for("waiting");
  auto f2 = t.enter(t.join_token(id, "F2"), "f2");
  f2->wait_for("waiting");
  f2->close();
  waiting_until(*host, 2);
  waiting_until(*host, 1);
  host->send({{"type", "admit_all"}});
  f1->wait_for("meeting_joined");
}

TEST(Meetings, HostMutesOneAndAllAndParticipantsCannot) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  auto host = t.enter_host(id);
  auto [ann, ann_id] = t.guest(id, "Ann");
  auto [bob, bob_id] = t.guest(id, "Bob");
  expect_err(*ann, {{"type", "mute"}, {"participant_id", bob_id}}, "not_allowed");
  expect_err(*ann, {{"type", "mute_all"}}, "not_allowed");
  expect_err(*ann, {{"type", "lock"}, {"locked", true}}, "not_allowed");
  expect_err(*ann, {{"type", "end_meeting"}}, "not_allowed");
  expect_err(*ann, {{"type", "remove"}, {"participant_id", bob_id}}, "not_allowed");
  expect_err(*ann, {{"type", "set_role"}, {"participant_id", ann_id}, {"role", "host"}}, "not_allowed");
  expect_err(*ann, {{"type", "set_permissions"}, {"screen_share", "all"}}, "not_allowed");
  expect_err(*ann, {{"type", "breakout_create"}, {"rooms", 2}}, "not_allowed");

  host->send({{"type", "mute"}, {"participant_id", bob_id}});
  EXPECT_EQ(str(bob->wait_for("muted_by_host"), "kind"), "audio");
  update_until(*ann, bob_id, "audio_muted", true);
  // The SFU stopped forwarding it: its media room says so too.
  for (;;) {
    const auto s = ann->wait_for("participant_state");
    if (str(obj(s, "participant"), "participant_id") == bob_id) {
      EXPECT_TRUE(flag(obj(s, "participant"), "audio_muted"));
      break;
    }
  }
  // Allowed by default: Bob unmutes himself.
  bob->send({{"type", "audio-state"}, {"muted", false}});
  update_until(*ann, bob_id, "audio_muted", false);

  host->send({{"type", "mute_all"}, {"allow_unmute", false}});
  ann->wait_for("muted_by_host");
  bob->wait_for("muted_by_host");
  const auto perms = ann->wait_for("permissions");
  EXPECT_FALSE(flag(perms, "allow_unmute"));
  expect_err(*bob, {{"type", "audio-state"}, {"muted", false}}, "not_allowed");
  expect_err(*host, {{"type", "mute_all"}, {"allow_unmute", "no"}}, "invalid_field");
  host->send({{"type", "set_permissions"}, {"allow_unmute", true}});
  bob->wait_for("permissions");
  bob->send({{"type", "audio-state"}, {"muted", false}});
  update_until(*host, bob_id, "audio_muted", false);
  expect_err(*host, {{"type", "mute"}, {"participant_id", "p_nobody"}}, "invalid_field");
  expect_err(*host, {{"type", "mute"}}, "missing_field");

  // Chat for hosts only: participants are refused, the host still talks.
  host->send({{"type", "set_permissions"}, {"chat", "host"}});
  while (str(ann->wait_for("permissions"), "chat") != "host") {
  }
  expect_err(*ann, {{"type", "chat"}, {"text", "can I?"}}, "not_allowed");
  host->send({{"type", "chat"}, {"text", "announcements only"}});
  EXPECT_EQ(str(obj(ann->wait_for("chat"), "message"), "text"), "announcements only");
}

TEST(Meetings, MuteOnEntryAndScreenSharePermission) {
  Meet t;
  const std::string id =
      str(t.create({{"settings", {{"mute_on_entry", true}, {"screen_share", false}}}}), "meeting_id");
  auto host = t.enter_host(id);
  auto ws = t.enter(t.join_token(id, "Ann"), "ann");
  const auto joined = ws->wait_for("meeting_joined");
  EXPECT_TRUE(flag(obj(joined, "you"), "audio_muted"));
  const auto& sources = obj(obj(joined, "you"), "grants").at("can_publish_sources").as_array();
  EXPECT_EQ(sources.size(), 2u) << dump(joined);  // microphone and camera, not screen
  EXPECT_EQ(str(obj(joined, "permissions"), "screen_share"), "host");
  const std::string ann_id = str(obj(joined, "you"), "participant_id");
  ws->wait_for("joined");  // the media room, before anything below skips it
  expect_err(*ws, {{"type", "screen-share-start"}}, "not_allowed");
  // The SFU refuses a screen track too (grants reach the media room).
  ws->send({{"type", "offer"}, {"pc", "publisher"}, {"sdp", fixture("chromium_audio_video.sdp")},
            {"tracks", json::array{json::object{{"mid", "1"}, {"source", "screen"}}}}});
  const auto refused = ws->wait_for("error");
  EXPECT_EQ(str(refused, "code"), "forbidden") << dump(refused);
  // The host allows it; now Ann may share.
  host->send({{"type", "set_permissions"}, {"screen_share", "all"}});
  const auto g = ws->wait_for("grants");
  EXPECT_EQ(obj(g, "grants").at("can_publish_sources").as_array().size(), 3u);
  ws->send({{"type", "screen-share-start"}});
  update_until(*host, ann_id, "screen_sharing", true);
  // Forbidding again stops the share.
  host->send({{"type", "set_permissions"}, {"screen_share", "host"}});
  update_until(*host, ann_id, "screen_sharing", false);
  expect_err(*host, {{"type", "set_permissions"}, {"screen_share", "some"}}, "invalid_field");
}

TEST(Meetings, RemovedParticipantsStayOutAndLockedMeetingsRefuseJoins) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  auto host = t.enter_host(id);
  const User carl = t.w.user("carl");
  auto carl_ws = t.enter(t.join_token(id, "Carl", {}, carl.token), "carl", carl.token);
  const std::string carl_id = str(obj(carl_ws->wait_for("meeting_joined"), "you"), "participant_id");
  auto [ann, ann_id] = t.guest(id, "Ann");

  host->send({{"type", "remove"}, {"participant_id", carl_id}});
  carl_ws->wait_for("removed");
  const auto gone = ann->wait_for("participant_gone");
  EXPECT_EQ(str(gone, "participant_id"), carl_id);
  EXPECT_EQ(str(gone, "reason"), "removed");
  expect_err(*carl_ws, {{"type", "chat"}, {"text", "still here?"}}, "not_in_meeting");
  // Carl cannot come back: not by the REST join, not with a token he kept.
  const auto again = t.join_rest(id, {}, carl.token);
  EXPECT_EQ(again.status, 403);
  EXPECT_EQ(again.error_code(), "removed");
  expect_err(*host, {{"type", "remove"}, {"participant_id", "p_nobody"}}, "invalid_field");
  expect_err(*host, {{"type", "remove"}, {"participant_id", t.host_pid}}, "not_allowed");
  // A guest is kept out by its token: the same token cannot come back in.
  const std::string dee_token = t.join_token(id, "Dee");
  auto dee = t.enter(dee_token, "dee");
  const std::string dee_id = str(obj(dee->wait_for("meeting_joined"), "you"), "participant_id");
  host->send({{"type", "remove"}, {"participant_id", dee_id}});
  dee->wait_for("removed");
  WsClient again_ws(t.w.server.port(), dee_token, "dee again");
  expect_err(again_ws, {{"type", "meeting_join"}, {"join_token", dee_token}}, "removed");
}

TEST(Meetings, LockedMeetingRefusesJoinsAndHostEndsItForAll) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  auto host = t.enter_host(id);
  auto [ann, ann_id] = t.guest(id, "Ann");
  const std::string early_token = t.join_token(id, "Early");
  host->send({{"type", "lock"}, {"locked", true}});
  EXPECT_TRUE(flag(ann->wait_for("permissions"), "locked"));
  const auto r = t.join_rest(id, {{"display_name", "Late"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error_code(), "meeting_locked");
  WsClient early(t.w.server.port(), early_token, "early");
  expect_err(early, {{"type", "meeting_join"}, {"join_token", early_token}}, "meeting_locked");
  const auto live = t.w.http.get("/api/v1/meetings/" + id, t.host.token).json().as_object();
  EXPECT_TRUE(flag(obj(live, "live"), "locked"));
  EXPECT_EQ(num(obj(live, "live"), "participants"), 2);
  host->send({{"type", "lock"}, {"locked", false}});
  ann->wait_for("permissions");
  EXPECT_EQ(t.join_rest(id, {{"display_name", "Late"}}).status, 200);

  host->send({{"type", "end_meeting"}});
  EXPECT_EQ(str(ann->wait_for("meeting_ended"), "reason"), "ended_by_host");
  EXPECT_EQ(str(host->wait_for("meeting_ended"), "reason"), "ended_by_host");
  expect_err(*ann, {{"type", "chat"}, {"text", "hello?"}}, "not_in_meeting");
  EXPECT_TRUE(eventually([&] {
    return t.w.http.get("/api/v1/meetings/" + id, t.host.token).json().as_object().at("live").is_null();
  }));
}

TEST(Meetings, CohostsHelpAndTheHostRoleIsHandedOn) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  auto host = t.enter_host(id);
  auto [ann, ann_id] = t.guest(id, "Ann");
  auto [bob, bob_id] = t.guest(id, "Bob");
  auto [cat, cat_id] = t.guest(id, "Cat");
  host->send({{"type", "set_role"}, {"participant_id", bob_id}, {"role", "cohost"}});
  const auto role = ann->wait_for("role");
  EXPECT_EQ(str(role, "participant_id"), bob_id);
  EXPECT_EQ(str(role, "role"), "cohost");
  // A co-host may mute, not end the meeting or hand out roles.
  bob->send({{"type", "mute"}, {"participant_id", ann_id}});
  ann->wait_for("muted_by_host");
  expect_err(*bob, {{"type", "end_meeting"}}, "not_allowed");
  expect_err(*bob, {{"type", "set_role"}, {"participant_id", ann_id}, {"role", "cohost"}}, "not_allowed");
  expect_err(*host, {{"type", "set_role"}, {"participant_id", ann_id}, {"role", "boss"}}, "invalid_field");
  expect_err(*host, {{"type", "set_role"}, {"participant_id", ann_id}, {"role", "panelist"}}, "invalid_field");

  // The host leaves: the co-host becomes host (not Ann, who came first).
  host->send({{"type", "meeting_leave"}});
  wait_role(*cat, bob_id, "host");
  // Bob transfers the host role to Cat, and stays as co-host.
  bob->send({{"type", "set_role"}, {"participant_id", cat_id}, {"role", "host"}});
  update_until(*ann, cat_id, "role", "host");
  update_until(*ann, bob_id, "role", "cohost");
  // Without co-hosts, the longest present participant follows: Ann.
  cat->send({{"type", "set_role"}, {"participant_id", bob_id}, {"role", "participant"}});
  update_until(*ann, bob_id, "role", "participant");
  cat->send({{"type", "meeting_leave"}});
  wait_role(*bob, ann_id, "host");
}

TEST(Meetings, BreakoutRoomsSplitThePeopleAndBringThemBack) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  auto host = t.enter_host(id);
  auto [ann, ann_id] = t.guest(id, "Ann");
  auto [bob, bob_id] = t.guest(id, "Bob");
  auto [cat, cat_id] = t.guest(id, "Cat");
  expect_err(*host, {{"type", "breakout_open"}}, "invalid_state");
  expect_err(*host, {{"type", "breakout_create"}, {"rooms", 0}}, "invalid_field");
  expect_err(*host, {{"type", "breakout_create"}, {"rooms", 2}, {"assign", "random"}}, "invalid_field");
  host->send({{"type", "breakout_create"}, {"rooms", 2}, {"assign", "auto"}});
  const auto plan = host->wait_for("breakouts");
  const auto& rooms = plan.at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].as_object().at("participants").as_array().size(), 2u);  // Ann, Cat
  EXPECT_EQ(rooms[1].as_object().at("participants").as_array().size(), 1u);  // Bob
  // Move Cat by hand into Bob's room.
  host->send({{"type", "breakout_assign"}, {"participant_id", cat_id}, {"room_id", "b2"}});
  host->wait_for("breakouts");
  expect_err(*host, {{"type", "breakout_assign"}, {"participant_id", cat_id}, {"room_id", "b9"}}, "invalid_field");

  host->send({{"type", "breakout_open"}});
  struct Expect {
    WsClient* ws;
    std::string room;
  };
  for (auto [ws, room] : {Expect{ann.get(), "b1"}, Expect{bob.get(), "b2"}, Expect{cat.get(), "b2"}}) {
    const auto moved = ws->wait_for("breakout_moved");
    EXPECT_EQ(str(moved, "room_id"), room);
    EXPECT_EQ(str(moved, "name"), room == "b1" ? "Room 1" : "Room 2");
    // Then the SFU's joined for the breakout's media room, with the same id.
    const auto joined = ws->wait_for("joined");
    EXPECT_EQ(str(joined, "room"), "meeting:" + id + ":" + room);
  }
  update_until(*host, ann_id, "room_id", "b1");
  host->send({{"type", "breakout_broadcast"}, {"text", "five minutes left"}});
  for (auto* ws : {ann.get(), bob.get(), cat.get()}) EXPECT_EQ(str(ws->wait_for("breakout_message"), "text"), "five minutes left");

  host->send({{"type", "breakout_close"}, {"countdown", 1}});
  EXPECT_EQ(num(ann->wait_for("breakout_closing"), "seconds"), 1);
  for (auto* ws : {ann.get(), bob.get(), cat.get()}) {
    const auto back = ws->wait_for("breakout_moved");
    EXPECT_TRUE(back.at("room_id").is_null());
    EXPECT_EQ(str(ws->wait_for("joined"), "room"), "meeting:" + id);
  }
  breakouts_until(*host, false);
  expect_err(*host, {{"type", "breakout_close"}}, "invalid_state");
  expect_err(*host, {{"type", "breakout_close"}, {"countdown", 600}}, "invalid_field");
  (void)bob_id;
}

TEST(Meetings, WebinarAttendeesOnlyWatchUntilMadePanelists) {
  Meet t;
  const std::string id = str(t.create({{"settings", {{"webinar", true}}}}), "meeting_id");
  auto host = t.enter_host(id);
  auto ws = t.enter(t.join_token(id, "Viewer"), "viewer");
  const auto joined = ws->wait_for("meeting_joined");
  EXPECT_EQ(str(obj(joined, "you"), "role"), "attendee");
  EXPECT_FALSE(flag(obj(obj(joined, "you"), "grants"), "can_publish"));
  const std::string viewer = str(obj(joined, "you"), "participant_id");
  ws->wait_for("joined");
  ws->send({{"type", "offer"}, {"pc", "publisher"}, {"sdp", fixture("chromium_audio_video.sdp")}});
  EXPECT_EQ(str(ws->wait_for("error"), "code"), "forbidden");
  expect_err(*ws, {{"type", "audio-state"}, {"muted", false}}, "not_allowed");

  host->send({{"type", "set_role"}, {"participant_id", viewer}, {"role", "panelist"}});
  const auto g = ws->wait_for("grants");
  EXPECT_EQ(str(g, "role"), "panelist");
  EXPECT_TRUE(flag(obj(g, "grants"), "can_publish"));
  ws->send({{"type", "offer"}, {"pc", "publisher"}, {"sdp", fixture("chromium_audio_video.sdp")}});
  const auto answer = ws->wait_for("answer");
  EXPECT_EQ(str(answer, "pc"), "publisher");
}

TEST(Meetings, FullMeetingsRefuseTheNextOne) {
  Meet t;
  const std::string id = str(t.create({{"settings", {{"max_participants", 2}}}}), "meeting_id");
  auto host = t.enter_host(id);
  auto [ann, ann_id] = t.guest(id, "Ann");
  WsClient third(t.w.server.port(), t.join_token(id, "Third"), "third");
  expect_err(third, {{"type", "meeting_join"}, {"join_token", t.join_token(id, "Third")}}, "meeting_full");
}

TEST(Meetings, RecordsKeepWhoCameAndWhatHappenedAcrossACrash) {
  Meet t;
  const std::string id = str(t.create(), "meeting_id");
  {
    auto host = t.enter_host(id);
    auto [ann, ann_id] = t.guest(id, "Ann");
    ann->send({{"type", "chat"}, {"text", "kept on disk"}});
    host->wait_for("chat");
    ann->send({{"type", "hand"}, {"raised", true}});
    update_until(*host, ann_id, "hand_raised", true);
    host->send({{"type", "mute"}, {"participant_id", ann_id}});
    ann->wait_for("muted_by_host");
    ann->send({{"type", "meeting_leave"}});
    host->wait_for("participant_gone");
    // Events are written behind the conversation (group commit): once the
    // last one is on disk, the server dies with the host still in.
    EXPECT_TRUE(eventually([&] {
      return t.w.http.get("/api/v1/meetings/" + id + "/events", t.host.token).body.find("\"leave\"") !=
             std::string::npos;
    }));
    t.w.server.kill9();
  }
  t.w.server.restart();
  t.w.http = Http(t.w.server.port());
  const auto people = t.w.http.get("/api/v1/meetings/" + id + "/participants", t.host.token);
  ASSERT_EQ(people.status, 200) << people.body;
  const auto people_json = people.json();
  const auto& list = people_json.as_object().at("participants").as_array();
  ASSERT_EQ(list.size(), 2u) << people.body;
  for (const auto& p : list) {
    EXPECT_GT(num(p.as_object(), "joined_at"), 0);
    EXPECT_GE(num(p.as_object(), "left_at"), num(p.as_object(), "joined_at")) << "stays are closed, even the crash's";
  }
  const auto events = t.w.http.get("/api/v1/meetings/" + id + "/events", t.host.token);
  ASSERT_EQ(events.status, 200);
  std::vector<std::string> types;
  const auto events_json = events.json();
  for (const auto& e : events_json.as_object().at("events").as_array()) types.push_back(str(e.as_object(), "type"));
  for (const char* want : {"join", "chat", "hand_raised", "muted_by_host", "leave"})
    EXPECT_NE(std::ranges::find(types, want), types.end()) << want << " missing";
  const User other = t.w.user("other");
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id + "/events", other.token).status, 404);
  EXPECT_EQ(t.w.http.get("/api/v1/meetings/" + id + "/events?limit=0", t.host.token).status, 400);
  // The chat survived the crash too.
  auto bob = t.enter(t.join_token(id, "Bob"), "bob");
  const auto history = bob->wait_for("meeting_joined").at("chat").as_array();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(str(history[0].as_object(), "text"), "kept on disk");
}

TEST(Meetings, ADroppedConnectionKeepsItsPlaceForTheReconnectGrace) {
  Meet t({"--reconnect-grace", "1.5"});
  const std::string id = str(t.create({{"settings", {{"waiting_room", true}}}}), "meeting_id");
  auto host = t.enter_host(id);
  const std::string token = t.join_token(id, "Ann");
  auto ann = t.enter(token, "ann");
  const std::string ann_id = str(ann->wait_for("waiting"), "participant_id");
  waiting_until(*host, 1);
  host->send({{"type", "admit"}, {"participant_id", ann_id}});
  ann->wait_for("meeting_joined");
  ann->send({{"type", "hand"}, {"raised", true}});
  update_until(*host, ann_id, "hand_raised", true);

  // The network drops: Ann is shown as reconnecting, and comes back with
  // the same id and state, straight in (no waiting room again).
  ann->drop();
  update_until(*host, ann_id, "connected", false);
  auto back = t.enter(token, "ann again");
  const auto joined = back->wait_for("meeting_joined");
  EXPECT_EQ(str(obj(joined, "you"), "participant_id"), ann_id);
  const auto me = update_until(*host, ann_id, "connected", true);
  EXPECT_TRUE(flag(me, "hand_raised"));
  const auto media = back->wait_for("joined");
  EXPECT_EQ(str(media, "participant_id"), ann_id);
  back->send({{"type", "chat"}, {"text", "I'm back"}});
  EXPECT_EQ(str(obj(host->wait_for("chat"), "message"), "from"), ann_id);

  // Gone for longer than the grace: gone for good.
  back->drop();
  for (;;) {
    const auto gone = host->wait_for("participant_gone", 5000ms);
    if (str(gone, "participant_id") != ann_id) continue;
    EXPECT_EQ(str(gone, "reason"), "connection_lost");
    break;
  }
}

TEST(Meetings, WhipAndWhepTakeAJoinTokenWithinItsGrants) {
  Meet t;
  const std::string id = str(t.create({{"settings", {{"webinar", true}}}}), "meeting_id");
  const std::string sdp = fixture("chromium_audio_video.sdp");
  const std::string host_token = t.join_token(id, "OBS", {}, t.host.token);
  // A guest may not stream before the meeting runs, and a webinar
  // attendee may not publish at all.
  const std::string attendee = t.join_token(id, "Viewer");
  EXPECT_EQ(t.w.http.post_sdp("/whep/" + id + "/p_x", sdp, attendee).error_code(), "not_started");
  // The host goes live from OBS: the publisher is in the meeting's media room.
  auto host = t.enter_host(id);
  const auto live = t.w.http.post_sdp("/whip/" + id, sdp, host_token);
  ASSERT_EQ(live.status, 201) << live.body;
  EXPECT_EQ(live.content_type, "application/sdp");
  EXPECT_TRUE(live.location.starts_with("/whip/" + id + "/p_")) << live.location;
  const std::string obs_id = live.location.substr(live.location.rfind('/') + 1);
  for (;;) {
    const auto j = host->wait_for("participant_joined");
    if (str(obj(j, "participant"), "participant_id") == obs_id) break;
  }
  auto r = t.w.http.post_sdp("/whip/" + id, sdp, attendee);
  EXPECT_EQ(r.status, 403);
  // The token is for this meeting only, and never for a meeting's room by name.
  const std::string other = str(t.create(), "meeting_id");
  EXPECT_EQ(t.w.http.post_sdp("/whip/" + other, sdp, host_token).status, 403);
  EXPECT_EQ(t.w.http.post_sdp("/whip/meeting:" + id, sdp, t.host.token).status, 403);
  EXPECT_EQ(t.w.http.post_sdp("/whip/" + id, sdp, host_token + "x").status, 401);
  // Only its owner ends it.
  EXPECT_EQ(t.w.http.request("DELETE", live.location, "", attendee).status, 404);
  EXPECT_EQ(t.w.http.request("DELETE", live.location, "", host_token).status, 204);
}

}  // namespace
}  // namespace parley::itest
