#include "signal/ws_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/serialize.hpp>

#include "common/json_util.hpp"
#include "common/log.hpp"

namespace parley::signal {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

WsSession::WsSession(beast::tcp_stream&& stream, WsContext& ctx, calls::UserRef user)
    : ws_(std::move(stream)), ctx_(ctx), limiter_(ctx.limits.rate, ctx.limits.burst) {
  conn_.user = std::move(user);
  ctx_.connections.add(1);
}

WsSession::~WsSession() { ctx_.connections.add(-1); }

void WsSession::start(beast::http::request<beast::http::string_body> request) {
  beast::get_lowest_layer(ws_).expires_never();
  // Pings every 10 s; a peer silent for 20 s is gone (RFC 6455 §5.5.2).
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(10);
  t.idle_timeout = std::chrono::seconds(20);
  t.keep_alive_pings = true;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::server, "parley");
  }));
  ws_.read_message_max(ctx_.limits.hard_max_message);
  ws_.auto_fragment(false);
  conn_.link = this;
  conn_.owner = shared_from_this();
  ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->finish();
    self->read_more();
  });
}

void WsSession::read_more() {
  ws_.async_read_some(buffer_, 16 * 1024,
                      [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                        self->on_read(ec, n);
                      });
}

void WsSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) return finish();
  if (buffer_.size() > ctx_.limits.max_message) {
    // Keep reading to the end of the message, but drop its bytes.
    oversized_ = true;
    buffer_.clear();
  }
  if (ws_.is_message_done()) {
    if (oversized_) {
      oversized_ = false;
      send_error({"message_too_large", "messages are limited to " +
                                           std::to_string(ctx_.limits.max_message) + " bytes"},
                 nullptr);
    } else {
      on_message();
    }
    buffer_.clear();
  }
  if (!closing_) read_more();
}

void WsSession::on_message() {
  if (!limiter_.allow()) {
    ++dropped_;
    if (!rate_warned_) {
      rate_warned_ = true;
      send_error({"rate_limited", "too many messages; slow down"}, nullptr);
    }
    if (dropped_ > static_cast<std::size_t>(limiter_.burst()))
      close(websocket::close_code::policy_error, "rate limit exceeded");
    return;
  }
  dropped_ = 0;
  rate_warned_ = false;
  if (!ws_.got_text())
    return send_error({"invalid_json", "send JSON in text frames"}, nullptr);
  const auto text = beast::buffers_to_string(buffer_.data());
  auto msg = parse_object(text);
  if (!msg) return send_error({"invalid_json", "the message is not a JSON object"}, nullptr);
  ctx_.dispatcher.dispatch(conn_, *msg);
}

void WsSession::send(json::object message) {
  if (closing_ || finished_) return;
  send_text(std::make_shared<const std::string>(json::serialize(message)));
}

void WsSession::send_text(std::shared_ptr<const std::string> text) {
  if (closing_ || finished_) return;
  outbox_bytes_ += text->size();
  outbox_.push_back(std::move(text));
  if (outbox_bytes_ > ctx_.limits.max_outbox_bytes) {
    spdlog::warn("closing a signaling connection that does not read (user {})",
                 conn_.user.user_id);
    return close(websocket::close_code::policy_error, "slow consumer");
  }
  if (!writing_) write_next();
}

void WsSession::send_error(const Error& error, const json::value& ref) {
  ctx_.errors.with({{"code", error.code}}).inc();
  json::object m{{"type", "error"}, {"code", error.code}, {"message", error.message}};
  if (!ref.is_null()) m["ref"] = ref;
  send(std::move(m));
}

void WsSession::close(std::uint16_t code, std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  close_reason_.code = code;
  close_reason_.reason = reason;
  // Pending messages are dropped, except one being written right now: its
  // buffer must live until the write completes.
  while (outbox_.size() > (writing_ ? 1u : 0u)) outbox_.pop_back();
  outbox_bytes_ = outbox_.empty() ? 0 : outbox_.front()->size();
  if (!writing_) write_next();
}

void WsSession::write_next() {
  if (finished_) return;
  if (closing_ && outbox_.empty()) {
    writing_ = true;
    ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) {
      self->writing_ = false;
      self->finish();
    });
    return;
  }
  if (outbox_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(*outbox_.front()),
                  [self = shared_from_this()](beast::error_code ec, std::size_t) {
                    if (ec) {
                      self->writing_ = false;
                      return self->finish();
                    }
                    if (!self->outbox_.empty()) {
                      self->outbox_bytes_ -= self->outbox_.front()->size();
                      self->outbox_.pop_front();
                    }
                    self->write_next();
                  });
}

void WsSession::finish() {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  ctx_.dispatcher.disconnected(conn_);  // the session dies with its last handler
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                                                 ignored);
}

}  // namespace parley::signal
