// Media negotiation relay against a real server: offers, answers and ICE
// candidates go to the other party's chosen device only, duplicates are
// dropped, and the caller's early candidates wait for the answering device
// (docs/protocol.md, "Media negotiation" and "Accept").

#include "scenario.hpp"

namespace parley::itest {
namespace {

json::object candidate(int n) {
  return {{"candidate", "candidate:" + std::to_string(n) + " 1 udp 2122260223 192.0.2." +
                            std::to_string(n) + " 5000" + std::to_string(n) + " typ host"},
          {"sdpMid", "0"},
          {"sdpMLineIndex", 0}};
}

json::object candidate_msg(const std::string& call_id, int n) {
  return {{"type", "ice_candidate"}, {"call_id", call_id}, {"candidate", candidate(n)}};
}

// The next message on `to` is the relayed `sent` plus from_device.
void expect_relayed(WsClient& to, json::object sent, const std::string& from_device,
                    Where where = Where::current()) {
  sent.erase("ref");
  sent["from_device"] = from_device;
  const auto got = to.recv(kTimeout, where);
  if (got != sent)
    fail_at(where, "[" + to.label() + "] expected relay " + dump(sent) + ", got " + dump(got));
}

TEST(Relay, GoesOnlyToTheOtherPartysChosenDevice) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  const User carol = w.user("carol");
  auto a = w.device(alice, "a1");
  auto a2 = w.device(alice, "a2");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  auto c = w.device(carol, "c1");
  const auto id = place_call(alice, *a, bob, {b1.get(), b2.get()}, "relay-1");
  accept_call(*a, *b1, "b1", {b2.get()}, id);

  const json::object offer{{"type", "sdp_offer"}, {"call_id", id}, {"sdp", "v=0 renegotiate"}};
  a->send(offer);
  expect_relayed(*b1, offer, "a1");
  const json::object answer{{"type", "sdp_answer"}, {"call_id", id}, {"sdp", "v=0 answer"}};
  b1->send(answer);
  expect_relayed(*a, answer, "b1");

  // Candidates both ways; a repeat of one already relayed is dropped.
  b1->send(candidate_msg(id, 1));
  b1->send(candidate_msg(id, 1));
  b1->send(candidate_msg(id, 2));
  expect_relayed(*a, candidate_msg(id, 1), "b1");
  expect_relayed(*a, candidate_msg(id, 2), "b1");
  a->send(candidate_msg(id, 1));  // same candidate, other direction: relayed
  a->send(candidate_msg(id, 1));
  a->send(candidate_msg(id, 3));
  expect_relayed(*b1, candidate_msg(id, 1), "a1");
  expect_relayed(*b1, candidate_msg(id, 3), "a1");

  // Devices that are not the chosen ones, and strangers, are refused.
  auto stray = offer;
  stray["ref"] = "b2";
  b2->send(stray);
  b2->expect_error("not_a_party", json::value("b2"));
  stray["ref"] = "a2";
  a2->send(stray);
  a2->expect_error("not_a_party", json::value("a2"));
  stray["ref"] = "c1";
  c->send(stray);
  c->expect_error("not_a_party", json::value("c1"));
  auto bad = candidate_msg(id, 4);
  bad["candidate"].as_object()["candidate"] = 7;
  bad["ref"] = 8;
  a->send(bad);
  a->expect_error("invalid_field", json::value(8));

  for (auto* d : {a.get(), a2.get(), b1.get(), b2.get(), c.get()}) d->expect_silence(100ms);
  a->send(call_msg("call_end", id));
  expect_ended({a.get(), b1.get(), b2.get()}, id, "completed");
}

TEST(Relay, CandidatesSentWhileRingingReachOnlyTheAnsweringDevice) {
  World w;
  const User alice = w.user("alice");
  const User bob = w.user("bob");
  auto a = w.device(alice, "a1");
  auto b1 = w.device(bob, "b1");
  auto b2 = w.device(bob, "b2");
  auto b3 = w.device(bob, "b3");
  const auto id = place_call(alice, *a, bob, {b1.get(), b2.get(), b3.get()}, "held-1");

  a->send(candidate_msg(id, 1));
  a->send(candidate_msg(id, 1));  // duplicate: dropped, even while held
  a->send(candidate_msg(id, 2));
  // The callee may not negotiate before answering.
  auto early = candidate_msg(id, 9);
  early["ref"] = "early";
  b3->send(early);
  b3->expect_error("invalid_state", json::value("early"));
  json::object early_offer{{"type", "sdp_offer"}, {"call_id", id}, {"sdp", "x"}, {"ref", 1}};
  a->send(early_offer);
  a->expect_error("invalid_state", json::value(1));
  for (auto* d : {b1.get(), b2.get(), b3.get()}) d->expect_silence(150ms);

  accept_call(*a, *b2, "b2", {b1.get(), b3.get()}, id);
  // Right after call_connected, in the order they were sent.
  expect_relayed(*b2, candidate_msg(id, 1), "a1");
  expect_relayed(*b2, candidate_msg(id, 2), "a1");
  for (auto* d : {a.get(), b1.get(), b2.get(), b3.get()}) d->expect_silence(200ms);

  // A held candidate counts as relayed: sending it again is a duplicate.
  a->send(candidate_msg(id, 2));
  a->send(candidate_msg(id, 5));
  expect_relayed(*b2, candidate_msg(id, 5), "a1");

  b2->send(call_msg("call_end", id));
  expect_ended({a.get(), b1.get(), b2.get(), b3.get()}, id, "completed");
}

}  // namespace
}  // namespace parley::itest
