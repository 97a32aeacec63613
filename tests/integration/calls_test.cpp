// 1:1 calls against a real server: devices, invite, accept (and its race),
// idempotency, busy, ring timeout, cancel, decline, hang-up, history, glare,
// handoff (docs/protocol.md, "WebSocket").

#include <ctime>
#include <map>

#include "scenario.hpp"

namespace parley::itest {
namespace {

std::string type_of(const json::object& m) {
  const auto* t = m.if_contains("type");
  return t && t->is_string() ? std::string(t->get_string()) : std::string("<none>");
}

// ---------------------------------------------------------------- devices

TEST(Signaling, RegisterAnswersRegistered) {
  World w;
  const User alice = w.user("alice");
  WsClient ws(w.server.port(), alice.token, "alice/tab-1");
  ws.send({{"type", "register"}, {"device_id", "tab-1"}, {"device_name", "Chromium on Linux"}});
  const auto r = ws.expect("registered");
  EXPECT_EQ(str(r, "device_id"), "tab-1");
  EXPECT_EQ(str(r, "user_id"), alice.user_id);
  EXPECT_EQ(r.at("resumed_calls"), json::value(json::array{}));

  // The same connection may not become another device.
  ws.send({{"type", "register"}, {"device_id", "tab-2"}, {"ref", 1}});
  ws.expect_error("invalid_state", json::value(1));
  ws.expect_silence(200ms);
}

TEST(Signaling, CallMessagesBeforeRegisterAreNotRegistered) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  WsClient ws(w.server.port(), alice.token, "alice/unregistered");
  ws.send({{"type", "ping"}});
  ws.expect("pong");
  auto invite = invite_msg(bob, "k-1");
  invite["ref"] = 7;
  ws.send(invite);
  ws.expect_error("not_registered", json::value(7));
  ws.send({{"type", "call_accept"}, {"call_id", "c_x"}, {"ref", "r"}});
  ws.expect_error("not_registered", json::value("r"));
  ws.send({{"type", "call_end"}, {"call_id", "c_x"}});
  ws.expect_error("not_registered");
  ws.expect_silence(200ms);
}

TEST(Signaling, SecondConnectionWithTheSameDeviceIdReplacesTheFirst) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto old_conn = w.device(bob, "tab-1");
  auto new_conn = w.device(bob, "tab-1");
  const auto closed = old_conn->wait_closed();
  EXPECT_EQ(closed.code, 4000);
  EXPECT_EQ(closed.reason, "replaced");
  EXPECT_TRUE(old_conn->drain().empty());

  auto a = w.device(alice, "a1");
  place_call(alice, *a, bob, {new_conn.get()}, "replaced-1");
}

// ---------------------------------------------------------------- invite and accept

TEST(Calls, InviteRingsEveryConnectedCalleeDevice) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a1 = w.device(alice, "a1");
  auto a2 = w.device(alice, "a2");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  auto b3 = w.device(bob, "b3");
  const auto id = place_call(alice, *a1, bob, {b1.get(), b2.get(), b3.get()}, "ring-all", "voice");
  a2->expect_silence();  // the caller's other devices are not part of the call
  for (auto* d : {b1.get(), b2.get(), b3.get()}) d->expect_silence(50ms);
}

TEST(Calls, FirstAcceptWinsOthersAreAnsweredElsewhereLateAcceptIsAlreadyAnswered) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  auto b3 = w.device(bob, "b3");
  const auto id = place_call(alice, *a, bob, {b1.get(), b2.get(), b3.get()}, "accept-1");
  accept_call(*a, *b2, "b2", {b1.get(), b3.get()}, id);

  b1->send({{"type", "call_accept"}, {"call_id", id}, {"sdp_answer", "late"}, {"ref", "late"}});
  b1->expect_error("already_answered", json::value("late"));
  a->expect_silence();
  b2->expect_silence(50ms);
  b3->expect_silence(50ms);

  b2->send(call_msg("call_end", id));
  expect_ended({a.get(), b1.get(), b2.get(), b3.get()}, id, "completed");
}

