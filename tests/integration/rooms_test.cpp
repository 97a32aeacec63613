// Group rooms through the SFU against a real server, signaling only (no
// media): join, participants, leave, every bad input, mute state, the
// publisher offer with a real Chromium offer, the subscriber offer, and
// GET /api/v1/rooms/{room} (docs/protocol.md, "Rooms").

#include <fstream>
#include <set>
#include <sstream>

#include "scenario.hpp"
#include "sdp/parser.hpp"

namespace parley::itest {
namespace {

// A room name no other test uses (rooms live as long as the server).
std::string room_name(const std::string& prefix) { return unique_name("room-" + prefix); }

json::object join_msg(const std::string& room, const std::string& display_name = {}) {
  json::object m{{"type", "join"}, {"room", room}};
  if (!display_name.empty()) m["display_name"] = display_name;
  return m;
}

// A signed-in connection of `user` (no `register`: rooms do not need it).
std::unique_ptr<WsClient> connect(World& w, const User& user, const std::string& label) {
  return std::make_unique<WsClient>(w.server.port(), user.token, label);
}

// join, then `joined`; returns it.
json::object join(WsClient& ws, const std::string& room, const std::string& display_name = {},
                  Where where = Where::current()) {
  ws.send(join_msg(room, display_name), where);
  auto j = ws.expect("joined", kTimeout, where);
  if (str(j, "room", where) != room) fail_at(where, "joined names another room: " + dump(j));
  return j;
}

// The error must carry code, a message and the client's ref.
void expect_err(WsClient& ws, json::object msg, std::string_view code, Where where = Where::current()) {
  static int next_ref = 1000;
  const int ref = next_ref++;
  msg["ref"] = ref;
  ws.send(msg, where);
  const auto e = ws.expect_error(code, json::value(ref), kTimeout, where);
  if (str(e, "message", where).empty()) fail_at(where, "error without a message: " + dump(e));
}

// The connection still works: ping answered by pong.
void still_usable(WsClient& ws, Where where = Where::current()) {
  ws.send({{"type", "ping"}}, where);
  ws.expect("pong", kTimeout, where);
}

const json::array& arr(const json::object& o, std::string_view key, Where where = Where::current()) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) fail_at(where, "expected an array '" + std::string(key) + "' in " + dump(o));
  return v->get_array();
}

std::set<std::string> participant_ids(const json::array& list) {
  std::set<std::string> out;
  for (const auto& p : list) out.insert(std::string(p.as_object().at("participant_id").as_string()));
  return out;
}

// GET /api/v1/rooms/{room}: the participant ids, or nullopt on 404.
std::optional<std::set<std::string>> room_members(const Http& http, const std::string& room, const User& u,
                                                  Where where = Where::current()) {
  const auto r = http.get("/api/v1/rooms/" + room, u.token, where);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) fail_at(where, "GET room: " + std::to_string(r.status) + " " + r.body);
  const auto o = r.json(where).as_object();
  if (str(o, "room", where) != room) fail_at(where, "snapshot of another room: " + r.body);
  return participant_ids(arr(o, "participants", where));
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// What Chromium answers to the SFU's subscriber offer: one section per
// offered one, recvonly (inactive where the offer is), setup:active, its
// own ICE credentials and certificate.
std::string chromium_subscriber_answer(const std::string& offer, std::size_t drop_sections = 0) {
  std::vector<std::pair<std::string, std::string>> sections;  // kind, direction
  std::istringstream in(offer);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("m=", 0) == 0) sections.push_back({line.substr(2, 5), "recvonly"});
    if (line == "a=inactive" && !sections.empty()) sections.back().second = "inactive";
  }
  if (drop_sections <= sections.size()) sections.resize(sections.size() - drop_sections);
  std::string s =
      "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
  for (std::size_t i = 0; i < sections.size(); ++i) s += " " + std::to_string(i);
  s += "\r\na=msid-semantic: WMS\r\n";
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const bool audio = sections[i].first == "audio";
    s += audio ? "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" : "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n";
    s += "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:Wq9z\r\na=ice-pwd:pU7e9mBq2CkVJ2iQhXQ5x8Zr\r\na=ice-options:trickle\r\n"
         "a=fingerprint:sha-256 "
         "4E:1B:6A:BE:45:2A:5F:46:3D:8F:9C:32:4A:A1:0B:E7:9E:2F:CB:96:AC:11:D3:1C:57:E0:0A:B6:73:3E:51:0D\r\n"
         "a=setup:active\r\n";
    s += "a=mid:" + std::to_string(i) + "\r\n";
    s += "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";
    s += "a=" + sections[i].second + "\r\na=rtcp-mux\r\na=rtcp-rsize\r\n";
    if (audio)
      s += "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
    else
      s += "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\n"
           "a=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
           "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n";
  }
  return s;
}

