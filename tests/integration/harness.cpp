#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace parley::itest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

namespace {

struct HarnessAbort : std::exception {
  const char* what() const noexcept override {
    return "test aborted by the integration harness (see the failure above)";
  }
};

std::string ms(Duration d) {
  return std::to_string(d.count()) + " ms";
}

// A write to a socket the server already closed must fail, not kill us.
const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

tcp::endpoint loopback(unsigned short port) {
  return {asio::ip::make_address_v4("127.0.0.1"), port};
}

}  // namespace

void fail_at(const Where& where, const std::string& message) {
  GTEST_MESSAGE_AT_(where.file_name(), static_cast<int>(where.line()), message.c_str(),
                    ::testing::TestPartResult::kFatalFailure);
  throw HarnessAbort{};
}

std::string parley_bin() {
  if (const char* env = std::getenv("PARLEY_BIN"); env && *env) return env;
#ifdef PARLEY_BIN_DEFAULT
  return PARLEY_BIN_DEFAULT;
#else
  return "parley";
#endif
}

std::string dump(const json::value& v) {
  return json::serialize(v);
}

std::string str(const json::object& o, std::string_view key, Where where) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string())
    fail_at(where, "expected a string '" + std::string(key) + "' in " + dump(o));
  return std::string(v->get_string());
}

std::int64_t num(const json::object& o, std::string_view key, Where where) {
  const auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  fail_at(where, "expected an integer '" + std::string(key) + "' in " + dump(o));
}

const json::object& obj(const json::object& o, std::string_view key, Where where) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_object())
    fail_at(where, "expected an object '" + std::string(key) + "' in " + dump(o));
  return v->get_object();
}

// ---------------------------------------------------------------- server

ServerProcess::ServerProcess(std::vector<std::string> extra_args, Where where)
    : args_(std::move(extra_args)) {
  std::string tmpl = (fs::temp_directory_path() / "parley-itest-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) fail_at(where, "mkdtemp failed");
  root_ = tmpl;
  data_dir_ = root_ + "/data";
  log_path_ = root_ + "/server.log";
  start(where);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    const int status = reap(SIGTERM);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      ADD_FAILURE() << "parley did not exit cleanly on SIGTERM: "
                    << (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                          : "signal " + std::to_string(WTERMSIG(status)));
  }
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- parley server log (" << log_path_ << ") ----\n" << log() << "----\n";
  }
  if (!std::getenv("PARLEY_KEEP_TMP")) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ServerProcess::start(const Where& where) {
  std::vector<std::string> argv_s = {parley_bin(),  "serve",      "--listen",
                                     "127.0.0.1:0", "--data-dir", data_dir_};
  argv_s.insert(argv_s.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail_at(where, "pipe2 failed");
  const int logfd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    if (::getppid() != parent) ::_exit(126);
    ::dup2(out[1], STDOUT_FILENO);
    if (logfd >= 0) ::dup2(logfd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (logfd >= 0) ::close(logfd);
  if (pid < 0) fail_at(where, "fork failed");
  pid_ = pid;
  stdout_fd_ = out[0];

  // Startup hashes a dummy password (Argon2id), so allow it a few seconds.
  std::string line;
  const auto deadline = Clock::now() + 4 * kTimeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    pollfd p{stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      fail_at(where, "parley did not print its port in time; log:\n" + log());
    char buf[256];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0)
      fail_at(where, "parley exited before listening (" + argv_s[0] + "); log:\n" + log());
    line.append(buf, static_cast<std::size_t>(n));
  }
  constexpr std::string_view kPrefix = "listening http=127.0.0.1:";
  const auto at = line.find(kPrefix);
  if (at == std::string::npos) fail_at(where, "unexpected first line from parley: " + line);
  port_ = static_cast<unsigned short>(std::stoi(line.substr(at + kPrefix.size())));
}

int ServerProcess::reap(int signal) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, signal);
  int status = 0;
  // A sanitizer build checks for leaks on the way out: allow it some time.
  const auto deadline = Clock::now() + 2 * kTimeout;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  port_ = 0;
  return status;
}

void ServerProcess::kill9() {
  reap(SIGKILL);
}
void ServerProcess::stop() {
  reap(SIGTERM);
}