TEST(Calls, AcceptRaceHasExactlyOneWinner100Times) {
  // 100 calls in a row exceed the default 50 messages/s of the caller.
  World w({"--ws-rate", "5000"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  std::map<std::string, int> wins;
  for (int i = 0; i < 100; ++i) {
    SCOPED_TRACE("round " + std::to_string(i));
    const auto id = place_call(alice, *a, bob, {b1.get(), b2.get()}, "race-" + std::to_string(i));
    // Both accepts are on the wire before anyone reads anything.
    auto f1 = b1->send_async(
        {{"type", "call_accept"}, {"call_id", id}, {"sdp_answer", "answer-b1"}, {"ref", "b1"}});
    auto f2 = b2->send_async(
        {{"type", "call_accept"}, {"call_id", id}, {"sdp_answer", "answer-b2"}, {"ref", "b2"}});
    sent(f1);
    sent(f2);

    const auto acc = a->expect("call_accepted");
    const std::string winner_id = str(acc, "device_id");
    ASSERT_TRUE(winner_id == "b1" || winner_id == "b2") << dump(acc);
    EXPECT_EQ(str(acc, "sdp_answer"), "answer-" + winner_id);
    WsClient& winner = winner_id == "b1" ? *b1 : *b2;
    WsClient& loser = winner_id == "b1" ? *b2 : *b1;
    const std::string loser_id = winner_id == "b1" ? "b2" : "b1";
    EXPECT_EQ(str(winner.expect("call_connected"), "call_id"), id);
    EXPECT_EQ(str(loser.expect("call_answered_elsewhere"), "call_id"), id);
    loser.expect_error("already_answered", json::value(loser_id));
    ++wins[winner_id];

    a->send(call_msg("call_end", id));
    expect_ended({a.get(), b1.get(), b2.get()}, id, "completed");
  }
  EXPECT_EQ(wins["b1"] + wins["b2"], 100);
  std::printf("accept race: b1 won %d, b2 won %d of 100\n", wins["b1"], wins["b2"]);
  for (auto* d : {a.get(), b1.get(), b2.get()}) d->expect_silence(100ms);
  EXPECT_EQ(history(w.http, alice, "?limit=200").size(), 100u);
}

TEST(Calls, IdempotentRetryReturnsTheSameCallAndRingsNobodyAgain) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a1 = w.device(alice, "a1");
  auto a2 = w.device(alice, "a2");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  const auto id = place_call(alice, *a1, bob, {b1.get(), b2.get()}, "idem-1");

  // A retry (from the same or another device of the same user) with the same key.
  for (WsClient* retry_from : {a1.get(), a2.get()}) {
    SCOPED_TRACE(retry_from->label());
    retry_from->send(invite_msg(bob, "idem-1"));
    const auto init = retry_from->expect("call_initiated");
    EXPECT_EQ(str(init, "call_id"), id);
    EXPECT_EQ(init.at("deduplicated"), json::value(true)) << dump(init);
    // The protocol promises only call_initiated; one call_ringing for the
    // same call (it does still ring) is tolerated, anything else is not.
    retry_from->expect_silence(300ms, [&](const json::object& m) {
      return type_of(m) == "call_ringing" && m.at("call_id") == json::value(id);
    });
  }
  b1->expect_silence(100ms);
  b2->expect_silence(100ms);
  EXPECT_EQ(history(w.http, alice).size(), 1u);

  a1->send(call_msg("call_cancel", id));
  expect_ended({a1.get(), b1.get(), b2.get()}, id, "cancelled");
}

// ---------------------------------------------------------------- endings

TEST(Calls, BusyCalleeIsNotRungAndSeesAMissedCall) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const User carol = w.user("carol");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  auto c = w.device(carol, "c1");
  const auto first = place_call(carol, *c, bob, {b1.get(), b2.get()}, "busy-first");
  accept_call(*c, *b1, "b1", {b2.get()}, first);

  a->send(invite_msg(bob, "busy-second"));
  const auto init = a->expect("call_initiated");
  const std::string id = str(init, "call_id");
  EXPECT_NE(id, first);
  EXPECT_EQ(init.at("deduplicated"), json::value(false));
  const auto ended = a->expect("call_ended");
  EXPECT_EQ(str(ended, "call_id"), id);
  EXPECT_EQ(str(ended, "reason"), "busy");
  for (auto* d : {b1.get(), b2.get(), c.get()}) d->expect_silence(300ms);

  const auto missed = history_entry(w.http, bob, id);
  EXPECT_EQ(str(missed, "status"), "missed") << dump(missed);
  EXPECT_EQ(str(missed, "direction"), "incoming");
  EXPECT_EQ(str(missed, "end_reason"), "busy");
  EXPECT_EQ(str(obj(missed, "peer"), "username"), alice.username);
  const auto busy = history_entry(w.http, alice, id);
  EXPECT_EQ(str(busy, "status"), "busy") << dump(busy);
  EXPECT_EQ(str(busy, "direction"), "outgoing");

  // The first call is untouched.
  c->send(call_msg("call_end", first));
  expect_ended({c.get(), b1.get(), b2.get()}, first, "completed");
}