// An offer that parses but that the SFU can take nothing from: audio with
// PCMU only.
std::string pcmu_only_offer() {
  return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:Wq9z\r\na=ice-pwd:pU7e9mBq2CkVJ2iQhXQ5x8Zr\r\n"
         "a=fingerprint:sha-256 "
         "4E:1B:6A:BE:45:2A:5F:46:3D:8F:9C:32:4A:A1:0B:E7:9E:2F:CB:96:AC:11:D3:1C:57:E0:0A:B6:73:3E:51:0D\r\n"
         "a=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n";
}

json::object publisher_offer(const std::string& sdp, json::array tracks) {
  return {{"type", "offer"}, {"pc", "publisher"}, {"sdp", sdp}, {"tracks", std::move(tracks)}};
}

// ---------------------------------------------------------------- join / leave

TEST(Rooms, JoinAnswersJoinedWithIdNoParticipantsAndIceServers) {
  World w({"--ice-server", "stun:stun.example.org:3478"});
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  const std::string room = room_name("join");
  a->send({{"type", "join"}, {"room", room}, {"display_name", "Alice A."}, {"ref", 1}});
  const auto j = a->expect("joined");
  EXPECT_EQ(str(j, "room"), room);
  EXPECT_EQ(str(j, "participant_id").rfind("p_", 0), 0u) << dump(j);
  EXPECT_TRUE(arr(j, "participants").empty()) << dump(j);
  const auto& ice = arr(j, "ice_servers");
  ASSERT_EQ(ice.size(), 1u) << dump(j);
  EXPECT_EQ(ice[0].as_object().at("urls"), json::value(json::array{"stun:stun.example.org:3478"}));
  a->expect_silence(200ms);
}

TEST(Rooms, SecondJoinerSeesTheFirstAndTheFirstHearsOfIt) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("two");
  const auto ja = join(*a, room, "Alice A.");
  const std::string alice_id = str(ja, "participant_id");

  const auto jb = join(*b, room, "Bob B.");
  const std::string bob_id = str(jb, "participant_id");
  EXPECT_NE(alice_id, bob_id);
  const auto& others = arr(jb, "participants");
  ASSERT_EQ(others.size(), 1u) << dump(jb);
  const auto& first = others[0].as_object();
  EXPECT_EQ(str(first, "participant_id"), alice_id);
  EXPECT_EQ(str(first, "display_name"), "Alice A.");
  EXPECT_EQ(str(first, "user_id"), alice.user_id);
  EXPECT_EQ(first.at("audio_muted"), json::value(false));
  EXPECT_EQ(first.at("video_muted"), json::value(false));
  EXPECT_EQ(first.at("screen_sharing"), json::value(false));
  EXPECT_TRUE(arr(first, "tracks").empty());

  const auto pj = a->expect("participant_joined");
  const auto& p = obj(pj, "participant");
  EXPECT_EQ(str(p, "participant_id"), bob_id);
  EXPECT_EQ(str(p, "display_name"), "Bob B.");
  EXPECT_EQ(str(p, "user_id"), bob.user_id);
  b->expect_silence(200ms);  // not told about itself
  a->expect_silence(100ms);
}

TEST(Rooms, DisplayNameDefaultsToTheUsers) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("names");
  join(*a, room);
  const auto jb = join(*b, room);
  EXPECT_EQ(str(arr(jb, "participants").at(0).as_object(), "display_name"), alice.display_name);
}

TEST(Rooms, LeaveAndCloseAnnounceParticipantLeft) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob"), carol = w.user("carol"), dave = w.user("dave");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  auto c = connect(w, carol, "carol");
  auto d = connect(w, dave, "dave");
  const std::string room = room_name("leave");
  join(*a, room);
  const std::string bob_id = str(join(*b, room), "participant_id");
  const std::string carol_id = str(join(*c, room), "participant_id");
  const std::string dave_id = str(join(*d, room), "participant_id");
  a->expect("participant_joined");
  a->expect("participant_joined");
  a->expect("participant_joined");
  b->expect("participant_joined");
  b->expect("participant_joined");
  c->expect("participant_joined");

  // `leave`.
  b->send({{"type", "leave"}});
  for (auto* ws : {a.get(), c.get(), d.get()}) {
    const auto m = ws->expect("participant_left");
    EXPECT_EQ(str(m, "participant_id"), bob_id) << ws->label();
  }
  b->expect_silence(200ms);  // it left: nothing more from the room
  // Closing the WebSocket is the same.
  c->close();
  for (auto* ws : {a.get(), d.get()}) EXPECT_EQ(str(ws->expect("participant_left"), "participant_id"), carol_id);
  // And so is a connection that just drops.
  d->drop();
  EXPECT_EQ(str(a->expect("participant_left"), "participant_id"), dave_id);
  a->expect_silence(200ms);
  // bob, out of the room, may not do room things.
  expect_err(*b, {{"type", "audio-state"}, {"muted", true}}, "not_in_room");
}

