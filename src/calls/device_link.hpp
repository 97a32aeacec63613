#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.hpp"

namespace parley::calls {

// The calls layer's view of one connected device: somewhere to send messages.
// The signaling layer implements it on a WebSocket; tests may implement it on
// anything. All calls happen on the signaling loop.
class DeviceLink {
 public:
  virtual ~DeviceLink() = default;
  virtual void send(boost::json::object message) = 0;
  // An already serialized message; fan-outs serialize once for all devices.
  virtual void send_text(std::shared_ptr<const std::string> text) = 0;
  // `error {code, message, ref}`; counted by code.
  virtual void send_error(const Error& error, const boost::json::value& ref) = 0;
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

using SharedText = std::shared_ptr<const std::string>;

// A user's public profile, as other users see it.
struct UserRef {
  std::string user_id;
  std::string username;
  std::string display_name;

  boost::json::object to_json() const {
    return {{"user_id", user_id}, {"username", username}, {"display_name", display_name}};
  }
};

// Who sent a message: the authenticated user, the device it registered as,
// the connection it came on, and the client's `ref` to echo in errors.
struct Sender {
  const UserRef& user;
  const std::string& device_id;
  DeviceLink& link;
  const boost::json::value& ref;

  void reply_error(const Error& e) const { link.send_error(e, ref); }
};

}  // namespace parley::calls