void ServerProcess::restart(Where where) {
  if (pid_ > 0) reap(SIGTERM);
  start(where);
}

// ---------------------------------------------------------------- HTTP

json::value HttpResponse::json(Where where) const {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) fail_at(where, "HTTP " + std::to_string(status) + " body is not JSON: " + body);
  return v;
}

std::string HttpResponse::error_code(Where where) const {
  const auto v = json(where);
  const auto* e = v.is_object() ? v.get_object().if_contains("error") : nullptr;
  if (!e || !e->is_object()) fail_at(where, "no REST error object in: " + body);
  return str(e->get_object(), "code", where);
}

HttpResponse Http::get(const std::string& target, const std::string& token, Where where) const {
  return request("GET", target, {}, token, where);
}

HttpResponse Http::post(const std::string& target, const std::string& body,
                        const std::string& token, Where where) const {
  return request("POST", target, body, token, where);
}

HttpResponse Http::request(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& token, Where where) const {
  return send(method, target, body, "application/json", token, where);
}

HttpResponse Http::post_sdp(const std::string& target, const std::string& sdp, const std::string& token,
                            Where where) const {
  return send("POST", target, sdp, "application/sdp", token, where);
}

HttpResponse Http::send(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& content_type, const std::string& token, const Where& where) const {
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty() || method == "POST") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code result;
  bool done = false;
  auto finish = [&](beast::error_code ec) {
    result = ec;
    done = true;
  };
  stream.expires_after(kTimeout);
  stream.async_connect(loopback(port_), [&](beast::error_code ec) {
    if (ec) return finish(ec);
    http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
      if (ec) return finish(ec);
      http::async_read(stream, buffer, parser,
                       [&](beast::error_code ec, std::size_t) { finish(ec); });
    });
  });
  io.run();
  if (!done || result)
    fail_at(where, "HTTP " + method + " " + target + " failed: " + result.message());
  auto res = parser.release();
  HttpResponse out;
  out.status = res.result_int();
  out.body = std::move(res.body());
  out.content_type = std::string(res[http::field::content_type]);
  out.location = std::string(res[http::field::location]);
  return out;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(++counter);
}

namespace {
User user_from(const HttpResponse& r, Where where) {
  const auto v = r.json(where);
  if (!v.is_object()) fail_at(where, "auth answer is not an object: " + r.body);
  const auto& o = v.get_object();
  return User{str(o, "user_id", where), str(o, "username", where), str(o, "display_name", where),
              str(o, "token", where)};
}
}  // namespace

User register_user(const Http& http, const std::string& prefix, Where where) {
  const std::string name = unique_name(prefix);
  std::string shown = prefix;
  shown[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(shown[0])));
  const json::object body{{"username", name}, {"password", kPassword}, {"display_name", shown}};
  const auto r = http.post("/api/v1/auth/register", dump(body), {}, where);
  if (r.status != 201)
    fail_at(where, "register " + name + ": HTTP " + std::to_string(r.status) + " " + r.body);
  return user_from(r, where);
}

User login(const Http& http, const std::string& username, const std::string& password,
           Where where) {
  const json::object body{{"username", username}, {"password", password}};
  const auto r = http.post("/api/v1/auth/login", dump(body), {}, where);
  if (r.status != 200)
    fail_at(where, "login " + username + ": HTTP " + std::to_string(r.status) + " " + r.body);
  return user_from(r, where);
}

// ---------------------------------------------------------------- WebSocket