TEST(Rooms, CanJoinAgainAfterLeaving) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("again");
  join(*b, room);
  const std::string first = str(join(*a, room), "participant_id");
  b->expect("participant_joined");
  a->send({{"type", "leave"}});
  EXPECT_EQ(str(b->expect("participant_left"), "participant_id"), first);

  const auto again = join(*a, room);
  const std::string second = str(again, "participant_id");
  EXPECT_NE(second, first);
  EXPECT_EQ(arr(again, "participants").size(), 1u) << dump(again);  // bob only, not the old self
  EXPECT_EQ(str(obj(b->expect("participant_joined"), "participant"), "participant_id"), second);

  // Another room, after leaving this one.
  a->send({{"type", "leave"}});
  b->expect("participant_left");
  const std::string other = room_name("again-other");
  const auto j = join(*a, other);
  EXPECT_TRUE(arr(j, "participants").empty());
  b->expect_silence(200ms);
}

TEST(Rooms, RejoinRightAfterTheLastOneLeftIsAnswered) {
  // The last one out closes the room; a join racing that close must still
  // be answered (by the old room or a new one).
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  const std::string room = room_name("churn");
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    a->send(join_msg(room));
    const auto j = a->expect("joined");
    EXPECT_TRUE(arr(j, "participants").empty()) << dump(j);
    a->send({{"type", "leave"}});
  }
  still_usable(*a);
}

// ---------------------------------------------------------------- errors

TEST(RoomErrors, JoinWithMissingOrInvalidRoomName) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  expect_err(*a, {{"type", "join"}}, "missing_field");
  expect_err(*a, {{"type", "join"}, {"room", 42}}, "invalid_field");
  expect_err(*a, {{"type", "join"}, {"room", ""}}, "invalid_field");
  expect_err(*a, {{"type", "join"}, {"room", std::string(65, 'r')}}, "invalid_field");
  for (const char* bad : {"with space", "slash/room", "semi;colon", "quote\"", "caf\xc3\xa9", "tab\t", "a?b"})
    expect_err(*a, {{"type", "join"}, {"room", bad}}, "invalid_field");
  expect_err(*a, {{"type", "join"}, {"room", "ok"}, {"display_name", std::string(65, 'n')}}, "invalid_field");
  still_usable(*a);
  // None of these joined anything: a good name still works, and 64 chars
  // of every allowed kind are fine.
  const std::string longest = "Az09_.:-" + std::string(56, 'x');
  ASSERT_EQ(longest.size(), 64u);
  join(*a, longest);
}

TEST(RoomErrors, JoinTwiceIsAlreadyInRoom) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  const std::string room = room_name("twice");
  join(*a, room);
  expect_err(*a, join_msg(room), "already_in_room");
  expect_err(*a, join_msg(room_name("elsewhere")), "already_in_room");
  still_usable(*a);
  // Still in the first room, once.
  const auto members = room_members(w.http, room, alice);
  ASSERT_TRUE(members);
  EXPECT_EQ(members->size(), 1u);
}

TEST(RoomErrors, RoomMessagesBeforeJoinAreNotInRoom) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  const std::string sdp = fixture("chromium_simulcast.sdp");
  expect_err(*a, publisher_offer(sdp, {}), "not_in_room");
  expect_err(*a, {{"type", "answer"}, {"pc", "subscriber"}, {"sdp", sdp}}, "not_in_room");
  expect_err(*a, {{"type", "subscribe"}, {"participant_id", "p_x"}, {"quality", "low"}}, "not_in_room");
  expect_err(*a, {{"type", "unsubscribe"}, {"participant_id", "p_x"}}, "not_in_room");
  expect_err(*a, {{"type", "audio-state"}, {"muted", true}}, "not_in_room");
  expect_err(*a, {{"type", "video-state"}, {"muted", true}}, "not_in_room");
  expect_err(*a, {{"type", "screen-share-start"}}, "not_in_room");
  expect_err(*a, {{"type", "leave"}}, "not_in_room");
  expect_err(*a, {{"type", "ice_candidate"}, {"pc", "publisher"}, {"candidate", "candidate:1 1 udp 1 1.2.3.4 5 typ host"}},
             "not_in_room");
  still_usable(*a);
  join(*a, room_name("after"));
}

