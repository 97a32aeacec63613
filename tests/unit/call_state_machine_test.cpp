#include "calls/call_state_machine.hpp"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

using namespace parley::calls;

namespace {

struct Legal {
  CallState from;
  Action action;
  Role by;
  CallState next;
  std::optional<EndReason> reason;
};

const std::vector<Legal> kLegal = {
    {CallState::ringing, Action::accept, Role::callee, CallState::active, std::nullopt},
    {CallState::ringing, Action::decline, Role::callee, CallState::ended, EndReason::declined},
    {CallState::ringing, Action::cancel, Role::caller, CallState::ended, EndReason::cancelled},
    {CallState::ringing, Action::ring_timeout, Role::system, CallState::ended, EndReason::no_answer},
    {CallState::ringing, Action::busy, Role::system, CallState::ended, EndReason::busy},
    {CallState::ringing, Action::connection_lost, Role::system, CallState::ended,
     EndReason::connection_lost},
    {CallState::ringing, Action::fail, Role::system, CallState::ended, EndReason::failed},
    {CallState::active, Action::end, Role::caller, CallState::ended, EndReason::completed},
    {CallState::active, Action::end, Role::callee, CallState::ended, EndReason::completed},
    {CallState::active, Action::handoff, Role::caller, CallState::active, std::nullopt},
    {CallState::active, Action::handoff, Role::callee, CallState::active, std::nullopt},
    {CallState::active, Action::connection_lost, Role::system, CallState::ended,
     EndReason::connection_lost},
    {CallState::active, Action::fail, Role::system, CallState::ended, EndReason::failed},
};

bool is_legal(CallState s, Action a, Role r) {
  for (const auto& l : kLegal)
    if (l.from == s && l.action == a && l.by == r) return true;
  return false;
}

}  // namespace

TEST(CallStateMachine, EveryLegalTransitionLandsWhereTheTableSays) {
  for (const auto& l : kLegal) {
    auto t = transition(l.from, l.action, l.by);
    ASSERT_TRUE(t) << to_string(l.from) << " " << to_string(l.action) << ": " << t.error().message;
    EXPECT_EQ(t->next, l.next);
    EXPECT_EQ(t->reason, l.reason);
  }
}

TEST(CallStateMachine, EveryOtherCombinationIsRefusedWithAReason) {
  const CallState states[] = {CallState::ringing, CallState::active, CallState::ended};
  const Action actions[] = {Action::accept,       Action::decline, Action::cancel,
                            Action::end,          Action::handoff, Action::ring_timeout,
                            Action::busy,         Action::connection_lost, Action::fail};
  const Role roles[] = {Role::caller, Role::callee, Role::system};
  int refused = 0;
  for (auto s : states)
    for (auto a : actions)
      for (auto r : roles) {
        if (is_legal(s, a, r)) continue;
        auto t = transition(s, a, r);
        ASSERT_FALSE(t) << to_string(s) << " " << to_string(a);
        EXPECT_TRUE(t.error().code == "invalid_state" || t.error().code == "not_allowed");
        EXPECT_FALSE(t.error().message.empty());
        ++refused;
      }
  EXPECT_EQ(refused, 3 * 9 * 3 - static_cast<int>(kLegal.size()));
}

TEST(CallStateMachine, AnEndedCallAcceptsNothing) {
  auto t = transition(CallState::ended, Action::accept, Role::callee);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "invalid_state");
}

TEST(CallStateMachine, WrongRoleIsNotAllowedRatherThanWrongState) {
  auto t = transition(CallState::ringing, Action::accept, Role::caller);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "not_allowed");
  t = transition(CallState::ringing, Action::cancel, Role::callee);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "not_allowed");
}

TEST(CallStateMachine, ReasonsHaveTheirProtocolNames) {
  EXPECT_EQ(to_string(EndReason::no_answer), "no_answer");
  EXPECT_EQ(to_string(EndReason::connection_lost), "connection_lost");
  EXPECT_EQ(to_string(EndReason::completed), "completed");
}