struct WsClient::Impl {
  using Promise = std::shared_ptr<std::promise<bool>>;

  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  beast::flat_buffer rbuf;
  std::deque<std::pair<std::string, Promise>> outq;  // io thread only
  bool writing = false;                              // io thread only
  bool reading = false;                              // io thread only
  bool paused = false;                               // io thread only

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<json::object> inbox;
  bool closed = false;
  CloseInfo close_info;
  std::string close_error;

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
    if (paused || reading) return;
    reading = true;
    ws.async_read(rbuf, [this](beast::error_code ec, std::size_t) { on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading = false;
    if (ec) {
      std::lock_guard lock(mutex);
      closed = true;
      if (ec == websocket::error::closed)
        close_info = {ws.reason().code,
                      std::string(ws.reason().reason.data(), ws.reason().reason.size())};
      close_error = ec.message();
      cv.notify_all();
      return;
    }
    const std::string text = beast::buffers_to_string(rbuf.data());
    rbuf.consume(rbuf.size());
    boost::system::error_code perr;
    auto v = json::parse(text, perr);
    json::object msg;
    if (!perr && v.is_object())
      msg = std::move(v.get_object());
    else
      msg = {{"type", "<not a JSON object>"}, {"text", text}};
    {
      std::lock_guard lock(mutex);
      inbox.push_back(std::move(msg));
    }
    cv.notify_all();
    read_next();
  }

  std::shared_future<bool> enqueue(std::string frame) {
    auto p = std::make_shared<std::promise<bool>>();
    auto f = p->get_future().share();
    asio::post(io, [this, frame = std::move(frame), p]() mutable {
      outq.emplace_back(std::move(frame), std::move(p));
      if (!writing) write_next();
    });
    return f;
  }

  void write_next() {
    if (outq.empty()) {
      writing = false;
      return;
    }
    writing = true;
    ws.text(true);
    ws.async_write(asio::buffer(outq.front().first), [this](beast::error_code ec, std::size_t) {
      outq.front().second->set_value(!ec);
      outq.pop_front();
      if (ec) {
        for (auto& [frame, p] : outq) p->set_value(false);
        outq.clear();
        writing = false;
        return;
      }
      write_next();
    });
  }
};

namespace {
// Connect + upgrade on `io` (not yet running); the response is kept for
// its status. Bounded by kTimeout.
beast::error_code open_ws(asio::io_context& io, websocket::stream<beast::tcp_stream>& ws,
                          unsigned short port, const std::string& target,
                          websocket::response_type& res) {
  beast::error_code result;
  bool done = false;
  websocket::stream_base::timeout t{};
  t.handshake_timeout = kTimeout;
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  auto& tcp_layer = beast::get_lowest_layer(ws);
  tcp_layer.expires_after(kTimeout);
  tcp_layer.async_connect(loopback(port), [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    tcp_layer.expires_never();
    ws.set_option(t);
    ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), target, [&](beast::error_code ec) {
      result = ec;
      done = true;
    });
  });
  // Until done, not until idle: a declined handshake may leave its timer.
  const auto deadline = Clock::now() + 2 * kTimeout;
  while (!done && Clock::now() < deadline) io.run_one_until(deadline);
  if (!done) {  // let the handlers (which point at this frame) finish first
    beast::error_code ignored;
    tcp_layer.socket().close(ignored);
    io.restart();
    io.run();
    result = asio::error::timed_out;
  }
  io.restart();
  return result;
}
}  // namespace

WsClient::WsClient(unsigned short port, const std::string& token, std::string label, Where where)
    : impl_(std::make_unique<Impl>()), label_(std::move(label)) {
  websocket::response_type res;
  const auto ec = open_ws(impl_->io, impl_->ws, port, "/ws?token=" + token, res);
  if (ec)
    fail_at(where, "[" + label_ + "] WebSocket upgrade failed: " + ec.message() + " (HTTP " +
                       std::to_string(res.result_int()) + " " + res.body() + ")");
  impl_->work.emplace(impl_->io.get_executor());
  asio::post(impl_->io, [impl = impl_.get()] { impl->read_next(); });
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

WsClient::~WsClient() = default;

int WsClient::upgrade_status(unsigned short port, const std::string& target, Where where) {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  websocket::response_type res;
  const auto ec = open_ws(io, ws, port, target, res);
  if (ec && ec != websocket::error::upgrade_declined)
    fail_at(where, "upgrade attempt on " + target + " failed: " + ec.message());
  beast::error_code ignored;
  beast::get_lowest_layer(ws).socket().close(ignored);
  return res.result_int();
}

void WsClient::send(const json::object& message, Where where) {
  send_text(dump(message), where);
}

void WsClient::send_text(const std::string& text, Where where) {
  auto f = send_text_async(text);
  if (f.wait_for(kTimeout) != std::future_status::ready)
    fail_at(where, "[" + label_ + "] send did not complete within " + ms(kTimeout));
  if (!f.get()) fail_at(where, "[" + label_ + "] send failed: the connection is closed");
}

std::shared_future<bool> WsClient::send_async(const json::object& message) {
  return impl_->enqueue(dump(message));
}

std::shared_future<bool> WsClient::send_text_async(std::string text) {
  return impl_->enqueue(std::move(text));
}

json::object WsClient::recv(Duration timeout, Where where) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (!impl_->inbox.empty()) {
    auto m = std::move(impl_->inbox.front());
    impl_->inbox.pop_front();
    return m;
  }
  if (impl_->closed)
    fail_at(where, "[" + label_ + "] connection closed while waiting for a message (code " +
                       std::to_string(impl_->close_info.code) + " '" + impl_->close_info.reason +
                       "', " + impl_->close_error + ")");
  fail_at(where, "[" + label_ + "] no message within " + ms(timeout));
}

