#include "calls/push_notifier.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "common/log.hpp"

namespace parley::calls {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct PushNotifier::Attempt {
  std::string body;
  std::function<bool()> still_wanted;
};

PushNotifier::PushNotifier(asio::any_io_executor exec, std::string url, metrics::Registry& metrics)
    : exec_(std::move(exec)),
      sent_(metrics.counter("parley_push_notifications_total",
                            "Push-gateway deliveries by result (ok, retry, gave_up)")) {
  auto parsed = boost::urls::parse_uri(url);
  if (parsed && parsed->scheme() == "http" && !parsed->host().empty()) {
    host_ = parsed->host();
    port_ = parsed->has_port() ? std::string(parsed->port()) : "80";
    target_ = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
    valid_ = true;
  } else {
    spdlog::warn("push gateway URL is not a usable http:// URL; pushes are disabled");
  }
}

void PushNotifier::notify(boost::json::object body, std::function<bool()> still_wanted) {
  if (!valid_) return;
  attempt(std::make_shared<Attempt>(Attempt{boost::json::serialize(body), std::move(still_wanted)}));
}

namespace {
// One POST with a 3 s deadline; true on a 2xx answer.
asio::awaitable<bool> post_once(std::string host, std::string port, std::string target,
                                std::string body) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  beast::tcp_stream stream(ex);
  try {
    stream.expires_after(std::chrono::seconds(3));
    auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "parley");
    req.body() = std::move(body);
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    co_await http::async_read(stream, buf, res, asio::use_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return res.result_int() / 100 == 2;
  } catch (const std::exception&) {
    co_return false;
  }
}
}  // namespace

void PushNotifier::attempt(std::shared_ptr<Attempt> a) {
  asio::co_spawn(
      exec_,
      [this, a]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (std::size_t i = 0;; ++i) {
          if (!a->still_wanted()) co_return;
          if (co_await post_once(host_, port_, target_, a->body)) {
            sent_.with({{"result", "ok"}}).inc();
            co_return;
          }
          if (i == std::size(kBackoff)) break;
          sent_.with({{"result", "retry"}}).inc();
          timer.expires_after(kBackoff[i]);
          co_await timer.async_wait(asio::use_awaitable);
        }
        sent_.with({{"result", "gave_up"}}).inc();
        spdlog::warn("push gateway did not accept a notification after {} attempts",
                     std::size(kBackoff) + 1);
      },
      asio::detached);
}

}  // namespace parley::calls
