#pragma once

// The meeting half of the WebSocket protocol (docs/protocol.md "Meetings"):
// validates each message and hands it to the MeetingService. While a
// connection is in a meeting, the room messages that change what others
// see (leave, mute, camera, screen share) come here too, so that the
// meeting's rules apply to them.

#include <boost/json/object.hpp>

#include <string_view>

#include "signal/connection.hpp"

namespace parley::meetings {
class MeetingService;
}

namespace parley::signal {

class MeetingSignaling {
 public:
  explicit MeetingSignaling(meetings::MeetingService& meetings) : meetings_(meetings) {}

  static bool handles(std::string_view type, const Connection& conn);
  void dispatch(Connection& conn, std::string_view type, const boost::json::object& msg);
  void disconnected(Connection& conn);

 private:
  meetings::MeetingService& meetings_;
};

}  // namespace parley::signal
