// The server under stress and failure: malformed and oversized input, floods,
// dropped connections and reconnects, offline devices reached by push, and a
// SIGKILL in the middle of calls (docs/protocol.md: "Limits", "Errors",
// "Reconnect", "Push gateway"; DESIGN.md: a call's end is durable first).

#include "scenario.hpp"

namespace parley::itest {
namespace {

// ---------------------------------------------------------------- malformed input

TEST(Malformed, FramesThatAreNotMessagesAreErrors) {
  World w;
  const User alice = w.user("alice");
  WsClient ws(w.server.port(), alice.token, "alice/raw");
  ws.send_text("this is not json");
  ws.expect_error("invalid_json");
  ws.send_text("[1,2,3]");
  ws.expect_error("invalid_json");
  ws.send_text("\"just a string\"");
  ws.expect_error("invalid_json");
  ws.send_text(R"({"type":"call_invite")");  // truncated
  ws.expect_error("invalid_json");
  ws.send_text(R"({"ref":3})");
  ws.expect_error("unknown_type", json::value(3));
  ws.send_text(R"({"type":"teleport","ref":"r1"})");
  ws.expect_error("unknown_type", json::value("r1"));
  ws.send_text(R"({"type":5,"ref":4})");
  ws.expect_error("unknown_type", json::value(4));
  ws.send({{"type", "ping"}});
  ws.expect("pong");
  ws.register_device("raw-1");
  ws.expect_silence(100ms);
}

TEST(Malformed, MissingAndWrongTypedFieldsAreErrorsWithRef) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  WsClient ws(w.server.port(), alice.token, "alice/fields");
  const auto check = [&](json::object m, std::string_view code, int ref,
                         Where where = Where::current()) {
    m["ref"] = ref;
    ws.send(m, where);
    ws.expect_error(code, json::value(ref), kTimeout, where);
  };
  check({{"type", "register"}}, "missing_field", 1);
  check({{"type", "register"}, {"device_id", 7}}, "invalid_field", 2);
  check({{"type", "register"}, {"device_id", "has space"}}, "invalid_field", 3);
  check({{"type", "register"}, {"device_id", std::string(65, 'd')}}, "invalid_field", 4);
  ws.register_device("tab-1");

