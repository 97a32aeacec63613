#include "rtc/client/echo_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace parley::rtc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::expected<HttpReply, std::string> http_request(const std::string& host, unsigned short port,
                                                   const std::string& method,
                                                   const std::string& target,
                                                   const std::string& body,
                                                   const std::string& content_type,
                                                   const std::string& bearer_token,
                                                   std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  if (!bearer_token.empty()) req.set(http::field::authorization, "Bearer " + bearer_token);
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("bad host address " + host + ": " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  beast::error_code result;
  bool done = false;
  auto finish = [&](beast::error_code e) {
    result = e;
    done = true;
  };
  // Async with one deadline (tcp_stream's timer) so that no step can hang.
  stream.expires_after(timeout);
  stream.async_connect(asio::ip::tcp::endpoint(address, port), [&](beast::error_code e) {
    if (e) return finish(e);
    http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
      if (e2) return finish(e2);
      http::async_read(stream, buffer, parser, [&](beast::error_code e3, std::size_t) { finish(e3); });
    });
  });
  io.run();
  if (!done || result)
    return std::unexpected("HTTP " + method + " " + target + ": " +
                           (done ? result.message() : std::string("no answer")));
  auto res = parser.release();
  HttpReply out;
  out.status = res.result_int();
  out.body = std::move(res.body());
  out.content_type = std::string(res[http::field::content_type]);
  out.location = std::string(res[http::field::location]);
  return out;
}

}  // namespace parley::rtc
