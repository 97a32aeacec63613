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

namespace parley::signal {

// What a connection knows about itself: the authenticated user and, after
// `register`, its device id.
struct Connection {
  calls::UserRef user;
  std::optional<std::string> device_id;
  calls::DeviceLink* link = nullptr;       // the connection itself
  std::weak_ptr<calls::DeviceLink> owner;  // to hand the call service a counted reference
};

// Validates one parsed client message against docs/protocol.md and hands it
// to the call service. Every rejection names the field or rule it broke.
class Dispatcher {
 public:
  Dispatcher(calls::CallService& calls, metrics::Registry& metrics);

  void dispatch(Connection& conn, const boost::json::object& msg);
  // A connection closed: the device is detached from its calls.
  void disconnected(Connection& conn);

 private:
  calls::CallService& calls_;
  // One counter per known type, looked up once: the per-message path takes no lock.
  std::vector<std::pair<std::string, metrics::Counter*>> by_type_;
  metrics::Counter* unknown_ = nullptr;
  metrics::Counter* invalid_ = nullptr;
};

}  // namespace parley::signal
