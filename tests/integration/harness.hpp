#pragma once
// Integration-test harness: a real `parley serve` process on loopback, driven
// by real HTTP and WebSocket clients. Every wait is bounded; a wait that runs
// out FAILS the test (at the caller's line) and aborts it, so a broken server
// costs at most one timeout, never a hang. Timeouts only bound failure time:
// no test passes or fails because the machine is slow.
//
// Beast and Asio stay in harness.cpp; tests see only this header.

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace parley::itest {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;
using Where = std::source_location;

// Bounds every single wait for one message or one HTTP answer.
inline constexpr Duration kTimeout = 5000ms;

// Records a fatal failure at `where` and aborts the test (throws).
[[noreturn]] void fail_at(const Where& where, const std::string& message);

// The server binary: $PARLEY_BIN, else the path CMake compiled in.
std::string parley_bin();

// ---------------------------------------------------------------- server

// `parley serve --listen 127.0.0.1:0 --data-dir <fresh temp dir> <extra_args>`.
// Waits for `listening http=127.0.0.1:<port>` on its stdout. stderr (the log)
// goes to a file next to the data dir; it is printed when a test failed. A
// server that does not exit 0 on the final SIGTERM (a crash, a sanitizer
// report, a hung shutdown) fails the test.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {}, Where where = Where::current());
  ~ServerProcess();  // SIGTERM, wait, remove the temp dir
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  unsigned short port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;

  void kill9();  // SIGKILL and reap: a crash, nothing flushed
  void stop();   // SIGTERM and reap: a clean shutdown
  // Starts again on the same data dir; the port changes.
  void restart(Where where = Where::current());

 private:
  void start(const Where& where);
  int reap(int signal);  // the wait status

  std::vector<std::string> args_;
  std::string root_, data_dir_, log_path_;
  int pid_ = -1;
  int stdout_fd_ = -1;
  unsigned short port_ = 0;
};

// ---------------------------------------------------------------- HTTP

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string location;  // the Location header, if any
  // The body as JSON; fails the test when it is not.
  json::value json(Where where = Where::current()) const;
  // `error.code` of a REST error body; fails the test when absent.
  std::string error_code(Where where = Where::current()) const;
};

// One connection per request, HTTP/1.1, bounded by kTimeout.
class Http {
 public:
  explicit Http(unsigned short port) : port_(port) {}
  HttpResponse get(const std::string& target, const std::string& token = {},
                   Where where = Where::current()) const;
  HttpResponse post(const std::string& target, const std::string& body,
                    const std::string& token = {}, Where where = Where::current()) const;
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body, const std::string& token,
                       Where where = Where::current()) const;
  // POST with `Content-Type: application/sdp` (WHIP, WHEP, echo).
  HttpResponse post_sdp(const std::string& target, const std::string& sdp, const std::string& token,
                        Where where = Where::current()) const;

 private:
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& content_type, const std::string& token, const Where& where) const;
  unsigned short port_;
};

struct User {
  std::string user_id, username, display_name, token;
};

// A username no other test in this process uses: `<prefix>_<n>`.
std::string unique_name(const std::string& prefix);
// POST /api/v1/auth/register; expects 201.
User register_user(const Http& http, const std::string& prefix, Where where = Where::current());
// POST /api/v1/auth/login; expects 200.
User login(const Http& http, const std::string& username, const std::string& password,
           Where where = Where::current());
inline constexpr const char* kPassword = "correct horse battery";