TEST(RoomErrors, OfferAndAnswerOnTheWrongConnection) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  join(*a, room_name("pc"));
  const std::string sdp = fixture("chromium_simulcast.sdp");
  expect_err(*a, {{"type", "offer"}, {"pc", "subscriber"}, {"sdp", sdp}}, "invalid_field");
  expect_err(*a, {{"type", "offer"}, {"sdp", sdp}}, "missing_field");
  expect_err(*a, {{"type", "offer"}, {"pc", "publisher"}}, "missing_field");
  expect_err(*a, {{"type", "offer"}, {"pc", "publisher"}, {"sdp", 5}}, "invalid_field");
  expect_err(*a, {{"type", "answer"}, {"pc", "publisher"}, {"sdp", sdp}}, "invalid_field");
  // No subscriber offer was made: nothing to answer.
  expect_err(*a, {{"type", "answer"}, {"pc", "subscriber"}, {"sdp", chromium_subscriber_answer(sdp)}},
             "invalid_state");
  still_usable(*a);
}

TEST(RoomErrors, GarbageSdpIsInvalidAndAnUnusableOneUnacceptable) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  join(*a, room_name("sdp"));
  expect_err(*a, publisher_offer("this is not sdp", {}), "invalid_sdp");
  expect_err(*a, publisher_offer("v=0\r\nm=audio x\r\n", {}), "invalid_sdp");
  expect_err(*a, publisher_offer(pcmu_only_offer(), {}), "unacceptable_offer");
  // Oversized (the frame itself is under the 64 KiB message limit).
  std::string big = fixture("chromium_simulcast.sdp");
  while (big.size() <= 61 * 1024) big += "a=x-padding:" + std::string(100, 'p') + "\r\n";
  expect_err(*a, publisher_offer(big, {}), "invalid_field");
  still_usable(*a);
}

