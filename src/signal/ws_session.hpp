#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>
#include <string>

#include "calls/device_link.hpp"
#include "common/metrics.hpp"
#include "meetings/join_token.hpp"
#include "signal/dispatcher.hpp"
#include "signal/rate_limiter.hpp"

namespace parley::signal {

struct WsLimits {
  std::size_t max_message = 64 * 1024;       // answered with message_too_large, stays open
  std::size_t hard_max_message = 1 << 20;    // beyond this the connection is closed (1009)
  std::size_t max_outbox_bytes = 1 << 20;    // a client that does not read is closed
  double rate = 50;
  double burst = 100;
};

// Shared by every signaling connection.
struct WsContext {
  Dispatcher& dispatcher;
  // Guests connect with a meeting's join token instead of a session token.
  const meetings::JoinTokens* join_tokens = nullptr;
  WsLimits limits;
  metrics::Family<metrics::Counter>& errors;  // by code
  metrics::Gauge& connections;
};

// One signaling WebSocket: reads JSON messages one at a time, hands them to the
// dispatcher, and writes the server's messages in order from a bounded queue.
class WsSession : public calls::DeviceLink, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::beast::tcp_stream&& stream, WsContext& ctx, calls::UserRef user);
  ~WsSession() override;

  // Completes the upgrade that `request` asked for, then starts reading.
  void start(boost::beast::http::request<boost::beast::http::string_body> request);

  void send(boost::json::object message) override;
  void send_text(std::shared_ptr<const std::string> text) override;
  void send_error(const Error& error, const boost::json::value& ref) override;
  void close(std::uint16_t code, std::string reason) override;

 private:
  void read_more();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_message();
  void write_next();
  void finish();  // the connection is over: detach once

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  WsContext& ctx_;
  Connection conn_;
  boost::beast::flat_buffer buffer_;
  bool oversized_ = false;
  RateLimiter limiter_;
  bool rate_warned_ = false;
  std::size_t dropped_ = 0;
  std::deque<std::shared_ptr<const std::string>> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  boost::beast::websocket::close_reason close_reason_;
};

}  // namespace parley::signal