json::object WsClient::expect(std::string_view type, Duration timeout, Where where) {
  auto m = recv(timeout, where);
  const auto* t = m.if_contains("type");
  if (!t || !t->is_string() || t->get_string() != type)
    fail_at(where, "[" + label_ + "] expected '" + std::string(type) + "', got " + dump(m));
  return m;
}

json::object WsClient::wait_for(std::string_view type, Duration timeout, Where where) {
  skipped_.clear();
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    if (left.count() <= 0) {
      std::string seen;
      for (const auto& s : skipped_) seen += "\n  skipped " + dump(s);
      fail_at(where,
              "[" + label_ + "] no '" + std::string(type) + "' within " + ms(timeout) + seen);
    }
    auto m = recv(left, where);
    const auto* t = m.if_contains("type");
    if (t && t->is_string() && t->get_string() == type) return m;
    skipped_.push_back(std::move(m));
  }
}

void WsClient::expect_silence(Duration d, Where where) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, d, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (!impl_->inbox.empty())
    fail_at(where, "[" + label_ + "] expected silence, got " + dump(impl_->inbox.front()));
  if (impl_->closed)
    fail_at(where, "[" + label_ + "] expected silence, but the connection closed (code " +
                       std::to_string(impl_->close_info.code) + ")");
}

void WsClient::expect_silence(Duration d, const std::function<bool(const json::object&)>& tolerated,
                              Where where) {
  const auto deadline = Clock::now() + d;
  bool used = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    std::unique_lock lock(impl_->mutex);
    impl_->cv.wait_for(lock, std::max(left, Duration(0)),
                       [&] { return !impl_->inbox.empty() || impl_->closed; });
    if (impl_->inbox.empty() && !impl_->closed) return;
    if (impl_->inbox.empty() || used || !tolerated(impl_->inbox.front())) {
      lock.unlock();
      return expect_silence(Duration(0), where);  // reports what broke the silence
    }
    used = true;
    impl_->inbox.pop_front();
  }
}

std::vector<json::object> WsClient::drain() {
  std::lock_guard lock(impl_->mutex);
  std::vector<json::object> out(std::make_move_iterator(impl_->inbox.begin()),
                                std::make_move_iterator(impl_->inbox.end()));
  impl_->inbox.clear();
  return out;
}

json::object WsClient::register_device(const std::string& device_id, const std::string& device_name,
                                       const std::string& push_token, Where where) {
  json::object m{{"type", "register"}, {"device_id", device_id}};
  if (!device_name.empty()) m["device_name"] = device_name;
  if (!push_token.empty()) m["push_token"] = push_token;
  send(m, where);
  auto r = expect("registered", kTimeout, where);
  if (str(r, "device_id", where) != device_id)
    fail_at(where, "[" + label_ + "] registered as another device: " + dump(r));
  return r;
}

json::object WsClient::expect_error(std::string_view code, std::optional<json::value> ref,
                                    Duration timeout, Where where) {
  auto m = expect("error", timeout, where);
  if (str(m, "code", where) != code)
    fail_at(where, "[" + label_ + "] expected error '" + std::string(code) + "', got " + dump(m));
  if (ref) {
    const auto* r = m.if_contains("ref");
    if (!r || *r != *ref)
      fail_at(where, "[" + label_ + "] error does not echo ref " + dump(*ref) + ": " + dump(m));
  }
  return m;
}

