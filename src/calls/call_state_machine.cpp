#include "calls/call_state_machine.hpp"

#include <string>

namespace parley::calls {
namespace {

bool is_party(Role r) { return r == Role::caller || r == Role::callee; }

Result<Transition> ended(EndReason r) { return Transition{CallState::ended, r}; }

Result<Transition> wrong_role(Action a, Role by) {
  static constexpr std::string_view kRole[] = {"caller", "callee", "system"};
  return fail("not_allowed", "the " + std::string(kRole[static_cast<int>(by)]) + " cannot " +
                                 std::string(to_string(a)) + " this call");
}

Result<Transition> wrong_state(CallState from, Action a) {
  return fail("invalid_state", "cannot " + std::string(to_string(a)) + " a call that is " +
                                   std::string(to_string(from)));
}

}  // namespace

Result<Transition> transition(CallState from, Action a, Role by) {
  if (from == CallState::ended) return wrong_state(from, a);
  const bool ringing = from == CallState::ringing;
  switch (a) {
    case Action::accept:
      if (!ringing) return wrong_state(from, a);
      if (by != Role::callee) return wrong_role(a, by);
      return Transition{CallState::active, std::nullopt};
    case Action::decline:
      if (!ringing) return wrong_state(from, a);
      if (by != Role::callee) return wrong_role(a, by);
      return ended(EndReason::declined);
    case Action::cancel:
      if (!ringing) return wrong_state(from, a);
      if (by != Role::caller) return wrong_role(a, by);
      return ended(EndReason::cancelled);
    case Action::end:
      if (ringing) return wrong_state(from, a);
      if (!is_party(by)) return wrong_role(a, by);
      return ended(EndReason::completed);
    case Action::handoff:
      if (ringing) return wrong_state(from, a);
      if (!is_party(by)) return wrong_role(a, by);
      return Transition{CallState::active, std::nullopt};
    case Action::ring_timeout:
      if (!ringing) return wrong_state(from, a);
      if (by != Role::system) return wrong_role(a, by);
      return ended(EndReason::no_answer);
    case Action::busy:
      if (!ringing) return wrong_state(from, a);
      if (by != Role::system) return wrong_role(a, by);
      return ended(EndReason::busy);
    case Action::connection_lost:
      if (by != Role::system) return wrong_role(a, by);
      return ended(EndReason::connection_lost);
    case Action::fail:
      if (by != Role::system) return wrong_role(a, by);
      return ended(EndReason::failed);
  }
  return wrong_state(from, a);
}

std::string_view to_string(CallState s) {
  switch (s) {
    case CallState::ringing: return "ringing";
    case CallState::active: return "active";
    case CallState::ended: return "ended";
  }
  return "?";
}

std::string_view to_string(EndReason r) {
  switch (r) {
    case EndReason::declined: return "declined";
    case EndReason::cancelled: return "cancelled";
    case EndReason::completed: return "completed";
    case EndReason::busy: return "busy";
    case EndReason::no_answer: return "no_answer";
    case EndReason::connection_lost: return "connection_lost";
    case EndReason::failed: return "failed";
  }
  return "?";
}

std::string_view to_string(Action a) {
  switch (a) {
    case Action::accept: return "accept";
    case Action::decline: return "decline";
    case Action::cancel: return "cancel";
    case Action::end: return "end";
    case Action::handoff: return "hand off";
    case Action::ring_timeout: return "time out";
    case Action::busy: return "mark busy";
    case Action::connection_lost: return "lose";
    case Action::fail: return "fail";
  }
  return "?";
}

}  // namespace parley::calls
