#pragma once
// A signaling WebSocket (/ws?token=...) for Parley's own clients: the load
// generator's simulated participants. One thread per client runs the
// socket's io_context (reads and writes are asynchronous on it); the caller
// sends from any thread and takes received messages from a queue.
// Beast stays in the .cpp.
#include <boost/json/object.hpp>

#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <string>

namespace parley::rtc {

class SignalingClient {
 public:
  // Connects to ws://host:port/ws?token=<token>; fails after `timeout`.
  static std::expected<std::unique_ptr<SignalingClient>, std::string> connect(
      const std::string& host, unsigned short port, const std::string& token,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~SignalingClient();
  SignalingClient(const SignalingClient&) = delete;
  SignalingClient& operator=(const SignalingClient&) = delete;

  // Queues one text frame; returns at once.
  void send(const boost::json::object& message);
  // The next received message, waiting at most `timeout` (0: only what is
  // queued); nullopt on timeout or once closed with nothing queued.
  std::optional<boost::json::object> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Waits for a message of `type`; other messages stay queued, in order,
  // for next(). An `error` message fails the wait.
  std::expected<boost::json::object, std::string> wait_for(const std::string& type,
                                                           std::chrono::milliseconds timeout);
  bool closed() const;
  // A clean close handshake (bounded), then the thread ends.
  void close();

 private:
  struct Impl;
  explicit SignalingClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::rtc
