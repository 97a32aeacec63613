#include "api/http_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <optional>

#include "common/log.hpp"

namespace parley::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
constexpr std::size_t kMaxHeader = 16 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(30);

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, Api& api, const TokenService& tokens, signal::WsContext& ws)
      : stream_(std::move(socket)), api_(api), tokens_(tokens), ws_(ws) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    peer_.loopback = !ec && peer.address().is_loopback();
    if (!ec) peer_.address = peer.address().to_string();
  }

  void read_next() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    parser_->header_limit(kMaxHeader);
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) return close();
    if (ec) {
      // Malformed or oversized requests get an answer before the close.
      Request bad;
      bad.version(11);
      bad.keep_alive(false);
      const bool too_big = ec == http::error::body_limit || ec == http::error::header_limit;
      return write(error_response(
          bad, too_big ? http::status::payload_too_large : http::status::bad_request,
          {too_big ? "too_large" : "bad_request",
           too_big ? "the request is too large" : "malformed HTTP request"}));
    }
    Request req = parser_->release();
    if (beast::websocket::is_upgrade(req)) return upgrade(std::move(req));
    api_.handle(std::move(req), peer_, [self = shared_from_this()](Response res) {
      self->write(std::move(res));
    });
  }

  void upgrade(Request req) {
    if (target_path(req.target()) != "/ws")
      return write(error_response(req, http::status::not_found, {"not_found", "no such endpoint"}));
    const auto token = query_param(req.target(), "token");
    auto user = token ? tokens_.verify(*token)
                      : Result<calls::UserRef>(
                            fail("unauthorized", "the token query parameter is required"));
    if (!user && token && ws_.join_tokens) {
      // A guest: a connection for its meeting only (signal/dispatcher.cpp).
      if (auto claims = ws_.join_tokens->verify(*token))
        user = calls::UserRef{"", "", claims->display_name};
    }
    if (!user) return write(error_response(req, http::status::unauthorized, user.error()));
    std::make_shared<signal::WsSession>(std::move(stream_), ws_, std::move(*user))
        ->start(std::move(req));
  }

  void write(Response res) {
    const bool keep_alive = res.keep_alive();
    auto msg = std::make_shared<Response>(std::move(res));
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg, keep_alive](beast::error_code ec,
                                                                   std::size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->read_next();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api& api_;
  const TokenService& tokens_;
  signal::WsContext& ws_;
  Peer peer_;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, tcp::endpoint endpoint, Api& api,
                       const TokenService& tokens, signal::WsContext& ws)
    : io_(io), acceptor_(io), retry_timer_(io), api_(api), tokens_(tokens), ws_(ws) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void HttpServer::start() { accept_next(); }

void HttpServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void HttpServer::accept_next() {
  acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec && accept_failing_) {
      accept_failing_ = false;
      spdlog::info("accepting connections again");
    }
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<HttpSession>(std::move(socket), api_, tokens_, ws_)->read_next();
      return accept_next();
    }
    // Out of descriptors (EMFILE/ENFILE) or memory: the pending connection
    // stays queued, so retrying at once would spin. Pause, and say so once
    // per episode rather than once per attempt.
    if (!accept_failing_) spdlog::warn("accept failed: {}; pausing new connections", ec.message());
    accept_failing_ = true;
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) accept_next();
    });
  });
}

}  // namespace parley::api
