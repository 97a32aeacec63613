#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "calls/call_service.hpp"
#include "calls/device_link.hpp"
#include "common/metrics.hpp"
#include "signal/connection.hpp"

namespace parley::signal {

// Validates one parsed client message against docs/protocol.md and hands it
// to the call service. Every rejection names the field or rule it broke.
class Dispatcher {
 public:
  // `rooms` may be null: room messages are then refused (media_unavailable).
  Dispatcher(calls::CallService& calls, metrics::Registry& metrics, class RoomSignaling* rooms = nullptr);

  void set_rooms(class RoomSignaling* rooms) { rooms_ = rooms; }
  void set_meetings(class MeetingSignaling* meetings) { meetings_ = meetings; }
  void dispatch(Connection& conn, const boost::json::object& msg);
  // A connection closed: the device is detached from its calls.
  void disconnected(Connection& conn);

 private:
  calls::CallService& calls_;
  RoomSignaling* rooms_;
  MeetingSignaling* meetings_ = nullptr;
  // One counter per known type, looked up once: the per-message path takes no lock.
  std::vector<std::pair<std::string, metrics::Counter*>> by_type_;
  metrics::Counter* unknown_ = nullptr;
  metrics::Counter* invalid_ = nullptr;
};

}  // namespace parley::signal
