#pragma once
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/auth.hpp"
#include "api/http_types.hpp"
#include "common/blocking_pool.hpp"
#include "common/metrics.hpp"
#include "state/ephemeral_state.hpp"
#include "store/store_thread.hpp"

namespace parley::rtc {
class EchoService;  // api -> rtc: the echo endpoint posts to it
}
namespace parley::sfu {
class SfuService;  // api -> sfu: room snapshots
}

namespace parley::api {

struct ApiConfig {
  std::vector<std::string> ice_servers;
  std::string turn_secret;
  std::int64_t turn_credential_ttl = 86400;
  std::string metrics_token;  // empty: /metrics answers loopback clients only
  rtc::EchoService* media = nullptr;  // /api/v1/echo; null: 503
  sfu::SfuService* sfu = nullptr;     // /api/v1/rooms; null: 503
  class MeetingsEndpoint* meetings = nullptr;  // /api/v1/meetings; null: 404
};

// The REST endpoints of docs/protocol.md. Handlers run on the HTTP loop and
// push blocking work (store, password hashing) to the pools, answering
// through `respond` when it is done.
class Api {
 public:
  Api(boost::asio::any_io_executor exec, store::StoreThread& store, BlockingPool& cpu_pool, state::EphemeralState& state, const TokenService& tokens,
      metrics::Registry& metrics, ApiConfig config);

  void handle(Request req, const Peer& peer, Respond respond);

 private:
  void register_user(Request req, Respond respond);
  void login(Request req, Respond respond);
  void user_profile(Request req, const calls::UserRef& me, std::string username, Respond respond);
  void call_history(Request req, const calls::UserRef& me, Respond respond);
  void health(Request req, Respond respond);
  void static_file(const Request& req, const Respond& respond);

  boost::asio::any_io_executor exec_;
  store::StoreThread& store_;
  BlockingPool& cpu_pool_;
  state::EphemeralState& state_;
  const TokenService& tokens_;
  metrics::Registry& metrics_;
  ApiConfig config_;
  metrics::Family<metrics::Counter>& requests_;
  std::shared_ptr<const std::string> dummy_hash_;  // verified against for unknown users
};

}  // namespace parley::api