TEST(Calls, RingTimeoutEndsTheCallAsNoAnswer) {
  World w({"--ring-timeout", "1.5"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  const auto start = Clock::now();
  const auto id = place_call(alice, *a, bob, {b1.get(), b2.get()}, "timeout-1");
  expect_ended({a.get(), b1.get(), b2.get()}, id, "no_answer");
  EXPECT_GE(Clock::now() - start, 1400ms) << "a ring timer never fires early";

  EXPECT_EQ(str(history_entry(w.http, alice, id), "status"), "no_answer");
  EXPECT_EQ(str(history_entry(w.http, bob, id), "status"), "missed");
  b1->send({{"type", "call_accept"}, {"call_id", id}, {"ref", 1}});
  b1->expect_error("call_not_found", json::value(1));
}

TEST(Calls, CallerCancelEndsTheCallEverywhere) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  const auto id = place_call(alice, *a, bob, {b1.get(), b2.get()}, "cancel-1");
  a->send(call_msg("call_cancel", id));
  expect_ended({a.get(), b1.get(), b2.get()}, id, "cancelled");
  EXPECT_EQ(str(history_entry(w.http, alice, id), "status"), "cancelled");
  EXPECT_EQ(str(history_entry(w.http, bob, id), "status"), "missed");
  b2->send({{"type", "call_accept"}, {"call_id", id}, {"ref", 2}});
  b2->expect_error("call_not_found", json::value(2));
}

TEST(Calls, CalleeDeclineEndsTheCallEverywhere) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  const auto id = place_call(alice, *a, bob, {b1.get(), b2.get()}, "decline-1");
  b2->send(call_msg("call_decline", id));
  expect_ended({a.get(), b1.get(), b2.get()}, id, "declined");
  EXPECT_EQ(str(history_entry(w.http, alice, id), "status"), "declined");
  EXPECT_EQ(str(history_entry(w.http, bob, id), "status"), "declined");
}

TEST(Calls, HangUpIsCompletedAndLandsInBothHistoriesNewestFirst) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");

  const auto first = place_call(alice, *a, bob, {b.get()}, "hist-1");
  accept_call(*a, *b, "b1", {}, first);
  a->send(call_msg("call_end", first));
  expect_ended({a.get(), b.get()}, first, "completed");

  const auto out = history_entry(w.http, alice, first);
  EXPECT_EQ(str(out, "direction"), "outgoing");
  EXPECT_EQ(str(out, "status"), "completed");
  EXPECT_EQ(str(out, "end_reason"), "completed");
  EXPECT_EQ(str(out, "call_type"), "video");
  EXPECT_EQ(str(out, "caller_device"), "a1");
  EXPECT_EQ(str(out, "callee_device"), "b1");
  const auto& peer = obj(out, "peer");
  EXPECT_EQ(str(peer, "user_id"), bob.user_id);
  EXPECT_EQ(str(peer, "username"), bob.username);
  EXPECT_EQ(str(peer, "display_name"), bob.display_name);
  EXPECT_GT(num(out, "answered_at"), 0);
  EXPECT_GE(num(out, "answered_at"), num(out, "initiated_at"));
  EXPECT_GE(num(out, "ended_at"), num(out, "answered_at"));
  EXPECT_EQ(num(out, "duration_seconds"), num(out, "ended_at") - num(out, "answered_at"));
  const auto in = history_entry(w.http, bob, first);
  EXPECT_EQ(str(in, "direction"), "incoming");
  EXPECT_EQ(str(in, "status"), "completed");
  EXPECT_EQ(str(obj(in, "peer"), "username"), alice.username);

  // The second call starts in a later second, so `before` can tell them apart.
  const std::int64_t t1 = num(out, "initiated_at");
  while (std::time(nullptr) <= t1) std::this_thread::sleep_for(20ms);
  const auto second = place_call(alice, *a, bob, {b.get()}, "hist-2", "voice");
  accept_call(*a, *b, "b1", {}, second);
  b->send(call_msg("call_end", second));  // the callee hangs up this time
  expect_ended({a.get(), b.get()}, second, "completed");

  for (const User* u : {&alice, &bob}) {
    SCOPED_TRACE(u->username);
    const auto all = w.http.get("/api/v1/calls", u->token).json().as_object();
    const auto& calls = all.at("calls").as_array();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].at("call_id"), json::value(second)) << "newest first";
    EXPECT_EQ(calls[1].at("call_id"), json::value(first));
    EXPECT_TRUE(all.at("next_before").is_null());

    const auto page1 = w.http.get("/api/v1/calls?limit=1", u->token).json().as_object();
    ASSERT_EQ(page1.at("calls").as_array().size(), 1u);
    EXPECT_EQ(page1.at("calls").as_array()[0].at("call_id"), json::value(second));
    const std::int64_t next = page1.at("next_before").to_number<std::int64_t>();
    EXPECT_EQ(next, page1.at("calls").as_array()[0].at("initiated_at").to_number<std::int64_t>());
    const auto page2 = history(w.http, *u, "?limit=1&before=" + std::to_string(next));
    ASSERT_EQ(page2.size(), 1u);
    EXPECT_EQ(page2[0].at("call_id"), json::value(first));
    EXPECT_TRUE(history(w.http, *u, "?before=" + std::to_string(t1)).empty());
    EXPECT_EQ(history(w.http, *u, "?limit=200").size(), 2u);
  }
  for (const std::string q : {"?limit=0", "?limit=201", "?limit=abc", "?limit=-1",
                              "?limit=", "?before=abc", "?before=-5"}) {
    SCOPED_TRACE(q);
    const auto r = w.http.get("/api/v1/calls" + q, alice.token);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.error_code(), "invalid_field");
  }
}