  auto invite = invite_msg(bob, "k-1");
  auto without = [&](const char* key) {
    auto m = invite;
    m.erase(key);
    return m;
  };
  auto with = [&](const char* key, json::value v) {
    auto m = invite;
    m[key] = std::move(v);
    return m;
  };
  check(without("callee"), "missing_field", 10);
  check(without("call_type"), "missing_field", 11);
  check(without("idempotency_key"), "missing_field", 12);
  check(with("call_type", 5), "invalid_field", 13);
  check(with("call_type", "hologram"), "invalid_field", 14);
  check(with("callee", json::array{bob.username}), "invalid_field", 15);
  check(with("sdp_offer", 1.5), "invalid_field", 16);
  check({{"type", "call_accept"}}, "missing_field", 20);
  check({{"type", "call_accept"}, {"call_id", 5}}, "invalid_field", 21);
  check({{"type", "call_accept"}, {"call_id", "c_doesnotexist"}}, "call_not_found", 22);
  check({{"type", "call_end"}, {"call_id", "c_doesnotexist"}}, "call_not_found", 23);
  check({{"type", "ice_candidate"}, {"call_id", "c_x"}}, "missing_field", 24);
  check({{"type", "ice_candidate"}, {"call_id", "c_x"}, {"candidate", "str"}}, "invalid_field", 25);
  check({{"type", "sdp_offer"}, {"call_id", "c_x"}}, "missing_field", 26);
  check({{"type", "sdp_answer"}, {"call_id", "c_x"}, {"sdp", false}}, "invalid_field", 27);
  ws.send({{"type", "ping"}});
  ws.expect("pong");
  ws.expect_silence(100ms);
  EXPECT_TRUE(history(w.http, alice).empty()) << "no call came out of a rejected invite";
}

TEST(Malformed, CallMessagesThatDoNotFitTheCallAreRefused) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const User carol = w.user("carol");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  auto c = w.device(carol, "c1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "state-1");
  const auto check = [&](WsClient& dev, std::string_view type, std::string_view code,
                         Where where = Where::current()) {
    auto m = call_msg(type, id);
    m["ref"] = std::string(type) + "-" + dev.label();
    dev.send(m, where);
    dev.expect_error(code, m["ref"], kTimeout, where);
  };
  // Ringing.
  check(*a, "call_accept", "not_allowed");  // the caller cannot answer its own call
  check(*a, "call_decline", "not_allowed");
  check(*b, "call_cancel", "not_allowed");
  check(*a, "call_end", "invalid_state");
  check(*b, "call_handoff", "invalid_state");
  check(*c, "call_accept", "not_a_party");
  check(*c, "call_cancel", "not_a_party");
  accept_call(*a, *b, "b1", {}, id);
  // Active.
  check(*a, "call_cancel", "invalid_state");
  check(*b, "call_decline", "invalid_state");
  check(*c, "call_end", "not_a_party");
  check(*c, "call_handoff", "not_a_party");
  a->send(invite_msg(carol, "state-2"));  // alice is in a call already
  a->expect_error("invalid_state");
  for (auto* d : {a.get(), b.get(), c.get()}) d->expect_silence(100ms);
  b->send(call_msg("call_end", id));
  expect_ended({a.get(), b.get()}, id, "completed");
  // Ended.
  check(*a, "call_end", "call_not_found");
  check(*b, "call_accept", "call_not_found");
}

TEST(Malformed, OversizedMessageIsRefusedAndTheConnectionStaysUsable) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  json::object big{{"type", "ping"}, {"ref", 1}, {"pad", std::string(70 * 1024, 'x')}};
  a->send(big);
  a->expect_error("message_too_large");
  a->send({{"type", "ping"}, {"ref", 2}});
  a->expect("pong");
  // Just under the limit is fine.
  a->send({{"type", "ping"}, {"pad", std::string(60 * 1024, 'y')}});
  a->expect("pong");
  // Twice in a row, then a whole call on the same connection.
  a->send(big);
  a->send(big);
  a->expect_error("message_too_large");
  a->expect_error("message_too_large");
  const auto id = place_call(alice, *a, bob, {b.get()}, "after-big");
  accept_call(*a, *b, "b1", {}, id);
  a->send(call_msg("call_end", id));
  expect_ended({a.get(), b.get()}, id, "completed");
}

