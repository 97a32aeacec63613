#include "rtc/client/signaling_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace parley::rtc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

struct SignalingClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  beast::flat_buffer rbuf;
  std::deque<std::string> outq;  // io thread only
  bool writing = false;          // io thread only

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<json::object> inbox;
  bool closed = false;

  ~Impl() {
    if (thread.joinable()) {
      asio::post(io, [this] {
        beast::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
      });
      work.reset();
      thread.join();
    }
  }

  void read_next() {
    ws.async_read(rbuf, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        std::lock_guard lock(mutex);
        closed = true;
        cv.notify_all();
        return;
      }
      boost::system::error_code perr;
      auto v = json::parse(beast::buffers_to_string(rbuf.data()), perr);
      rbuf.consume(rbuf.size());
      if (!perr && v.is_object()) {
        std::lock_guard lock(mutex);
        inbox.push_back(std::move(v.get_object()));
        cv.notify_all();
      }
      read_next();
    });
  }

  void write_next() {
    if (outq.empty()) {
      writing = false;
      return;
    }
    writing = true;
    ws.text(true);
    ws.async_write(asio::buffer(outq.front()), [this](beast::error_code ec, std::size_t) {
      outq.pop_front();
      if (ec) {
        outq.clear();
        writing = false;
        return;
      }
      write_next();
    });
  }
};

SignalingClient::SignalingClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignalingClient::~SignalingClient() = default;

std::expected<std::unique_ptr<SignalingClient>, std::string> SignalingClient::connect(
    const std::string& host, unsigned short port, const std::string& token, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(impl->io);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return std::unexpected("resolve " + host + ": " + ec.message());
  auto& tcp = beast::get_lowest_layer(impl->ws);
  tcp.expires_after(timeout);
  tcp.connect(endpoints, ec);
  if (ec) return std::unexpected("connect " + host + ":" + std::to_string(port) + ": " + ec.message());
  websocket::response_type res;
  impl->ws.handshake(res, host + ":" + std::to_string(port), "/ws?token=" + token, ec);
  if (ec)
    return std::unexpected("WebSocket upgrade: " + ec.message() + " (HTTP " + std::to_string(res.result_int()) +
                           ")");
  tcp.expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = timeout;
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  impl->ws.set_option(t);
  impl->work.emplace(impl->io.get_executor());
  asio::post(impl->io, [p = impl.get()] { p->read_next(); });
  impl->thread = std::thread([p = impl.get()] { p->io.run(); });
  return std::unique_ptr<SignalingClient>(new SignalingClient(std::move(impl)));
}

void SignalingClient::send(const json::object& message) {
  asio::post(impl_->io, [p = impl_.get(), text = json::serialize(message)]() mutable {
    p->outq.push_back(std::move(text));
    if (!p->writing) p->write_next();
  });
}

std::optional<json::object> SignalingClient::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  // Not even a zero wait when asked for none: a timed wait on a condition
  // variable is a futex call that can switch threads, and a participant's
  // loop asks many times a second.
  if (timeout.count() > 0)
    impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (impl_->inbox.empty()) return std::nullopt;
  auto m = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return m;
}

std::expected<json::object, std::string> SignalingClient::wait_for(const std::string& type,
                                                                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(impl_->mutex);
  for (;;) {
    for (auto it = impl_->inbox.begin(); it != impl_->inbox.end(); ++it) {
      const auto* t = it->if_contains("type");
      if (!t || !t->is_string()) continue;
      if (t->as_string() == type) {
        auto m = std::move(*it);
        impl_->inbox.erase(it);
        return m;
      }
      if (t->as_string() == "error") {
        auto m = std::move(*it);
        impl_->inbox.erase(it);
        return std::unexpected("server error while waiting for " + type + ": " + json::serialize(m));
      }
    }
    if (impl_->closed) return std::unexpected("the WebSocket closed while waiting for " + type);
    if (impl_->cv.wait_until(lock, deadline) == std::cv_status::timeout && Clock::now() >= deadline)
      return std::unexpected("no " + type + " message in time");
  }
}

bool SignalingClient::closed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->closed;
}

void SignalingClient::close() {
  if (!impl_->thread.joinable()) return;
  std::promise<void> done;
  auto f = done.get_future();
  asio::post(impl_->io, [p = impl_.get(), &done] {
    p->ws.async_close(websocket::close_code::normal, [p, &done](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(p->ws).socket().close(ignored);
      done.set_value();
    });
  });
  f.wait_for(std::chrono::seconds(2));
  asio::post(impl_->io, [p = impl_.get()] {
    beast::error_code ignored;
    beast::get_lowest_layer(p->ws).socket().close(ignored);
  });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace parley::rtc
