#pragma once
#include <memory>
#include <optional>
#include <string>

#include "calls/device_link.hpp"
#include "meetings/live_meeting.hpp"

namespace parley::signal {

// What a connection knows about itself: the authenticated user (a guest
// with a join token has an empty user id), after `register` its device id,
// and the room or meeting it is in.
struct Connection {
  calls::UserRef user;
  std::optional<std::string> device_id;
  calls::DeviceLink* link = nullptr;       // the connection itself
  std::weak_ptr<calls::DeviceLink> owner;  // to hand the call service a counted reference
  std::optional<std::string> participant_id;  // while in an SFU room by `join`
  std::shared_ptr<meetings::Seat> seat;       // while in (or waiting for) a meeting

  bool guest() const { return user.user_id.empty(); }
  // The SFU participant its media messages are for: the room's, or the
  // meeting member's once it is in.
  std::optional<std::string> media_participant() const {
    if (seat) return seat->in() ? std::optional(seat->participant_id) : std::nullopt;
    return participant_id;
  }
};

}  // namespace parley::signal
