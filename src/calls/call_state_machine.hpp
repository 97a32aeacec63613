#pragma once
#include <optional>
#include <string_view>

#include "common/error.hpp"

namespace parley::calls {

// The 1:1 call lifecycle, free of I/O so that every transition can be tested
// alone: ringing -> active -> ended, or ringing -> ended.
enum class CallState { ringing, active, ended };

enum class EndReason {
  declined,
  cancelled,
  completed,
  busy,
  no_answer,
  connection_lost,
  failed,
};

enum class Action {
  accept,           // callee
  decline,          // callee
  cancel,           // caller
  end,              // either party
  handoff,          // either party, to another of their devices
  ring_timeout,     // system
  busy,             // system: the callee is in another call
  connection_lost,  // system: a party stayed away longer than the grace period
  fail,             // system: the call cannot go on
};

enum class Role { caller, callee, system };

struct Transition {
  CallState next;
  std::optional<EndReason> reason;  // set when next == ended
};

// The rule table. An illegal move answers `invalid_state` (wrong state) or
// `not_allowed` (right state, wrong role) with a readable message.
Result<Transition> transition(CallState from, Action action, Role by);

std::string_view to_string(CallState s);
std::string_view to_string(EndReason r);
std::string_view to_string(Action a);

}  // namespace parley::calls