TEST(Calls, UnknownCalleeAndSelfCallAreErrorsWithRef) {
  World w;
  const User alice = w.user("alice");
  auto a = w.device(alice, "a1");
  auto m = invite_msg(User{"", "nobody_here", "", ""}, "k-unknown");
  m["ref"] = 42;
  a->send(m);
  a->expect_error("user_not_found", json::value(42));
  m = invite_msg(alice, "k-self");
  m["ref"] = "self";
  a->send(m);
  a->expect_error("invalid_callee", json::value("self"));
  a->expect_silence(200ms);
  EXPECT_TRUE(history(w.http, alice).empty());
}

// ---------------------------------------------------------------- glare

// alice invites bob and bob invites alice, both before either reads. The
// invite that reached the server first is the call; the other becomes its
// acceptance (docs/protocol.md, "Glare"). Which one is first is up to the
// network, so both outcomes are checked; repeated so that both invites are
// often in flight at the same time.
TEST(Calls, GlareMakesOneCallAndTheLaterInviteAcceptsIt) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  struct Side {
    const User* user;
    WsClient* dev;
    std::string dev_id;
    std::vector<WsClient*> others;  // the user's other devices
  };
  Side sa{&alice, a.get(), "a1", {}};
  Side sb{&bob, b1.get(), "b1", {b2.get()}};

  constexpr int kRounds = 10;
  for (int i = 0; i < kRounds; ++i) {
    SCOPED_TRACE("round " + std::to_string(i));
    const std::string offer_a = "offer-a-" + std::to_string(i);
    const std::string offer_b = "offer-b-" + std::to_string(i);
    auto fa = a->send_async(invite_msg(bob, "glare-a-" + std::to_string(i), "video", offer_a));
    auto fb = b1->send_async(invite_msg(alice, "glare-b-" + std::to_string(i), "video", offer_b));
    sent(fa);
    sent(fb);

    const auto a0 = a->recv();
    const auto b0 = b1->recv();
    const bool alice_first = type_of(a0) == "call_initiated" && type_of(b0) == "incoming_call";
    const bool bob_first = type_of(b0) == "call_initiated" && type_of(a0) == "incoming_call";
    ASSERT_TRUE(alice_first || bob_first) << "one invite must ring the other side first; alice got "
                                          << dump(a0) << ", bob got " << dump(b0);
    Side& win = alice_first ? sa : sb;
    Side& lose = alice_first ? sb : sa;
    const auto& win0 = alice_first ? a0 : b0;
    const auto& lose0 = alice_first ? b0 : a0;
    const std::string id = str(win0, "call_id");
    EXPECT_EQ(win0.at("deduplicated"), json::value(false));
    EXPECT_FALSE(win0.contains("glare") && win0.at("glare") == json::value(true)) << dump(win0);
    check_incoming(lose0, id, *win.user, "video", alice_first ? offer_a : offer_b);
    EXPECT_EQ(str(win.dev->expect("call_ringing"), "call_id"), id);
    for (auto* d : lose.others) d->expect("incoming_call");

    const auto init = lose.dev->expect("call_initiated");
    EXPECT_EQ(str(init, "call_id"), id) << "the later invite joins the earlier call";
    EXPECT_EQ(init.at("deduplicated"), json::value(false));
    EXPECT_EQ(init.at("glare"), json::value(true)) << dump(init);
    const auto con = lose.dev->expect("call_connected");
    EXPECT_EQ(str(con, "call_id"), id);
    EXPECT_EQ(con.at("glare"), json::value(true)) << dump(con);
    EXPECT_EQ(str(con, "sdp_offer"), alice_first ? offer_a : offer_b);
    const auto acc = win.dev->expect("call_accepted");
    EXPECT_EQ(str(acc, "call_id"), id);
    EXPECT_TRUE(acc.at("sdp_answer").is_null()) << dump(acc);
    EXPECT_EQ(str(acc, "device_id"), lose.dev_id);
    for (auto* d : lose.others) d->expect("call_answered_elsewhere");

    // The glare winner's client answers the offer it was handed.
    lose.dev->send({{"type", "sdp_answer"}, {"call_id", id}, {"sdp", "glare-answer"}});
    const auto ans = win.dev->expect("sdp_answer");
    EXPECT_EQ(str(ans, "sdp"), "glare-answer");
    EXPECT_EQ(str(ans, "from_device"), lose.dev_id);
    for (auto* d : win.others) d->expect_silence(50ms);

    // One call in both histories, active; nothing else rings.
    for (const User* u : {&alice, &bob}) {
      const auto h = history(w.http, *u);
      ASSERT_EQ(h.size(), static_cast<std::size_t>(i + 1)) << u->username << " has a second call";
      EXPECT_EQ(h[0].at("call_id"), json::value(id));
      EXPECT_EQ(h[0].at("status"), json::value("active"));
    }
    win.dev->send(call_msg("call_end", id));
    expect_ended({win.dev, lose.dev}, id, "completed");
    for (auto* d : lose.others) expect_ended({d}, id, "completed");
  }
  for (auto* d : {a.get(), b1.get(), b2.get()}) d->expect_silence(200ms);
}

