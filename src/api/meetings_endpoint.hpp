#pragma once

// /api/v1/meetings (docs/protocol.md "Meetings", REST): scheduling, the
// host's records, and `join`, which turns a link (and its password) into a
// join token for the WebSocket. Everything but `join` needs a user's token;
// `join` takes one when there is one (a user joins as themself).

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>

#include <functional>
#include <optional>
#include <string>

#include "api/attempt_limiter.hpp"
#include "api/auth.hpp"
#include "api/http_types.hpp"
#include "api/whip_endpoint.hpp"

namespace parley::meetings {
class MeetingService;
class JoinTokens;
}  // namespace parley::meetings
namespace parley::store {
class StoreThread;
}

namespace parley::api {

class MeetingsEndpoint {
 public:
  using IceServersFunction = std::function<boost::json::array(const std::string& user_id)>;
  MeetingsEndpoint(boost::asio::any_io_executor exec, store::StoreThread& store, const TokenService& tokens,
                   meetings::MeetingService& meetings, IceServersFunction ice_servers);

  static bool matches(std::string_view path);
  // WHIP/WHEP with a join token: who it is and what it may do, or why not
  // (`unauthorized` for a bad token, else the meeting's refusal).
  Result<WhipCaller> whip_caller(std::string_view join_token) const;
  void handle(Request req, const Peer& peer, const std::string& path, const Respond& respond);

 private:
  void create(Request req, const calls::UserRef& me, const Respond& respond);
  void list(Request req, const calls::UserRef& me, const Respond& respond);
  void read(Request req, const calls::UserRef& me, std::string id, const Respond& respond);
  void update(Request req, const calls::UserRef& me, std::string id, const Respond& respond);
  void remove(Request req, const calls::UserRef& me, std::string id, const Respond& respond);
  void join(Request req, std::optional<calls::UserRef> me, const Peer& peer, std::string id, const Respond& respond);
  void records(Request req, const calls::UserRef& me, std::string id, bool events, const Respond& respond);

  boost::asio::any_io_executor exec_;
  store::StoreThread& store_;
  const TokenService& tokens_;
  meetings::MeetingService& meetings_;
  IceServersFunction ice_servers_;
  AttemptLimiter wrong_passwords_{5, std::chrono::minutes(10)};
};

}  // namespace parley::api