// Polls `probe` until it returns true or `timeout` passes; false on timeout.
// For state the server changes asynchronously (presence after a close).
template <typename F>
bool eventually(F probe, Duration timeout = kTimeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (probe()) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// ---------------------------------------------------------------- WebSocket

struct CloseInfo {
  int code = 0;  // 0: the TCP connection ended without a close frame
  std::string reason;
};

// One signaling WebSocket. A reader runs on the client's own thread and
// queues every message; the test consumes the queue in order.
class WsClient {
 public:
  // Opens /ws?token=<token>; fails the test when the upgrade is refused.
  WsClient(unsigned short port, const std::string& token, std::string label = "ws",
           Where where = Where::current());
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // The HTTP status of an upgrade attempt on `target` (101 when accepted).
  static int upgrade_status(unsigned short port, const std::string& target,
                            Where where = Where::current());

  const std::string& label() const { return label_; }

  // Sends and waits until the frame is written.
  void send(const json::object& message, Where where = Where::current());
  void send_text(const std::string& text, Where where = Where::current());
  // Starts writing and returns at once: for "both sent before anyone reads".
  std::shared_future<bool> send_async(const json::object& message);
  std::shared_future<bool> send_text_async(std::string text);

  // The next message; fails the test after `timeout` or when the connection
  // closed with nothing left to read.
  json::object recv(Duration timeout = kTimeout, Where where = Where::current());
  // The next message, which must have `type`; fails the test otherwise.
  json::object expect(std::string_view type, Duration timeout = kTimeout,
                      Where where = Where::current());
  // Skips messages until one of `type` arrives; every skipped message is kept
  // in skipped() so the test can assert on it.
  json::object wait_for(std::string_view type, Duration timeout = kTimeout,
                        Where where = Where::current());
  const std::vector<json::object>& skipped() const { return skipped_; }
  // Fails the test if anything arrives (or the connection closes) within `d`.
  void expect_silence(Duration d = 300ms, Where where = Where::current());
  // The same, but each message `tolerated` accepts may arrive, at most once.
  void expect_silence(Duration d, const std::function<bool(const json::object&)>& tolerated,
                      Where where = Where::current());
  // Everything queued right now.
  std::vector<json::object> drain();

  // `register`, then expects `registered`; returns it.
  json::object register_device(const std::string& device_id, const std::string& device_name = {},
                               const std::string& push_token = {}, Where where = Where::current());
  // An error that must be the next message: checks code and (when given) ref.
  json::object expect_error(std::string_view code, std::optional<json::value> ref = std::nullopt,
                            Duration timeout = kTimeout, Where where = Where::current());

  // Waits until the server closed the connection; messages stay queued.
  CloseInfo wait_closed(Duration timeout = kTimeout, Where where = Where::current());
  bool closed() const;
  // A clean WebSocket close handshake, initiated by the client.
  void close(Where where = Where::current());
  // Drops the TCP connection without a close frame (a crash or a lost network).
  void drop();
  // Stops reading from the socket (after the read in progress), so that the
  // server's messages pile up: a client that does not read. resume_reading()
  // reads on.
  void pause_reading();
  void resume_reading();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string label_;
  std::vector<json::object> skipped_;
};

// A device: a connected and registered WsClient.
std::unique_ptr<WsClient> connect_device(unsigned short port, const User& user,
                                         const std::string& device_id,
                                         const std::string& push_token = {},
                                         Where where = Where::current());

// ---------------------------------------------------------------- push gateway

struct PushRequest {
  std::string method, target, content_type, body;
  Clock::time_point at;
  int answered = 0;  // the status it got
};

// A tiny HTTP server on 127.0.0.1:0 standing in for a push gateway. The first
// `fail_first` requests are answered 500, the rest 200. With hold_first, the
// first answer waits for release().
class PushReceiver {
 public:
  PushReceiver(int fail_first, bool hold_first);
  ~PushReceiver();
  std::string url() const;  // http://127.0.0.1:<port>/push
  void release();
  // The index-th request (0-based); fails the test if it does not come.
  PushRequest wait_request(std::size_t index, Duration timeout = kTimeout,
                           Where where = Where::current());
  std::size_t count() const;
  std::size_t answered() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------- JSON helpers

std::string str(const json::object& o, std::string_view key, Where where = Where::current());
std::int64_t num(const json::object& o, std::string_view key, Where where = Where::current());
const json::object& obj(const json::object& o, std::string_view key,
                        Where where = Where::current());
std::string dump(const json::value& v);

// The value of the sample `series` (name plus labels, exactly as exposed)
// in a Prometheus text page.
std::optional<double> metric_sample(const std::string& page, const std::string& series);

}  // namespace parley::itest