// ---------------------------------------------------------------- handoff

TEST(Calls, HandoffMovesTheCallToAnotherDevice) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto d1 = w.device(bob, "d1");
  auto d2 = w.device(bob, "d2");
  const auto id = place_call(alice, *a, bob, {d1.get(), d2.get()}, "handoff-1");
  accept_call(*a, *d1, "d1", {d2.get()}, id);

  d2->send(call_msg("call_handoff", id));
  const auto con = d2->expect("call_connected");
  EXPECT_EQ(str(con, "call_id"), id);
  EXPECT_EQ(con.at("handoff"), json::value(true)) << dump(con);
  const auto ended = d1->expect("call_ended");
  EXPECT_EQ(str(ended, "call_id"), id);
  EXPECT_EQ(str(ended, "reason"), "handed_off");
  const auto moved = a->expect("call_handed_off");
  EXPECT_EQ(str(moved, "call_id"), id);
  EXPECT_EQ(str(moved, "device_id"), "d2");

  // The new device renegotiates; relays now go to d2 only.
  d2->send({{"type", "sdp_offer"}, {"call_id", id}, {"sdp", "offer-from-d2"}});
  const auto off = a->expect("sdp_offer");
  EXPECT_EQ(str(off, "sdp"), "offer-from-d2");
  EXPECT_EQ(str(off, "from_device"), "d2");
  a->send({{"type", "sdp_answer"}, {"call_id", id}, {"sdp", "answer-to-d2"}});
  const auto ans = d2->expect("sdp_answer");
  EXPECT_EQ(str(ans, "sdp"), "answer-to-d2");
  EXPECT_EQ(str(ans, "from_device"), "a1");
  d1->expect_silence(200ms);
  d1->send({{"type", "sdp_offer"}, {"call_id", id}, {"sdp", "stale"}, {"ref", 5}});
  d1->expect_error("not_a_party", json::value(5));
  d2->send({{"type", "call_handoff"}, {"call_id", id}, {"ref", 6}});
  d2->expect_error("invalid_state", json::value(6));

  a->send(call_msg("call_end", id));
  expect_ended({a.get(), d2.get()}, id, "completed");
  // d1 was told once that the call ended for it (handed_off).
  d1->expect_silence(300ms);
  const auto rec = history_entry(w.http, alice, id);
  EXPECT_EQ(str(rec, "callee_device"), "d2");
  EXPECT_EQ(str(rec, "status"), "completed");
}

}  // namespace
}  // namespace parley::itest