TEST(RoomErrors, AGoodOfferAfterGarbageIsAnswered) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  join(*a, room_name("sdp-good"));
  expect_err(*a, publisher_offer("this is not sdp", {}), "invalid_sdp");
  a->send(publisher_offer(fixture("chromium_simulcast.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "camera"}}}));
  EXPECT_EQ(str(a->expect("answer"), "pc"), "publisher");
}

// A refused first offer leaves a reserved transport behind; the next offer
// must reuse it (once, this took the server down with a null pointer).
TEST(RoomErrors, AGoodOfferAfterAnUnacceptableOneIsAnswered) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  join(*a, room_name("sdp-crash"));
  expect_err(*a, publisher_offer(pcmu_only_offer(), {}), "unacceptable_offer");
  a->send(publisher_offer(fixture("chromium_simulcast.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "camera"}}}));
  EXPECT_EQ(str(a->expect("answer"), "pc"), "publisher");
  // A second unacceptable one after a good one is refused too, server alive.
  expect_err(*a, publisher_offer(pcmu_only_offer(), {}), "unacceptable_offer");
  still_usable(*a);
}

TEST(RoomErrors, TracksWithBadSource) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  join(*a, room_name("tracks"));
  const std::string sdp = fixture("chromium_simulcast.sdp");
  expect_err(*a, publisher_offer(sdp, json::array{json::object{{"mid", "0"}, {"source", "webcam"}}}),
             "invalid_field");
  expect_err(*a, publisher_offer(sdp, json::array{json::object{{"mid", "0"}}}), "missing_field");
  expect_err(*a, publisher_offer(sdp, json::array{json::object{{"source", "camera"}}}), "missing_field");
  expect_err(*a, publisher_offer(sdp, json::array{"0"}), "invalid_field");
  auto not_array = publisher_offer(sdp, {});
  not_array["tracks"] = "camera";
  expect_err(*a, not_array, "invalid_field");
  json::array many;
  for (int i = 0; i < 17; ++i) many.push_back(json::object{{"mid", std::to_string(i)}, {"source", "camera"}});
  expect_err(*a, publisher_offer(sdp, many), "invalid_field");
  still_usable(*a);
}

TEST(RoomErrors, SubscribeWithBadQualityOrUnknownParticipant) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("sub");
  join(*a, room);
  const std::string bob_id = str(join(*b, room), "participant_id");
  a->expect("participant_joined");
  expect_err(*a, {{"type", "subscribe"}, {"participant_id", bob_id}, {"quality", "ultra"}}, "invalid_field");
  expect_err(*a, {{"type", "subscribe"}, {"participant_id", bob_id}, {"quality", 3}}, "invalid_field");
  expect_err(*a, {{"type", "subscribe"}, {"quality", "low"}}, "missing_field");
  expect_err(*a, {{"type", "subscribe"}, {"participant_id", "p_nobody"}, {"quality", "low"}}, "not_found");
  expect_err(*a, {{"type", "unsubscribe"}, {"participant_id", "p_nobody"}}, "not_found");
  // Fine ones are answered with silence.
  for (const char* q : {"low", "medium", "high"})
    a->send({{"type", "subscribe"}, {"participant_id", bob_id}, {"quality", q}});
  a->send({{"type", "subscribe"}, {"participant_id", bob_id}});
  a->send({{"type", "unsubscribe"}, {"participant_id", bob_id}});
  a->expect_silence(300ms);
  still_usable(*a);
}

TEST(RoomErrors, AudioStateWithoutABooleanMuted) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("state");
  join(*a, room);
  join(*b, room);
  a->expect("participant_joined");
  expect_err(*a, {{"type", "audio-state"}}, "missing_field");
  expect_err(*a, {{"type", "audio-state"}, {"muted", "yes"}}, "invalid_field");
  expect_err(*a, {{"type", "audio-state"}, {"muted", 1}}, "invalid_field");
  expect_err(*a, {{"type", "video-state"}, {"muted", nullptr}}, "invalid_field");
  still_usable(*a);
  b->expect_silence(200ms);  // nothing changed for the others
}

// ---------------------------------------------------------------- state

TEST(Rooms, MuteStateIsToldToEveryone) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("mute");
  const std::string alice_id = str(join(*a, room), "participant_id");
  join(*b, room);
  a->expect("participant_joined");

  a->send({{"type", "audio-state"}, {"muted", true}});
  for (auto* ws : {b.get(), a.get()}) {
    const auto m = ws->expect("participant_state");
    const auto& p = obj(m, "participant");
    EXPECT_EQ(str(p, "participant_id"), alice_id) << ws->label();
    EXPECT_EQ(p.at("audio_muted"), json::value(true)) << dump(m);
    EXPECT_EQ(p.at("video_muted"), json::value(false)) << dump(m);
  }
  a->send({{"type", "video-state"}, {"muted", true}});
  auto m = b->expect("participant_state");
  EXPECT_EQ(obj(m, "participant").at("video_muted"), json::value(true)) << dump(m);
  EXPECT_EQ(obj(m, "participant").at("audio_muted"), json::value(true)) << dump(m);
  a->send({{"type", "audio-state"}, {"muted", false}});
  m = b->expect("participant_state");
  EXPECT_EQ(obj(m, "participant").at("audio_muted"), json::value(false)) << dump(m);
  EXPECT_EQ(obj(m, "participant").at("video_muted"), json::value(true)) << dump(m);

  // A newcomer sees the state in `joined`.
  const User carol = w.user("carol");
  auto c = connect(w, carol, "carol");
  const auto jc = join(*c, room);
  for (const auto& v : arr(jc, "participants")) {
    const auto& p = v.as_object();
    if (str(p, "participant_id") != alice_id) continue;
    EXPECT_EQ(p.at("audio_muted"), json::value(false));
    EXPECT_EQ(p.at("video_muted"), json::value(true));
  }
}

TEST(Rooms, ScreenShareStartAndStopAreAnnounced) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("share");
  join(*a, room);
  join(*b, room);
  a->expect("participant_joined");
  a->send({{"type", "screen-share-start"}});
  EXPECT_EQ(obj(b->expect("participant_state"), "participant").at("screen_sharing"), json::value(true));
  a->send({{"type", "screen-share-stop"}});
  EXPECT_EQ(obj(b->expect("participant_state"), "participant").at("screen_sharing"), json::value(false));
}

// ---------------------------------------------------------------- offers