// With --ws-rate 20 (burst 40): a flood is answered rate_limited, then closed
// with 1008; a call between two other users goes on meanwhile.
TEST(Malformed, FloodIsRateLimitedThenClosedWithoutHurtingOtherCalls) {
  World w({"--ws-rate", "20"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const User mallory = w.user("mallory");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  auto m = w.device(mallory, "m1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "flood-1");

  std::vector<std::shared_future<bool>> flood;
  for (int i = 0; i < 2000; ++i) flood.push_back(m->send_async({{"type", "ping"}, {"n", i}}));
  accept_call(*a, *b, "b1", {}, id);
  const json::object offer{{"type", "sdp_offer"}, {"call_id", id}, {"sdp", "v=0 during flood"}};
  a->send(offer);
  EXPECT_EQ(str(b->expect("sdp_offer"), "sdp"), "v=0 during flood");

  const auto closed = m->wait_closed();
  EXPECT_EQ(closed.code, 1008);
  EXPECT_EQ(closed.reason, "rate limit exceeded");
  int pongs = 0, limited = 0;
  for (const auto& msg : m->drain()) {
    if (msg.at("type") == json::value("pong")) {
      ++pongs;
    } else {
      EXPECT_EQ(msg.at("type"), json::value("error")) << dump(msg);
      EXPECT_EQ(msg.at("code"), json::value("rate_limited")) << dump(msg);
      ++limited;
    }
  }
  EXPECT_GE(limited, 1);
  EXPECT_GE(pongs, 39) << "the burst (40, one spent on register) is served";
  EXPECT_LT(pongs, 2000);

  b->send(call_msg("call_end", id));
  expect_ended({a.get(), b.get()}, id, "completed");
  EXPECT_EQ(str(history_entry(w.http, alice, id), "status"), "completed");
}

// A device that stops reading while its peer keeps sending: once its queue
// passes 1 MiB the server closes it with 1008 "slow consumer"; the peer's
// own connection and call are unaffected.
TEST(Malformed, SlowConsumerIsClosed) {
  World w({"--ws-rate", "100000"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "slow-1");
  accept_call(*a, *b, "b1", {}, id);

  b->pause_reading();
  // 16 MB: more than the kernel buffers on both ends of the loopback plus 1 MiB.
  const std::string sdp(50 * 1024, 's');
  std::vector<std::shared_future<bool>> sends;
  for (int i = 0; i < 320; ++i)
    sends.push_back(a->send_async({{"type", "sdp_offer"}, {"call_id", id}, {"sdp", sdp}}));
  for (const auto& f : sends) sent(f);
  a->send({{"type", "ping"}});
  a->expect("pong");

  b->resume_reading();
  const auto closed = b->wait_closed(3 * kTimeout);
  EXPECT_EQ(closed.code, 1008);
  EXPECT_EQ(closed.reason, "slow consumer");
  const auto got = b->drain();
  EXPECT_LT(got.size(), 320u) << "some offers were dropped with the queue";
  for (const auto& m : got) EXPECT_EQ(m.at("type"), json::value("sdp_offer"));

  // The call outlives the slow connection for the reconnect grace.
  EXPECT_EQ(str(a->expect("peer_disconnected"), "call_id"), id);
  a->send(call_msg("call_end", id));
  expect_ended({a.get()}, id, "completed");
}

// ---------------------------------------------------------------- reconnect

TEST(Reconnect, WithinGraceTheCallContinues) {
  World w({"--reconnect-grace", "2"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "reconnect-1");
  accept_call(*a, *b, "b1", {}, id);

  a->drop();
  EXPECT_EQ(str(b->expect("peer_disconnected"), "call_id"), id);

  WsClient again(w.server.port(), alice.token, "alice/a1-again");
  const auto reg = again.register_device("a1");
  EXPECT_EQ(reg.at("resumed_calls"), json::value(json::array{id})) << dump(reg);
  const auto st = again.expect("call_state");
  EXPECT_EQ(str(st, "call_id"), id);
  EXPECT_EQ(str(st, "state"), "active");
  EXPECT_EQ(str(st, "role"), "caller");
  EXPECT_EQ(str(st, "call_type"), "video");
  EXPECT_EQ(str(obj(st, "peer"), "username"), bob.username);
  EXPECT_EQ(str(obj(st, "peer"), "user_id"), bob.user_id);
  EXPECT_GT(num(st, "answered_at"), 0);
  EXPECT_EQ(str(b->expect("peer_reconnected"), "call_id"), id);

  // ICE restart over the new connection, then a normal hang-up.
  again.send({{"type", "sdp_offer"}, {"call_id", id}, {"sdp", "v=0 ice restart"}});
  const auto off = b->expect("sdp_offer");
  EXPECT_EQ(str(off, "sdp"), "v=0 ice restart");
  EXPECT_EQ(str(off, "from_device"), "a1");
  b->send({{"type", "sdp_answer"}, {"call_id", id}, {"sdp", "v=0 restarted"}});
  EXPECT_EQ(str(again.expect("sdp_answer"), "sdp"), "v=0 restarted");
  again.send(call_msg("call_end", id));
  expect_ended({&again, b.get()}, id, "completed");
  EXPECT_EQ(str(history_entry(w.http, bob, id), "end_reason"), "completed");
}

TEST(Reconnect, CalleeDropWithinGraceIsSymmetric) {
  World w({"--reconnect-grace", "2"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "reconnect-2");
  accept_call(*a, *b, "b1", {}, id);
  b->drop();
  EXPECT_EQ(str(a->expect("peer_disconnected"), "call_id"), id);
  auto again = w.device(bob, "b1");  // expects registered
  const auto st = again->expect("call_state");
  EXPECT_EQ(str(st, "role"), "callee");
  EXPECT_EQ(str(obj(st, "peer"), "username"), alice.username);
  EXPECT_EQ(str(a->expect("peer_reconnected"), "call_id"), id);
  a->send(call_msg("call_end", id));
  expect_ended({a.get(), again.get()}, id, "completed");
}

TEST(Reconnect, AfterGraceTheCallEndsAsConnectionLost) {
  World w({"--reconnect-grace", "1"});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  const auto id = place_call(alice, *a, bob, {b.get()}, "lost-1");
  accept_call(*a, *b, "b1", {}, id);

  const auto dropped_at = Clock::now();
  a->drop();
  EXPECT_EQ(str(b->expect("peer_disconnected"), "call_id"), id);
  expect_ended({b.get()}, id, "connection_lost");
  EXPECT_GE(Clock::now() - dropped_at, 900ms) << "the grace timer never fires early";

  // Too late: the device comes back to no call.
  WsClient again(w.server.port(), alice.token, "alice/a1-late");
  const auto reg = again.register_device("a1");
  EXPECT_EQ(reg.at("resumed_calls"), json::value(json::array{}));
  again.expect_silence(200ms);
  const auto rec = history_entry(w.http, bob, id);
  EXPECT_EQ(str(rec, "end_reason"), "connection_lost");
  EXPECT_EQ(str(rec, "status"), "completed") << "it was answered";
  b->send(call_msg("call_end", id));
  b->expect_error("call_not_found");
}

// ---------------------------------------------------------------- push

TEST(Push, OfflineDeviceIsNotifiedAndRetriedWithoutDelayingTheCall) {
  PushReceiver push(/*fail_first=*/1, /*hold_first=*/true);
  World w({"--push-gateway", push.url()});
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  {
    auto phone = w.device(bob, "phone-2", "pushkey-bob-2");
    phone->close();
  }
  ASSERT_TRUE(eventually([&] {
    const auto r = w.http.get("/api/v1/users/" + bob.username, alice.token);
    return r.status == 200 && r.json().at("online") == json::value(false);
  })) << "bob's only device never went offline";

  auto a = w.device(alice, "a1");
  const auto id = place_call(alice, *a, bob, {}, "push-1");
  // call_ringing came while the gateway had not answered anything.
  EXPECT_EQ(push.answered(), 0u);

  const auto first = push.wait_request(0);
  const auto released_at = Clock::now();
  push.release();  // answered 500
  const auto second = push.wait_request(1);
  EXPECT_GE(second.at - released_at, 450ms) << "the retry waits for its 0.5 s backoff";

  for (const auto* r : {&first, &second}) {
    EXPECT_EQ(r->method, "POST");
    EXPECT_EQ(r->target, "/push");
    EXPECT_EQ(r->content_type.rfind("application/json", 0), 0u) << r->content_type;
    const auto body = json::parse(r->body).as_object();
    const auto& n = obj(body, "notification");
    EXPECT_EQ(str(n, "type"), "incoming_call");
    EXPECT_EQ(str(n, "call_id"), id);
    EXPECT_EQ(str(n, "call_type"), "video");
    EXPECT_EQ(str(obj(n, "caller"), "username"), alice.username);
    EXPECT_EQ(str(obj(n, "caller"), "user_id"), alice.user_id);
    EXPECT_EQ(str(obj(n, "caller"), "display_name"), alice.display_name);
    EXPECT_EQ(str(n, "callee_user_id"), bob.user_id);
    EXPECT_EQ(n.at("devices"),
              json::value(json::array{json::object{{"device_id", "phone-2"},
                                                   {"device_name", "phone-2 device"},
                                                   {"pushkey", "pushkey-bob-2"}}}))
        << r->body;
    EXPECT_FALSE(n.contains("sdp_offer")) << "pushes carry no SDP";
  }
  EXPECT_EQ(second.body, first.body);

  // Delivered: no more attempts, and the call still rings for bob's return.
  a->expect_silence(800ms);
  EXPECT_EQ(push.count(), 2u);
  auto phone = w.device(bob, "phone-2");
  phone->expect("incoming_call");
  a->send(call_msg("call_cancel", id));
  expect_ended({a.get(), phone.get()}, id, "cancelled");
}

// ---------------------------------------------------------------- crash

TEST(Crash, KillNineKeepsEndedCallsAndFailsLiveOnes) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const User carol = w.user("carol");
  const User dave = w.user("dave");
  auto a = w.device(alice, "a1");
  auto b = w.device(bob, "b1");
  auto c = w.device(carol, "c1");
  auto d = w.device(dave, "d1");

  const auto ended = place_call(alice, *a, bob, {b.get()}, "crash-1");
  accept_call(*a, *b, "b1", {}, ended);
  a->send(call_msg("call_end", ended));
  expect_ended({a.get(), b.get()}, ended, "completed");  // durable before it is said

  const auto active = place_call(alice, *a, bob, {b.get()}, "crash-2");
  accept_call(*a, *b, "b1", {}, active);
  const auto ringing = place_call(carol, *c, dave, {d.get()}, "crash-3");
  // History reads queue behind the writes the server already asked for.
  ASSERT_EQ(str(history_entry(w.http, alice, active), "status"), "active");
  ASSERT_EQ(str(history_entry(w.http, carol, ringing), "status"), "ringing");

  w.server.kill9();
  for (auto* dev : {a.get(), b.get(), c.get(), d.get()}) dev->wait_closed();
  w.server.restart();
  Http http(w.server.port());
  EXPECT_EQ(http.get("/health").status, 200);
  const User alice2 = login(http, alice.username, kPassword);
  const User bob2 = login(http, bob.username, kPassword);
  EXPECT_EQ(alice2.user_id, alice.user_id);
  EXPECT_EQ(http.get("/api/v1/me", alice.token).status, 200) << "tokens survive a restart";

  for (const User* u : {&alice2, &bob2}) {
    SCOPED_TRACE(u->username);
    const auto h = history(http, *u);
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].at("call_id"), json::value(active));
    EXPECT_EQ(h[1].at("call_id"), json::value(ended));
    const auto& done = h[1].as_object();
    EXPECT_EQ(str(done, "status"), "completed");
    EXPECT_EQ(str(done, "end_reason"), "completed");
    const auto& live = h[0].as_object();
    EXPECT_EQ(str(live, "end_reason"), "failed") << dump(live);
    // docs/protocol.md: `status` is "completed" for any answered call; the
    // crash shows in end_reason.
    EXPECT_EQ(str(live, "status"), "completed") << dump(live);
    EXPECT_GT(num(live, "answered_at"), 0);
    EXPECT_GE(num(live, "ended_at"), num(live, "answered_at"));
  }
  const User carol2 = login(http, carol.username, kPassword);
  const User dave2 = login(http, dave.username, kPassword);
  const auto rc = history_entry(http, carol2, ringing);
  EXPECT_EQ(str(rc, "end_reason"), "failed");
  EXPECT_EQ(str(rc, "status"), "failed");
  EXPECT_EQ(str(history_entry(http, dave2, ringing), "status"), "missed");

  // The restarted server takes calls again.
  auto a2 = connect_device(w.server.port(), alice2, "a1");
  auto b2 = connect_device(w.server.port(), bob2, "b1");
  const auto after = place_call(alice2, *a2, bob2, {b2.get()}, "crash-4");
  accept_call(*a2, *b2, "b1", {}, after);
  b2->send(call_msg("call_end", after));
  expect_ended({a2.get(), b2.get()}, after, "completed");
}

}  // namespace
}  // namespace parley::itest
