#pragma once

// The room half of the WebSocket protocol (docs/protocol.md, "Rooms"):
// validates each message and hands it to the SFU. What the SFU has to say
// comes back through the participant's EventSink, posted to the signaling
// loop and sent if the connection still exists.

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "signal/connection.hpp"

namespace parley::sfu {
class SfuService;
}

namespace parley::signal {

class RoomSignaling {
 public:
  // `ice_servers(user_id)`: the RTCIceServer list for `joined`.
  using IceServersFunction = std::function<boost::json::array(const std::string& user_id)>;
  RoomSignaling(sfu::SfuService* sfu, boost::asio::any_io_executor executor, IceServersFunction ice_servers);

  static bool handles(std::string_view type, const boost::json::object& msg);
  void dispatch(Connection& conn, std::string_view type, const boost::json::object& msg);
  // The connection closed: leave the room.
  void disconnected(Connection& conn);

 private:
  sfu::SfuService* sfu_;
  boost::asio::any_io_executor executor_;
  IceServersFunction ice_servers_;
};

}  // namespace parley::signal