TEST(RoomMedia, SimulcastPublisherOfferIsAnsweredWithSimulcastRecv) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("pub");
  const std::string alice_id = str(join(*a, room), "participant_id");
  const std::string bob_id = str(join(*b, room), "participant_id");
  a->expect("participant_joined");

  a->send(publisher_offer(fixture("chromium_simulcast.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "camera"}}}));
  const auto answer = a->expect("answer");
  EXPECT_EQ(str(answer, "pc"), "publisher");
  const std::string text = str(answer, "sdp");
  auto parsed = sdp::parse(text);
  ASSERT_TRUE(parsed) << parsed.error().to_string() << "\n" << text;
  ASSERT_EQ(parsed->media.size(), 1u) << text;
  const auto& m = parsed->media[0];
  EXPECT_NE(m.port, 0);
  EXPECT_EQ(m.mid, "0");
  EXPECT_EQ(m.effective_direction(), sdp::Direction::RecvOnly);
  EXPECT_TRUE(parsed->ice_lite);
  EXPECT_EQ(m.setup, sdp::Setup::Passive);
  EXPECT_FALSE(m.candidates.empty());
  ASSERT_TRUE(m.simulcast) << text;
  EXPECT_NE(text.find("a=simulcast:recv q;h;f\r\n"), std::string::npos) << text;
  for (const char* rid : {"q", "h", "f"})
    EXPECT_NE(text.find(std::string("a=rid:") + rid + " recv\r\n"), std::string::npos) << text;
  EXPECT_TRUE(m.codecs.at(0).is("VP8"));

  // Bob hears of the track and gets a subscriber offer for it.
  const auto pub = b->expect("track_published");
  EXPECT_EQ(str(pub, "participant_id"), alice_id);
  const auto& track = obj(pub, "track");
  const std::string track_id = str(track, "track_id");
  EXPECT_EQ(str(track, "kind"), "video");
  EXPECT_EQ(str(track, "source"), "camera");
  EXPECT_EQ(track.at("muted"), json::value(false));
  EXPECT_EQ(track.at("layers"), json::value(json::array{"q", "h", "f"})) << dump(pub);

  const auto offer = b->expect("offer");
  EXPECT_EQ(str(offer, "pc"), "subscriber");
  const auto& tracks = arr(offer, "tracks");
  ASSERT_EQ(tracks.size(), 1u) << dump(offer);
  const auto& t = tracks[0].as_object();
  EXPECT_EQ(str(t, "participant_id"), alice_id);
  EXPECT_EQ(str(t, "track_id"), track_id);
  EXPECT_EQ(str(t, "kind"), "video");
  EXPECT_EQ(str(t, "source"), "camera");
  const std::string mid = str(t, "mid");
  const std::string sub = str(offer, "sdp");
  EXPECT_EQ(count_of(sub, "\r\nm=video "), 1u) << sub;
  EXPECT_NE(sub.find("a=mid:" + mid + "\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=msid:" + alice_id + " " + track_id + "\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=ice-lite\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=setup:actpass\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=sendonly\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=ssrc-group:FID "), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=rtpmap:96 VP8/90000\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=fmtp:97 apt=96\r\n"), std::string::npos) << sub;
  a->expect_silence(200ms);  // alice is not offered her own track

  // Bob answers like Chromium; a second answer has no offer to go to.
  b->send({{"type", "answer"}, {"pc", "subscriber"}, {"sdp", chromium_subscriber_answer(sub)}, {"ref", 1}});
  b->expect_silence(300ms);
  expect_err(*b, {{"type", "answer"}, {"pc", "subscriber"}, {"sdp", chromium_subscriber_answer(sub)}},
             "invalid_state");

  // The REST snapshot lists the track with its layers and bob's subscription.
  const auto r = w.http.get("/api/v1/rooms/" + room, alice.token);
  ASSERT_EQ(r.status, 200) << r.body;
  bool seen_track = false, seen_subscription = false;
  const auto snapshot = r.json().as_object();
  for (const auto& v : arr(snapshot, "participants")) {
    const auto& p = v.as_object();
    if (str(p, "participant_id") == alice_id)
      for (const auto& tv : arr(p, "tracks")) {
        const auto& tj = tv.as_object();
        if (str(tj, "track_id") != track_id) continue;
        seen_track = true;
        std::vector<std::string> rids;
        for (const auto& l : arr(tj, "layers")) rids.push_back(str(l.as_object(), "rid"));
        EXPECT_EQ(rids, (std::vector<std::string>{"q", "h", "f"})) << r.body;
      }
    if (str(p, "participant_id") == bob_id)
      for (const auto& sv : arr(p, "subscriptions"))
        if (str(sv.as_object(), "track_id") == track_id) seen_subscription = true;
  }
  EXPECT_TRUE(seen_track) << r.body;
  EXPECT_TRUE(seen_subscription) << r.body;
}

TEST(RoomMedia, SubscriberOfferParsesWithParleysOwnSdpParser) {
  // The subscriber offer's a=msid carries the track id; it must be made of
  // RFC 4566 token-chars (RFC 8830 §2 msid-id) for strict parsers.
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("subparse");
  join(*a, room);
  join(*b, room);
  a->expect("participant_joined");
  a->send(publisher_offer(fixture("chromium_simulcast.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "camera"}}}));
  a->expect("answer");
  b->expect("track_published");
  const auto offer = b->expect("offer");
  const std::string sub = str(offer, "sdp");
  auto parsed = sdp::parse(sub);
  ASSERT_TRUE(parsed) << parsed.error().to_string() << "\n" << sub;
  EXPECT_EQ(parsed->media.size(), 1u);
}

TEST(RoomMedia, AudioVideoOfferPublishesTwoTracksAndLateJoinerIsOfferedBoth) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("av");
  const std::string alice_id = str(join(*a, room), "participant_id");
  a->send(publisher_offer(fixture("chromium_audio_video.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "microphone"}},
                                      json::object{{"mid", "1"}, {"source", "camera"}}}));
  const auto answer = a->expect("answer");
  auto parsed = sdp::parse(str(answer, "sdp"));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->media.size(), 2u);
  for (const auto& m : parsed->media) {
    EXPECT_EQ(m.effective_direction(), sdp::Direction::RecvOnly) << "the SFU only receives here";
    EXPECT_TRUE(m.ssrcs.empty());
    EXPECT_FALSE(m.simulcast);
  }

  // Bob comes later: joined lists alice with both tracks, then an offer.
  const auto jb = join(*b, room);
  const auto& others = arr(jb, "participants");
  ASSERT_EQ(others.size(), 1u);
  const auto& tracks = arr(others[0].as_object(), "tracks");
  ASSERT_EQ(tracks.size(), 2u) << dump(jb);
  std::set<std::string> kinds, sources;
  for (const auto& t : tracks) {
    kinds.insert(str(t.as_object(), "kind"));
    sources.insert(str(t.as_object(), "source"));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"audio", "video"}));
  EXPECT_EQ(sources, (std::set<std::string>{"microphone", "camera"}));

  const auto offer = b->expect("offer");
  EXPECT_EQ(str(offer, "pc"), "subscriber");
  EXPECT_EQ(arr(offer, "tracks").size(), 2u) << dump(offer);
  const std::string sub = str(offer, "sdp");
  EXPECT_EQ(count_of(sub, "\r\nm=audio "), 1u) << sub;
  EXPECT_EQ(count_of(sub, "\r\nm=video "), 1u) << sub;
  EXPECT_NE(sub.find("a=rtpmap:111 opus/48000/2\r\n"), std::string::npos) << sub;
  for (const auto& t : arr(offer, "tracks"))
    EXPECT_EQ(str(t.as_object(), "participant_id"), alice_id);

  // A wrong answer is refused and ends that offer; the SFU offers afresh
  // (so the subscriber connection can still come up) and takes the right
  // answer to the new offer.
  expect_err(*b, {{"type", "answer"}, {"pc", "subscriber"}, {"sdp", chromium_subscriber_answer(sub, 1)}},
             "unacceptable_answer");
  const auto again = b->wait_for("offer");
  const std::string sub2 = str(again, "sdp");
  EXPECT_EQ(count_of(sub2, "\r\nm=video "), 1u) << sub2;
  expect_err(*b, {{"type", "answer"}, {"pc", "subscriber"}, {"sdp", "garbage"}}, "invalid_sdp");
  const std::string sub3 = str(b->wait_for("offer"), "sdp");
  b->send({{"type", "answer"}, {"pc", "subscriber"}, {"sdp", chromium_subscriber_answer(sub3)}});
  b->expect_silence(300ms);
}

TEST(RoomMedia, MetricsCountRoomsParticipantsAndTracks) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("metrics");
  join(*a, room);
  join(*b, room);
  a->expect("participant_joined");
  a->send(publisher_offer(fixture("chromium_audio_video.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "microphone"}},
                                      json::object{{"mid", "1"}, {"source", "camera"}}}));
  a->wait_for("answer");
  b->wait_for("offer");
  auto page = w.http.get("/metrics");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(metric_sample(page.body, "parley_sfu_rooms"), 1.0) << page.body;
  EXPECT_EQ(metric_sample(page.body, "parley_sfu_participants"), 2.0);
  EXPECT_EQ(metric_sample(page.body, "parley_sfu_tracks"), 2.0);
  a.reset();  // the WebSocket closes: alice leaves, her tracks go
  b->wait_for("participant_left");
  page = w.http.get("/metrics");
  EXPECT_EQ(metric_sample(page.body, "parley_sfu_participants"), 1.0) << page.body;
  EXPECT_EQ(metric_sample(page.body, "parley_sfu_tracks"), 0.0);
}

TEST(RoomMedia, ScreenSourceMakesTheParticipantScreenSharing) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string room = room_name("screen");
  const std::string alice_id = str(join(*a, room), "participant_id");
  join(*b, room);
  a->expect("participant_joined");
  a->send(publisher_offer(fixture("chromium_simulcast.sdp"),
                          json::array{json::object{{"mid", "0"}, {"source", "screen"}}}));
  a->wait_for("answer");
  const auto pub = b->expect("track_published");
  EXPECT_EQ(str(obj(pub, "track"), "source"), "screen");
  const auto state = b->wait_for("participant_state");
  EXPECT_EQ(str(obj(state, "participant"), "participant_id"), alice_id);
  EXPECT_EQ(obj(state, "participant").at("screen_sharing"), json::value(true));
}

