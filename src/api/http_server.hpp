#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "api/api.hpp"
#include "api/auth.hpp"
#include "signal/ws_session.hpp"

namespace parley::api {

// Accepts TCP connections on one endpoint and serves HTTP/1.1 on them; a
// request for `GET /ws?token=...` with a valid token becomes a signaling
// WebSocket.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, Api& api,
             const TokenService& tokens, signal::WsContext& ws);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start();
  void stop();

 private:
  void accept_next();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  bool accept_failing_ = false;
  Api& api_;
  const TokenService& tokens_;
  signal::WsContext& ws_;
};

}  // namespace parley::api
