#pragma once
#include <memory>
#include <optional>
#include <string>

#include "calls/device_link.hpp"

namespace parley::signal {

// What a connection knows about itself: the authenticated user and, after
// `register`, its device id.
struct Connection {
  calls::UserRef user;
  std::optional<std::string> device_id;
  calls::DeviceLink* link = nullptr;       // the connection itself
  std::weak_ptr<calls::DeviceLink> owner;  // to hand the call service a counted reference
  std::optional<std::string> participant_id;  // while in an SFU room
};

}  // namespace parley::signal