// ---------------------------------------------------------------- REST

TEST(RoomsRest, GetRoomNeedsATokenAndListsParticipantsWhileTheyAreIn) {
  World w;
  const User alice = w.user("alice"), bob = w.user("bob");
  const std::string room = room_name("rest");
  const auto unauth = w.http.get("/api/v1/rooms/" + room);
  EXPECT_EQ(unauth.status, 401) << unauth.body;
  EXPECT_EQ(unauth.error_code(), "unauthorized");
  EXPECT_EQ(w.http.get("/api/v1/rooms/" + room, "not-a-jwt").status, 401);

  const auto unknown = w.http.get("/api/v1/rooms/" + room, alice.token);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.error_code(), "not_found");

  auto a = connect(w, alice, "alice");
  auto b = connect(w, bob, "bob");
  const std::string alice_id = str(join(*a, room, "Alice A."), "participant_id");
  const std::string bob_id = str(join(*b, room), "participant_id");
  a->expect("participant_joined");
  const auto r = w.http.get("/api/v1/rooms/" + room, bob.token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type.rfind("application/json", 0), 0u) << r.content_type;
  const auto o = r.json().as_object();
  EXPECT_EQ(str(o, "room"), room);
  const auto& list = arr(o, "participants");
  EXPECT_EQ(participant_ids(list), (std::set<std::string>{alice_id, bob_id}));
  for (const auto& v : list) {
    const auto& p = v.as_object();
    if (str(p, "participant_id") == alice_id) {
      EXPECT_EQ(str(p, "display_name"), "Alice A.");
      EXPECT_EQ(str(p, "user_id"), alice.user_id);
    }
  }
  // Another user, not in the room, may look too ("any signed-in user").
  const User carol = w.user("carol");
  EXPECT_EQ(w.http.get("/api/v1/rooms/" + room, carol.token).status, 200);

  // One leaves: listed no more.
  a->send({{"type", "leave"}});
  b->expect("participant_left");
  EXPECT_TRUE(eventually([&] { return room_members(w.http, room, bob) == std::set<std::string>{bob_id}; }));
  // The last one goes (by closing): the room closes.
  b->close();
  EXPECT_TRUE(eventually([&] { return !room_members(w.http, room, alice).has_value(); }))
      << "the room must close when everyone left";
  // And can be opened again by joining.
  const auto j = join(*a, room);
  EXPECT_TRUE(arr(j, "participants").empty());
  EXPECT_EQ(room_members(w.http, room, alice), (std::set<std::string>{str(j, "participant_id")}));
}

TEST(RoomsRest, RoomWithPublishedTrackClosesAfterEveryoneLeft) {
  World w;
  const User alice = w.user("alice");
  auto a = connect(w, alice, "alice");
  const std::string room = room_name("rest-pub");
  join(*a, room);
  a->send(publisher_offer(fixture("chromium_audio_video.sdp"), {}));
  a->expect("answer");
  ASSERT_TRUE(room_members(w.http, room, alice));
  a->drop();
  EXPECT_TRUE(eventually([&] { return !room_members(w.http, room, alice).has_value(); }));
}

}  // namespace
}  // namespace parley::itest