CloseInfo WsClient::wait_closed(Duration timeout, Where where) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed; }))
    fail_at(where, "[" + label_ + "] the connection was not closed within " + ms(timeout));
  return impl_->close_info;
}

bool WsClient::closed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->closed;
}

void WsClient::close(Where where) {
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
  });
  wait_closed(kTimeout, where);
}

void WsClient::drop() {
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    auto& s = beast::get_lowest_layer(impl->ws).socket();
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  });
  wait_closed(kTimeout);
}

void WsClient::pause_reading() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->paused = true; });
}

void WsClient::resume_reading() {
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->paused = false;
    impl->read_next();
  });
}

std::unique_ptr<WsClient> connect_device(unsigned short port, const User& user,
                                         const std::string& device_id,
                                         const std::string& push_token, Where where) {
  auto c = std::make_unique<WsClient>(port, user.token, user.username + "/" + device_id, where);
  c->register_device(device_id, device_id + " device", push_token, where);
  return c;
}

// ---------------------------------------------------------------- push gateway

struct PushReceiver::Impl {
  asio::io_context io;  // sync operations only; never run
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::vector<std::thread> handlers;
  std::vector<std::shared_ptr<tcp::socket>> sockets;

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::vector<PushRequest> requests;
  int fail_first = 0;
  bool hold_first = false;
  bool released = false;
  bool stopping = false;

  void accept_loop() {
    for (;;) {
      auto s = std::make_shared<tcp::socket>(io);
      beast::error_code ec;
      acceptor.accept(*s, ec);
      std::lock_guard lock(mutex);
      if (stopping) return;
      if (ec) continue;
      sockets.push_back(s);
      handlers.emplace_back([this, s] { serve(*s); });
    }
  }

  void serve(tcp::socket& s) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(s, buffer, req, ec);
    if (ec) return;
    std::size_t index;
    {
      std::lock_guard lock(mutex);
      index = requests.size();
      requests.push_back({std::string(req.method_string()), std::string(req.target()),
                          std::string(req[http::field::content_type]), req.body(), Clock::now(),
                          0});
    }
    cv.notify_all();
    const int status = static_cast<int>(index) < fail_first ? 500 : 200;
    if (index == 0 && hold_first) {
      std::unique_lock lock(mutex);
      cv.wait_for(lock, 6 * kTimeout, [&] { return released || stopping; });
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = status == 200 ? R"({"rejected":[]})" : R"({"error":"try later"})";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(s, res, ec);
    {
      std::lock_guard lock(mutex);
      requests[index].answered = status;
    }
    cv.notify_all();
    s.shutdown(tcp::socket::shutdown_send, ec);
  }
};

PushReceiver::PushReceiver(int fail_first, bool hold_first) : impl_(std::make_unique<Impl>()) {
  impl_->fail_first = fail_first;
  impl_->hold_first = hold_first;
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.bind(loopback(0));
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

PushReceiver::~PushReceiver() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  {  // wake the blocking accept
    tcp::socket poke(impl_->io);
    beast::error_code ec;
    poke.connect(impl_->acceptor.local_endpoint(), ec);
    impl_->accept_thread.join();
  }
  for (auto& s : impl_->sockets) ::shutdown(s->native_handle(), SHUT_RDWR);
  for (auto& t : impl_->handlers) t.join();
}

std::string PushReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + "/push";
}

void PushReceiver::release() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->released = true;
  }
  impl_->cv.notify_all();
}

PushRequest PushReceiver::wait_request(std::size_t index, Duration timeout, Where where) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests.size() > index; }))
    fail_at(where, "push gateway: request #" + std::to_string(index) + " did not come within " +
                       ms(timeout) + " (" + std::to_string(impl_->requests.size()) + " so far)");
  return impl_->requests[index];
}

std::size_t PushReceiver::count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests.size();
}

std::size_t PushReceiver::answered() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& r : impl_->requests) n += r.answered != 0;
  return n;
}

std::optional<double> metric_sample(const std::string& page, const std::string& series) {
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

}  // namespace parley::itest
