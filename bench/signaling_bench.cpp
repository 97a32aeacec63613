// parley_signaling_bench: how many signaling devices one Parley server holds,
// what each costs in memory, how many 1:1 call set-ups per second it runs and
// how fast an invite rings the callee. A program that prints figures, not a
// test: see docs/benchmarks.md for how to read them.
//
// Phases, each bounded by one global deadline (--timeout):
//   0. start `parley serve` on a free loopback port (or use --url)
//   1. register --users accounts over REST (Argon2id: slow, so a few at a time)
//   2. connect --devices WebSockets spread over the users, `register` each,
//      wait for `registered`; server VmRSS before and after gives KiB/device
//   3. run --calls invite -> incoming_call -> accept -> accepted -> end ->
//      ended cycles between random free pairs, --concurrency at once
//   4. report, kill the server we started, exit
//
// Everything on the client side runs on one io_context thread.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#ifndef PARLEY_DEFAULT_BINARY
#define PARLEY_DEFAULT_BINARY "parley"
#endif

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

double secs_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// 12,345 for readability in the report.
std::string thousands(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

// ------------------------------------------------------------------ options

struct Options {
  std::string parley = PARLEY_DEFAULT_BINARY;
  std::string url;
  int server_pid = 0;
  int devices = 20000;
  int users = 200;
  int calls = 5000;
  int concurrency = 50;
  double timeout = 300;
  int register_concurrency = 4;
  int connect_concurrency = 200;
  double connect_timeout = 15;
  double call_timeout = 20;
  double ws_rate = 1000;
  int source_ips = 16;
  double idle = 0;
  std::vector<std::string> server_args;
  std::uint64_t seed = 0;
  std::string tmp_dir = "/tmp";
  std::string csv;
  bool keep_data = false;
};

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./:=,+@") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Every effective value, so the line reproduces the run even when defaults change.
std::string reproduce_command(const std::string& self, const Options& o) {
  std::string cmd = shell_quote(self);
  if (!o.url.empty()) {
    cmd += " --url " + shell_quote(o.url);
    if (o.server_pid) cmd += " --server-pid " + std::to_string(o.server_pid);
  } else {
    cmd += " --parley " + shell_quote(o.parley) + " --ws-rate " + fmt("%g", o.ws_rate);
    for (const auto& a : o.server_args) cmd += " --server-arg=" + shell_quote(a);
  }
  cmd += " --devices " + std::to_string(o.devices) + " --users " + std::to_string(o.users) +
         " --calls " + std::to_string(o.calls) + " --concurrency " + std::to_string(o.concurrency) +
         " --timeout " + fmt("%g", o.timeout) + " --seed " + std::to_string(o.seed);
  if (o.register_concurrency != 4)
    cmd += " --register-concurrency " + std::to_string(o.register_concurrency);
  if (o.connect_concurrency != 200)
    cmd += " --connect-concurrency " + std::to_string(o.connect_concurrency);
  if (o.source_ips != 16) cmd += " --source-ips " + std::to_string(o.source_ips);
  if (o.idle > 0) cmd += " --idle " + fmt("%g", o.idle);
  if (o.connect_timeout != 15) cmd += " --connect-timeout " + fmt("%g", o.connect_timeout);
  if (o.call_timeout != 20) cmd += " --call-timeout " + fmt("%g", o.call_timeout);
  if (o.url.empty() && o.tmp_dir != "/tmp") cmd += " --tmp-dir " + shell_quote(o.tmp_dir);
  return cmd;
}

// ------------------------------------------------------------------ /proc

// Open descriptors of `pid` and its RLIMIT_NOFILE.
std::pair<long, long> fd_usage(pid_t pid) {
  long n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  long limit = -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("Max open files")) limit = std::stol(line.substr(26));
  return {n, limit};
}

std::optional<long> rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return std::nullopt;
}

// utime + stime in seconds from a /proc/.../stat file.
std::optional<double> stat_cpu(const std::string& path, std::string* comm = nullptr) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  if (comm) *comm = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct ThreadCpu {
  std::string comm;
  double cpu = 0;
};
std::map<int, ThreadCpu> thread_cpu(pid_t pid) {
  std::map<int, ThreadCpu> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    ThreadCpu t;
    if (auto c = stat_cpu(e.path().string() + "/stat", &t.comm)) {
      t.cpu = *c;
      out[std::stoi(e.path().filename().string())] = t;
    }
  }
  return out;
}

// Busy and total CPU seconds of the whole machine (all cores), from /proc/stat.
std::pair<double, double> machine_cpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[10] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  // user nice system idle iowait irq softirq steal guest guest_nice
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  const auto total = busy + v[3] + v[4];
  return {static_cast<double>(busy) / tick, static_cast<double>(total) / tick};
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double self_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ------------------------------------------------------------------ the server process

// The server's stdout and stderr, read by one thread so that the server never
// blocks on a full pipe. A runaway log must not fill the disk: at most
// kMaxLogBytes go to the file; every line is still counted, by message.
class LogCapture {
 public:
  static constexpr std::size_t kMaxLogBytes = 32 << 20;

  void open(const std::string& path) { file_.open(path, std::ios::trunc); }

  void feed(int stream, const char* p, std::size_t n) {
    std::lock_guard lock(mutex_);
    auto& partial = partial_[stream];
    partial.append(p, n);
    std::size_t start = 0;
    for (auto eol = partial.find('\n'); eol != std::string::npos; eol = partial.find('\n', start)) {
      line(stream, std::string_view(partial).substr(start, eol - start));
      start = eol + 1;
    }
    partial.erase(0, start);
  }

  // Blocks until the listening line arrives, the timeout passes, or `stop` says so.
  std::optional<std::string> wait_listening(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return listening_.has_value(); });
    return listening_;
  }

  struct Summary {
    std::uint64_t lines = 0;
    std::size_t file_bytes = 0;
    bool truncated = false;
    std::vector<std::pair<std::uint64_t, std::string>> top;  // count, message
    std::deque<std::string> last;
  };
  Summary summary() {
    std::lock_guard lock(mutex_);
    Summary s{lines_, written_, truncated_, {}, last_};
    for (const auto& [msg, n] : kinds_) s.top.emplace_back(n, msg);
    std::sort(s.top.rbegin(), s.top.rend());
    if (s.top.size() > 6) s.top.resize(6);
    return s;
  }

 private:
  void line(int stream, std::string_view l) {
    if (stream == 1 && l.starts_with("listening http=")) {
      listening_ = std::string(l.substr(15));
      cv_.notify_all();
    }
    if (stream == 2) ++lines_;
    if (written_ < kMaxLogBytes) {
      file_ << (stream == 1 ? "[stdout] " : "") << l << '\n';
      written_ += l.size() + 1;
      if (written_ >= kMaxLogBytes) {
        file_ << "[parley_signaling_bench: log truncated here; later lines are only counted]\n";
        truncated_ = true;
      }
      file_.flush();
    }
    if (stream != 2) return;
    // spdlog lines start with a timestamp: count by what follows it.
    std::string_view msg = l;
    if (msg.size() > 24 && msg[4] == '-' && msg[10] == 'T') msg.remove_prefix(msg.find(' ') + 1);
    msg = msg.substr(0, 200);
    if (last_kind_ && msg == last_kind_->first) {  // a flood repeats one message
      ++last_kind_->second;
    } else {
      std::string key(
          kinds_.size() < 500 || kinds_.contains(std::string(msg)) ? msg : "(other messages)");
      auto it = kinds_.try_emplace(std::move(key), 0).first;
      ++it->second;
      last_kind_ = &*it;
    }
    last_.emplace_back(l.substr(0, 300));
    if (last_.size() > 5) last_.pop_front();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<std::string> listening_;
  std::ofstream file_;
  std::string partial_[3];
  std::uint64_t lines_ = 0;
  std::size_t written_ = 0;
  bool truncated_ = false;
  std::map<std::string, std::uint64_t> kinds_;
  std::pair<const std::string, std::uint64_t>* last_kind_ = nullptr;
  std::deque<std::string> last_;
};

struct ServerProcess {
  pid_t pid = -1;
  std::string dir;       // the temporary data dir (and the log)
  std::string log_path;  // server stdout + stderr (spdlog), capped
  std::string argv_text;
  int out_fd = -1, err_fd = -1;
  std::thread drain;
  LogCapture log;
  std::optional<int> wait_status;  // set once reaped

  bool exited() {
    if (pid <= 0 || wait_status) return wait_status.has_value();
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) wait_status = st;
    return wait_status.has_value();
  }

  std::string exit_text() const {
    if (!wait_status) return "running";
    const int st = *wait_status;
    if (WIFEXITED(st)) return "exit status " + std::to_string(WEXITSTATUS(st));
    if (WIFSIGNALED(st))
      return std::string("killed by signal ") + std::to_string(WTERMSIG(st)) + " (" +
             strsignal(WTERMSIG(st)) + ")" + (WCOREDUMP(st) ? ", core dumped" : "");
    return "wait status " + std::to_string(st);
  }

  // Starts `parley serve` and waits for its `listening http=HOST:PORT` line.
  bool start(const Options& o, std::string& hostport, std::string& err) {
    std::string tmpl = o.tmp_dir + "/parley-bench-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      err = "mkdtemp in " + o.tmp_dir + ": " + strerror(errno);
      return false;
    }
    dir = tmpl;
    log_path = dir + "/server.log";
    log.open(log_path);
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
      err = std::string("pipe: ") + strerror(errno);
      return false;
    }
    std::vector<std::string> args = {
        o.parley,      "serve",     "--listen",           "127.0.0.1:0", "--data-dir",
        dir + "/data", "--ws-rate", fmt("%g", o.ws_rate), "--log-level", "warn"};
    args.insert(args.end(), o.server_args.begin(), o.server_args.end());
    for (const auto& a : args) argv_text += (argv_text.empty() ? "" : " ") + shell_quote(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid = fork();
    if (pid < 0) {
      err = std::string("fork: ") + strerror(errno);
      return false;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench
      if (getppid() != parent) _exit(127);
      dup2(out[1], STDOUT_FILENO);
      dup2(errp[1], STDERR_FILENO);
      const int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
      execv(argv[0], argv.data());
      std::fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
    ::close(out[1]);
    ::close(errp[1]);
    out_fd = out[0];
    err_fd = errp[0];
    drain = std::thread([this] {
      pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
      int open_fds = 2;
      char buf[65536];
      while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR) continue;
          break;
        }
        for (int i = 0; i < 2; ++i) {
          if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
          const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
          if (n > 0) {
            log.feed(i + 1, buf, static_cast<std::size_t>(n));
          } else {
            fds[i].fd = -1;
            --open_fds;
          }
        }
      }
    });

    const auto deadline = Clock::now() + std::chrono::duration<double>(std::min(o.timeout, 30.0));
    while (Clock::now() < deadline) {
      if (auto l = log.wait_listening(100ms)) {
        hostport = *l;
        return true;
      }
      if (exited()) {
        err = "the server exited before listening (" + exit_text() + "); log: " + log_path;
        return false;
      }
    }
    err = "the server did not print 'listening http=' within 30 s; log: " + log_path;
    return false;
  }

  // SIGTERM, then SIGKILL after 5 s. Returns how it went.
  std::string stop() {
    if (pid <= 0) return "";
    std::string how;
    if (!exited()) {
      ::kill(pid, SIGTERM);
      const auto t0 = Clock::now();
      while (!exited() && secs_since(t0) < 5) std::this_thread::sleep_for(20ms);
      if (!exited()) {
        ::kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        wait_status = st;
        how = fmt("did not stop within 5 s of SIGTERM; killed (SIGKILL)");
      } else {
        how = fmt("stopped by SIGTERM in %.2f s (%s)", secs_since(t0), exit_text().c_str());
      }
    } else {
      how = "had already exited: " + exit_text();
    }
    if (drain.joinable()) drain.join();
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    return how;
  }
};

// ------------------------------------------------------------------ SDP

// A Chrome-like audio+video offer (or answer), ~2 KB, with fresh ICE
// credentials, fingerprint and SSRCs each time.
std::string make_sdp(std::mt19937_64& rng, bool offer) {
  static constexpr char kIce[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto ice = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += kIce[rng() % 64];
    return s;
  };
  std::string fp;
  for (int i = 0; i < 32; ++i) fp += fmt(i ? ":%02X" : "%02X", static_cast<unsigned>(rng() & 0xff));
  const std::string ufrag = ice(4), pwd = ice(24), cname = ice(16), msid = ice(36);
  const auto a_ssrc = static_cast<std::uint32_t>(rng()), v_ssrc = static_cast<std::uint32_t>(rng()),
             r_ssrc = static_cast<std::uint32_t>(rng());
  const char* setup = offer ? "actpass" : "active";
  std::string s;
  s += fmt("v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", rng() >> 1);
  s += "a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS " + msid + "\r\n";
  auto transport = [&](int mid) {
    s += "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n";
    s += "a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\na=ice-options:trickle\r\n";
    s += "a=fingerprint:sha-256 " + fp + "\r\na=setup:" + setup + "\r\n";
    s += fmt("a=mid:%d\r\n", mid);
  };
  s += "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n";
  transport(0);
  s += "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
       "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
       "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
       "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
       "a=sendrecv\r\n";
  s += "a=msid:" + msid + " " + ice(36) + "\r\n";
  s += "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
       "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
       "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
       "a=rtpmap:13 CN/8000\r\na=rtpmap:110 telephone-event/48000\r\n"
       "a=rtpmap:126 telephone-event/8000\r\n";
  s += fmt("a=ssrc:%u cname:%s\r\n", a_ssrc, cname.c_str());
  s += "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\n";
  transport(1);
  s += "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
       "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
       "a=extmap:13 urn:3gpp:video-orientation\r\n"
       "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
       "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
       "a=sendrecv\r\n";
  s += "a=msid:" + msid + " " + ice(36) + "\r\n";
  s += "a=rtcp-mux\r\na=rtcp-rsize\r\n";
  for (int pt : {96, 98}) {
    s += fmt("a=rtpmap:%d %s/90000\r\n", pt, pt == 96 ? "VP8" : "VP9");
    s +=
        fmt("a=rtcp-fb:%d goog-remb\r\na=rtcp-fb:%d transport-cc\r\na=rtcp-fb:%d ccm fir\r\n"
            "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n",
            pt, pt, pt, pt, pt);
    s += fmt("a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n", pt + 1, pt + 1, pt);
  }
  s += fmt("a=ssrc-group:FID %u %u\r\na=ssrc:%u cname:%s\r\na=ssrc:%u cname:%s\r\n", v_ssrc, r_ssrc,
           v_ssrc, cname.c_str(), r_ssrc, cname.c_str());
  return s;
}

// ------------------------------------------------------------------ cheap JSON peeking

// The value of the first `"key":"..."` in a serialized object, unescaped
// enough for ids, types and codes. A string value in JSON cannot contain an
// unescaped quote, so the pattern cannot match inside another value. This
// keeps the bench from parsing the ~2 KB incoming_call 20k times a second.
std::string_view peek_string(std::string_view text, std::string_view key) {
  std::string pat;
  pat.reserve(key.size() + 4);
  pat += '"';
  pat += key;
  pat += "\":\"";
  const auto at = text.find(pat);
  if (at == std::string_view::npos) return {};
  const auto start = at + pat.size();
  auto end = start;
  while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
  return end <= text.size() ? text.substr(start, end - start) : std::string_view{};
}

// ------------------------------------------------------------------ statistics

struct Percentiles {
  std::size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {  // nearest rank
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  p.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  p.mean = sum / static_cast<double>(v.size());
  return p;
}

// ------------------------------------------------------------------ the bench

struct User {
  std::string name, id, token;
  bool ok = false;
  std::vector<int> ready;  // devices registered and open
};

struct Device {
  explicit Device(asio::io_context& io) : ws(io), timer(io) {}
  enum class State : std::uint8_t { idle, connecting, ready, closed };
  int idx = 0;
  int user = 0;
  int ready_pos = -1;  // index in users[user].ready
  State state = State::idle;
  bool timed_out = false;
  bool writing = false;
  websocket::stream<tcp::socket> ws;
  asio::steady_timer timer;  // connect phase only
  beast::flat_buffer buf;
  std::deque<std::string> outq;
  Clock::time_point t0;
};

struct Call {
  int n = 0;
  int caller = -1, callee = -1;
  int caller_dev = -1, accept_dev = -1;
  std::string id;
  Clock::time_point invited, rang, finished;
  std::string outcome;
  bool incoming = false, accepted = false, caller_ended = false, callee_ended = false;
  bool done = false;
};

struct PhaseCpu {
  double wall = 0, server = 0, bench = 0;
  double machine_busy = 0, machine_total = 0;  // all cores, every process
};

// A first-come lock for coroutines on one thread.
class AsyncMutex {
 public:
  asio::awaitable<void> lock() {
    while (locked_) {
      asio::steady_timer wake(co_await asio::this_coro::executor, Clock::time_point::max());
      waiters_.push_back(&wake);
      co_await wake.async_wait(kUseTuple);
    }
    locked_ = true;
  }
  void unlock() {
    locked_ = false;
    if (!waiters_.empty()) {
      waiters_.front()->cancel();
      waiters_.pop_front();
    }
  }

 private:
  bool locked_ = false;
  std::deque<asio::steady_timer*> waiters_;
};

class Bench {
 public:
  Bench(asio::io_context& io, Options opt, tcp::endpoint ep, pid_t server_pid,
        ServerProcess* server)
      : io_(io),
        opt_(std::move(opt)),
        ep_(ep),
        host_(ep.address().to_string() + ":" + std::to_string(ep.port())),
        server_pid_(server_pid),
        server_(server),
        rng_(opt_.seed),
        spread_sources_(ep.address().is_loopback() && ep.address().is_v4() && opt_.source_ips > 1),
        deadline_(io),
        watch_(io),
        event_(io),
        signals_(io, SIGINT, SIGTERM) {}

  void start() {
    started_at_ = Clock::now();
    load_at_start_ = loadavg();
    start_time_ = std::time(nullptr);
    deadline_.expires_after(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.timeout)));
    deadline_.async_wait([this](beast::error_code ec) {
      if (!ec)
        abort(fmt("global deadline (--timeout %g s) reached during %s", opt_.timeout, phase_));
    });
    signals_.async_wait([this](beast::error_code ec, int sig) {
      if (!ec) abort(std::string("interrupted by ") + strsignal(sig));
    });
    watch();
    asio::co_spawn(io_, run(), [this](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          abort(std::string("bench failure: ") + ex.what());
        }
      }
      finished_ = true;
      io_.stop();
    });
  }

  void report(const std::string& self_path, int& exit_code);

 private:
  // ---------------------------------------------------------------- control

  void abort(std::string why) {
    if (stopping_) return;
    stopping_ = true;
    abort_reason_ = std::move(why);
    std::fprintf(stderr, "bench: %s\n", abort_reason_.c_str());
    io_.stop();
  }

  // Server liveness and progress lines, every 250 ms.
  void watch() {
    watch_.expires_after(250ms);
    watch_.async_wait([this](beast::error_code ec) {
      if (ec || stopping_) return;
      if (server_ && server_->exited())
        return abort("the server process died: " + server_->exit_text());
      if (!server_ && server_pid_ > 0 && ::kill(server_pid_, 0) != 0)
        return abort("the server process " + std::to_string(server_pid_) + " is gone");
      if (std::string_view(phase_) == "calls") check_call_timeouts();
      if (secs_since(last_progress_) >= 5) {
        last_progress_ = Clock::now();
        progress();
      }
      watch();
    });
  }

  void progress() {
    const std::string_view p = phase_;
    if (p == "registering users")
      std::fprintf(stderr, "  [%5.0f s] users registered %d/%d\n", secs_since(started_at_),
                   users_ok_, opt_.users);
    else if (p == "connecting devices")
      std::fprintf(stderr, "  [%5.0f s] devices registered %d/%d, failed %d, in flight %d\n",
                   secs_since(started_at_), registered_, opt_.devices, connect_failed_, in_flight_);
    else if (p == "calls")
      std::fprintf(stderr, "  [%5.0f s] calls completed %d/%d, failed %d, active %d\n",
                   secs_since(started_at_), completed_, opt_.calls, failed_calls_, active_);
  }

  // The main coroutine waits on `event_`; callback-driven phases cancel it.
  asio::awaitable<void> wait_event(const bool& done) {
    while (!done && !stopping_) {
      event_.expires_at(Clock::time_point::max());
      co_await event_.async_wait(kUseTuple);
    }
  }
  void notify() { event_.cancel(); }

  void error(const std::string& what) { ++errors_[what]; }

  struct PhaseMark {
    Clock::time_point t;
    double server = 0, bench = 0;
    std::map<int, ThreadCpu> threads;
    std::pair<double, double> machine;
  };
  PhaseMark mark() const {
    PhaseMark m{Clock::now(), 0, self_cpu(), {}, machine_cpu()};
    if (server_pid_ > 0) {
      m.server = stat_cpu("/proc/" + std::to_string(server_pid_) + "/stat").value_or(0);
      m.threads = thread_cpu(server_pid_);
    }
    return m;
  }
  static PhaseCpu cpu_between(const PhaseMark& a, const PhaseMark& b) {
    return {std::chrono::duration<double>(b.t - a.t).count(), b.server - a.server,
            b.bench - a.bench, b.machine.first - a.machine.first,
            b.machine.second - a.machine.second};
  }

  asio::awaitable<void> run() {
    // ------------------------------------------------ users
    phase_ = "registering users";
    auto m0 = mark();
    users_.resize(static_cast<std::size_t>(opt_.users));
    const std::string run_id = fmt("%06x", static_cast<unsigned>(rng_() & 0xffffff));
    password_ = "bench-password-" + run_id;
    for (int i = 0; i < opt_.users; ++i)
      users_[static_cast<std::size_t>(i)].name = "bn" + run_id + "_" + std::to_string(i);
    workers_left_ = std::max(1, std::min(opt_.register_concurrency, opt_.users));
    users_done_ = opt_.users == 0;
    for (int w = 0, n = workers_left_; w < n; ++w)
      asio::co_spawn(io_, register_worker(), [this](std::exception_ptr) {
        if (--workers_left_ == 0) {
          users_done_ = true;
          notify();
        }
      });
    co_await wait_event(users_done_);
    users_cpu_ = cpu_between(m0, mark());
    if (stopping_) co_return;
    std::vector<int> ok_users;
    for (int i = 0; i < opt_.users; ++i)
      if (users_[static_cast<std::size_t>(i)].ok) ok_users.push_back(i);
    if (ok_users.empty()) {
      abort("no user could be registered");
      co_return;
    }

    // ------------------------------------------------ devices
    phase_ = "connecting devices";
    if (server_pid_ > 0) rss_before_ = rss_kib(server_pid_);
    devs_.reserve(static_cast<std::size_t>(opt_.devices));
    for (int i = 0; i < opt_.devices; ++i) {
      auto d = std::make_unique<Device>(io_);
      d->idx = i;
      d->user = ok_users[static_cast<std::size_t>(i) % ok_users.size()];
      devs_.push_back(std::move(d));
    }
    {
      auto r = co_await control_call("/health");
      if (r.status != 200)
        error("GET /health before connecting: " +
              (r.error.empty() ? std::to_string(r.status) : r.error));
    }
    asio::co_spawn(io_, probe_loop(), asio::detached);
    auto m1 = mark();
    connect_started_ = Clock::now();
    connects_done_ = opt_.devices == 0;
    start_connects();
    co_await wait_event(connects_done_);
    connect_cpu_ = cpu_between(m1, mark());
    if (server_pid_ > 0) {
      rss_after_ = rss_kib(server_pid_);
      server_fds_ = fd_usage(server_pid_);
    }
    if (stopping_) co_return;

    // The server queues two SQLite writes per `register`: /health goes
    // through the same one-thread queue, so its answer time is the backlog.
    phase_ = "waiting for the server's store queue";
    {
      const auto t = Clock::now();
      auto r = co_await control_call("/health");
      store_drain_after_connect_ = secs_since(t);
      if (r.status != 200)
        error("GET /health after connect: " +
              (r.error.empty() ? std::to_string(r.status) : r.error));
    }
    if (server_pid_ > 0) rss_after_drain_ = rss_kib(server_pid_);
    if (stopping_) co_return;

    if (opt_.idle > 0) {
      phase_ = "idle";
      auto mi = mark();
      asio::steady_timer t(io_);
      t.expires_after(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.idle)));
      co_await t.async_wait(kUseTuple);
      idle_cpu_ = cpu_between(mi, mark());
      if (stopping_) co_return;
    }

    // ------------------------------------------------ calls
    phase_ = "calls";
    by_caller_.assign(users_.size(), nullptr);
    by_callee_.assign(users_.size(), nullptr);
    for (int u : ok_users)
      if (!users_[static_cast<std::size_t>(u)].ready.empty()) free_.push_back(u);
    auto m2 = mark();
    calls_mark_ = std::make_unique<PhaseMark>(m2);
    calls_started_at_ = Clock::now();
    calls_done_ = false;
    start_calls();
    co_await wait_event(calls_done_);
    calls_wall_ = secs_since(calls_started_at_);
    auto m3 = mark();
    calls_cpu_ = cpu_between(m2, m3);
    calls_threads_before_ = m2.threads;
    calls_threads_after_ = m3.threads;
    if (stopping_) co_return;

    phase_ = "collecting server metrics";
    {
      const auto t = Clock::now();
      probe_stop_ = true;
      probe_timer_.cancel();
      auto r = co_await control_call("/health");
      store_drain_after_calls_ = secs_since(t);
      if (r.status != 200)
        error("GET /health after calls: " + (r.error.empty() ? std::to_string(r.status) : r.error));
      auto m = co_await control_call("/metrics");
      if (m.status == 200) metrics_text_ = std::move(m.body);
    }
    phase_ = "done";
  }

  // ---------------------------------------------------------------- REST

  struct HttpReply {
    int status = 0;
    std::string body;
    std::string error;
  };

  asio::awaitable<HttpReply> http_call(http::verb verb, std::string target, std::string body,
                                       std::chrono::seconds timeout) {
    HttpReply reply;
    beast::tcp_stream s(co_await asio::this_coro::executor);
    s.expires_after(timeout);
    auto [ec] = co_await s.async_connect(ep_, kUseTuple);
    if (ec) {
      reply.error = "connect: " + ec.message();
      co_return reply;
    }
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "parley_signaling_bench");
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.keep_alive(false);
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(s, req, kUseTuple);
    if (wec) {
      reply.error = "write: " + wec.message();
      co_return reply;
    }
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    auto [rec, rn] = co_await http::async_read(s, buf, parser, kUseTuple);
    if (rec) {
      reply.error = "read: " + rec.message();
      co_return reply;
    }
    reply.status = parser.get().result_int();
    reply.body = std::move(parser.get().body());
    beast::error_code ignored;
    s.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return reply;
  }

  // One keep-alive connection, opened before the devices: a server that holds
  // as many sockets as its descriptor limit allows accepts no new connection,
  // and the bench still needs /health and /metrics from it.
  asio::awaitable<HttpReply> control_call(std::string target) {
    co_await control_mutex_.lock();
    HttpReply reply;
    if (!control_) {
      control_.emplace(co_await asio::this_coro::executor);
      control_->expires_after(30s);
      auto [ec] = co_await control_->async_connect(ep_, kUseTuple);
      if (ec) {
        control_.reset();
        reply.error = "connect: " + ec.message();
        control_mutex_.unlock();
        co_return reply;
      }
    }
    control_->expires_never();  // the answer waits behind the server's store queue
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "parley_signaling_bench");
    req.keep_alive(true);
    auto [wec, wn] = co_await http::async_write(*control_, req, kUseTuple);
    if (!wec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      auto [rec, rn] = co_await http::async_read(*control_, control_buf_, parser, kUseTuple);
      if (!rec) {
        reply.status = parser.get().result_int();
        reply.body = std::move(parser.get().body());
        if (parser.get().need_eof()) control_.reset();
      } else {
        reply.error = "read: " + rec.message();
        control_.reset();
      }
    } else {
      reply.error = "write: " + wec.message();
      control_.reset();
    }
    if (!control_) control_buf_.clear();
    control_mutex_.unlock();
    co_return reply;
  }

  // GET /health every few seconds on the control connection. /health runs
  // on the server's one store thread, behind every queued write, so its
  // answer time is how far behind the store is (and it keeps the connection
  // inside the server's 30 s idle timeout).
  asio::awaitable<void> probe_loop() {
    while (!stopping_ && !probe_stop_) {
      const auto t = Clock::now();
      const std::string_view sent_in = phase_;  // a slow answer belongs to the phase that asked
      auto r = co_await control_call("/health");
      const double took = secs_since(t);
      if (probe_stop_ || stopping_) break;
      if (r.status != 200)
        error("GET /health probe: " +
              (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error));
      auto& worst = sent_in == "calls" ? probe_max_calls_ : probe_max_connect_;
      worst = std::max(worst, took);
      if (took > 1)
        std::fprintf(stderr, "  [%5.0f s] store probe: GET /health took %.1f s (sent while %s)\n",
                     secs_since(started_at_), took, std::string(sent_in).c_str());
      probe_timer_.expires_at(t + 5s);
      co_await probe_timer_.async_wait(kUseTuple);
    }
  }

  asio::awaitable<void> register_worker() {
    while (!stopping_ && next_user_ < opt_.users) {
      User& u = users_[static_cast<std::size_t>(next_user_)];
      const int i = next_user_++;
      json::object body{{"username", u.name},
                        {"password", password_},
                        {"display_name", "Bench User " + std::to_string(i)}};
      auto r =
          co_await http_call(http::verb::post, "/api/v1/auth/register", json::serialize(body), 60s);
      if (r.status == 201) {
        boost::system::error_code ec;
        auto v = json::parse(r.body, ec);
        if (!ec && v.is_object() && v.as_object().contains("token") &&
            v.as_object().contains("user_id")) {
          u.id = json::value_to<std::string>(v.at("user_id"));
          u.token = json::value_to<std::string>(v.at("token"));
          u.ok = true;
          ++users_ok_;
          continue;
        }
        error("register user: unreadable 201 body");
      } else if (!r.error.empty()) {
        error("register user: " + r.error);
      } else {
        error("register user: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 120));
      }
    }
  }

  // ---------------------------------------------------------------- devices

  void start_connects() {
    while (!stopping_ && in_flight_ < opt_.connect_concurrency && next_dev_ < opt_.devices)
      connect_one(devs_[static_cast<std::size_t>(next_dev_++)].get());
    if (in_flight_ == 0 && next_dev_ >= opt_.devices && !connects_done_) {
      connects_done_ = true;
      connect_wall_ = secs_since(connect_started_);
      notify();
    }
  }

  void connect_failed(Device* d, std::string what) {
    if (d->state != Device::State::connecting) return;
    d->state = Device::State::closed;
    d->timer.cancel();
    beast::error_code ignored;
    d->ws.next_layer().close(ignored);
    error("connect: " +
          (d->timed_out ? fmt("no 'registered' within %g s", opt_.connect_timeout) : what));
    ++connect_failed_;
    --in_flight_;
    start_connects();
  }

  void connect_one(Device* d) {
    ++in_flight_;
    d->state = Device::State::connecting;
    d->t0 = Clock::now();
    d->timer.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(opt_.connect_timeout)));
    d->timer.async_wait([d](beast::error_code ec) {
      if (ec || d->state != Device::State::connecting) return;
      d->timed_out = true;
      beast::error_code ignored;
      d->ws.next_layer().close(ignored);  // the pending operation fails
    });
    beast::error_code ec;
    d->ws.next_layer().open(tcp::v4(), ec);
    if (ec) return connect_failed(d, "socket(): " + ec.message());
    if (spread_sources_) {
      // Every source address has its own ephemeral ports; the kernel picks
      // the port at connect() time (IP_BIND_ADDRESS_NO_PORT).
      using bind_no_port =
          asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
      d->ws.next_layer().set_option(bind_no_port(true), ec);
      const auto src =
          asio::ip::address_v4(0x7f000002u + static_cast<unsigned>(d->idx % opt_.source_ips));
      if (!ec) d->ws.next_layer().bind(tcp::endpoint(src, 0), ec);
      if (ec) return connect_failed(d, "bind(" + src.to_string() + "): " + ec.message());
    }
    d->ws.next_layer().async_connect(ep_, [this, d](beast::error_code ec) {
      if (ec) return connect_failed(d, "TCP connect: " + ec.message());
      d->ws.next_layer().set_option(tcp::no_delay(true), ec);
      d->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      d->ws.read_message_max(1 << 20);
      const User& u = users_[static_cast<std::size_t>(d->user)];
      d->ws.async_handshake(host_, "/ws?token=" + u.token, [this, d](beast::error_code ec) {
        if (ec) return connect_failed(d, "WebSocket handshake: " + ec.message());
        send(d, fmt(R"({"type":"register","device_id":"bd%d","device_name":"bench device %d"})",
                    d->idx, d->idx));
        d->ws.async_read(d->buf, [this, d](beast::error_code ec, std::size_t) {
          if (ec) return connect_failed(d, "waiting for 'registered': " + ec.message());
          const auto data = d->buf.cdata();
          const std::string_view text(static_cast<const char*>(data.data()), data.size());
          const auto type = peek_string(text, "type");
          if (type != "registered") {
            const std::string what = type == "error"
                                         ? "error " + std::string(peek_string(text, "code"))
                                         : "'" + std::string(type) + "'";
            return connect_failed(d, "register answered with " + what);
          }
          d->buf.consume(d->buf.size());
          d->timer.cancel();
          d->state = Device::State::ready;
          connect_latency_.push_back(ms_between(d->t0, Clock::now()));
          auto& ready = users_[static_cast<std::size_t>(d->user)].ready;
          d->ready_pos = static_cast<int>(ready.size());
          ready.push_back(d->idx);
          ++registered_;
          --in_flight_;
          read_loop(d);
          start_connects();
        });
      });
    });
  }

  void read_loop(Device* d) {
    d->ws.async_read(d->buf, [this, d](beast::error_code ec, std::size_t) {
      if (ec) return device_lost(d, ec);
      const auto data = d->buf.cdata();
      on_message(d, std::string_view(static_cast<const char*>(data.data()), data.size()));
      d->buf.consume(d->buf.size());
      if (d->state == Device::State::ready) read_loop(d);
    });
  }

  void send(Device* d, std::string text) {
    d->outq.push_back(std::move(text));
    if (!d->writing) write_next(d);
  }

  void write_next(Device* d) {
    if (d->outq.empty()) {
      d->writing = false;
      return;
    }
    d->writing = true;
    d->ws.text(true);
    d->ws.async_write(asio::buffer(d->outq.front()), [this, d](beast::error_code ec, std::size_t) {
      d->outq.pop_front();
      if (ec) {
        d->writing = false;
        d->outq.clear();
        if (d->state == Device::State::ready) device_lost(d, ec);
        return;
      }
      write_next(d);
    });
  }

  void device_lost(Device* d, beast::error_code ec) {
    if (d->state != Device::State::ready) return;
    d->state = Device::State::closed;
    auto& ready = users_[static_cast<std::size_t>(d->user)].ready;
    const int last = ready.back();
    ready[static_cast<std::size_t>(d->ready_pos)] = last;
    devs_[static_cast<std::size_t>(last)]->ready_pos = d->ready_pos;
    ready.pop_back();
    ++lost_devices_;
    std::string why = ec.message();
    if (ec == websocket::error::closed) {
      const auto r = d->ws.reason();
      why = fmt("closed by the server (%u %s)", static_cast<unsigned>(r.code), r.reason.c_str());
    }
    error("registered device lost its connection: " + why);
  }

  // ---------------------------------------------------------------- calls

  int take_free() {
    const auto i = static_cast<std::size_t>(rng_() % free_.size());
    const int u = free_[i];
    free_[i] = free_.back();
    free_.pop_back();
    return u;
  }

  void start_calls() {
    while (!stopping_ && active_ < opt_.concurrency && started_ < opt_.calls && free_.size() >= 2) {
      const int a = take_free(), b = take_free();
      const auto& ready = users_[static_cast<std::size_t>(a)].ready;
      if (ready.empty() || users_[static_cast<std::size_t>(b)].ready.empty()) {
        // Lost all its devices: leave it out and try again.
        if (!ready.empty()) free_.push_back(a);
        if (!users_[static_cast<std::size_t>(b)].ready.empty()) free_.push_back(b);
        continue;
      }
      calls_.emplace_back();
      Call& c = calls_.back();
      c.n = started_++;
      c.caller = a;
      c.callee = b;
      c.caller_dev = ready[rng_() % ready.size()];
      by_caller_[static_cast<std::size_t>(a)] = &c;
      by_callee_[static_cast<std::size_t>(b)] = &c;
      ++active_;
      json::object invite{{"type", "call_invite"},
                          {"ref", "i" + std::to_string(c.n)},
                          {"callee", users_[static_cast<std::size_t>(b)].name},
                          {"call_type", "video"},
                          {"idempotency_key", password_ + "-" + std::to_string(c.n)},
                          {"sdp_offer", make_sdp(rng_, true)}};
      std::string text = json::serialize(invite);
      if (offer_bytes_ == 0) offer_bytes_ = invite.at("sdp_offer").as_string().size();
      c.invited = Clock::now();
      send(devs_[static_cast<std::size_t>(c.caller_dev)].get(), std::move(text));
    }
    if (!calls_done_ && active_ == 0 && (started_ >= opt_.calls || free_.size() < 2 || stopping_)) {
      if (started_ < opt_.calls && !stopping_)
        error(
            fmt("ran out of free users after %d calls (quarantined or without devices)", started_));
      calls_done_ = true;
      notify();
    }
  }

  // `release`: both users are free on the server too (it ended the call or never made one).
  void close_call(Call& c, const std::string& failure, bool release) {
    if (c.done) return;
    c.done = true;
    c.finished = Clock::now();
    c.outcome = failure.empty() ? "completed" : failure;
    --active_;
    if (failure.empty()) {
      ++completed_;
    } else {
      ++failed_calls_;
      error("call: " + failure);
    }
    if (!c.id.empty()) {
      by_id_.erase(c.id);
      finished_ids_.insert(c.id);
    }
    by_caller_[static_cast<std::size_t>(c.caller)] = nullptr;
    by_callee_[static_cast<std::size_t>(c.callee)] = nullptr;
    if (release) {
      for (int u : {c.caller, c.callee})
        if (!users_[static_cast<std::size_t>(u)].ready.empty()) free_.push_back(u);
    } else {
      quarantined_ += 2;
    }
    if (completed_ + failed_calls_ == opt_.calls) calls_finished_at_ = Clock::now();
    start_calls();
  }

  void check_call_timeouts() {
    const auto limit = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(opt_.call_timeout));
    const auto now = Clock::now();
    // Collected first: closing a call starts the next one, which grows calls_.
    std::vector<Call*> late;
    for (auto& c : calls_)
      if (!c.done && now - c.invited >= limit) late.push_back(&c);
    for (Call* c : late) {
      const char* where = !c->incoming       ? "no incoming_call"
                          : !c->accepted     ? "no call_accepted"
                          : !c->caller_ended ? "no call_ended at the caller"
                                             : "no call_ended at the answering device";
      close_call(*c, fmt("timed out after %g s (%s)", opt_.call_timeout, where), false);
    }
  }

  Call* call_by_ref(std::string_view ref) {
    if (ref.size() < 2) return nullptr;
    int n = -1;
    try {
      n = std::stoi(std::string(ref.substr(1)));
    } catch (...) {
      return nullptr;
    }
    if (n < 0 || n >= static_cast<int>(calls_.size())) return nullptr;
    return &calls_[static_cast<std::size_t>(n)];
  }

  void on_message(Device* d, std::string_view text) {
    ++messages_in_;
    bytes_in_ += text.size();
    const auto type = peek_string(text, "type");
    const auto call_id = peek_string(text, "call_id");

    if (type == "incoming_call") {
      Call* c = by_callee_[static_cast<std::size_t>(d->user)];
      if (!c || c->incoming || finished_ids_.contains(std::string(call_id))) return;
      if (!c->id.empty() && c->id != call_id) return;  // a stale ring of an older call
      const auto now = Clock::now();
      c->incoming = true;
      c->rang = now;
      invite_latency_.push_back(ms_between(c->invited, now));
      if (c->id.empty()) {
        c->id = std::string(call_id);
        by_id_[c->id] = c;
      }
      c->accept_dev = d->idx;
      json::object accept{{"type", "call_accept"},
                          {"ref", "a" + std::to_string(c->n)},
                          {"call_id", c->id},
                          {"sdp_answer", make_sdp(rng_, false)}};
      send(d, json::serialize(accept));
      return;
    }
    if (type == "call_initiated") {
      Call* c = by_caller_[static_cast<std::size_t>(d->user)];
      if (!c || d->idx != c->caller_dev) return;
      if (text.find("\"glare\":true") != std::string_view::npos) error("unexpected glare");
      if (text.find("\"deduplicated\":true") != std::string_view::npos)
        error("unexpected deduplicated invite");
      if (c->id.empty()) {
        c->id = std::string(call_id);
        by_id_[c->id] = c;
      } else if (c->id != call_id) {
        error("call_initiated and incoming_call name different calls");
      }
      return;
    }
    if (type == "call_accepted") {
      auto it = by_id_.find(std::string(call_id));
      if (it == by_id_.end() || d->idx != it->second->caller_dev) return;
      Call& c = *it->second;
      c.accepted = true;
      send(d, fmt(R"({"type":"call_end","ref":"e%d","call_id":"%s"})", c.n, c.id.c_str()));
      return;
    }
    if (type == "call_ended") {
      auto it = by_id_.find(std::string(call_id));
      if (it == by_id_.end()) return;  // other rung devices, or an old call
      Call& c = *it->second;
      const auto reason = peek_string(text, "reason");
      if (d->idx == c.caller_dev) {
        c.caller_ended = true;
        if (!c.accepted)
          return close_call(c, "ended before it was answered: " + std::string(reason), true);
        if (reason != "completed")
          return close_call(c, "ended with reason " + std::string(reason), true);
      } else if (d->idx == c.accept_dev) {
        c.callee_ended = true;
      }
      if (c.caller_ended && c.callee_ended) close_call(c, "", true);
      return;
    }
    if (type == "error") {
      const auto code = peek_string(text, "code");
      const auto ref = peek_string(text, "ref");
      ++server_errors_[std::string(code)];
      if (Call* c = call_by_ref(ref); c && !c->done) {
        // An invite that failed left nothing behind on the server; a failed
        // accept or end may have, so those users sit the rest of the run out.
        const bool release = !ref.empty() && ref[0] == 'i';
        close_call(*c,
                   "server error '" + std::string(code) + "' for " +
                       (ref[0] == 'i'   ? "call_invite"
                        : ref[0] == 'a' ? "call_accept"
                                        : "call_end"),
                   release);
      } else {
        error("server error '" + std::string(code) + "' (no call)");
      }
      return;
    }
    if (type == "call_ringing" || type == "call_connected" || type == "call_answered_elsewhere" ||
        type == "pong")
      return;
    ++unexpected_[std::string(type.empty() ? "(no type)" : type)];
  }

  // ---------------------------------------------------------------- state

 public:
  asio::io_context& io_;
  Options opt_;
  tcp::endpoint ep_;
  std::string host_;
  pid_t server_pid_;
  ServerProcess* server_;
  std::mt19937_64 rng_;
  bool spread_sources_;
  asio::steady_timer deadline_, watch_, event_;
  asio::signal_set signals_;
  bool stopping_ = false, finished_ = false;
  std::string abort_reason_;
  std::string load_at_start_;
  std::time_t start_time_ = 0;
  const char* phase_ = "starting";
  Clock::time_point started_at_, last_progress_ = Clock::now();
  std::map<std::string, std::uint64_t> errors_, server_errors_, unexpected_;

  // users
  std::vector<User> users_;
  std::string password_;
  int next_user_ = 0, users_ok_ = 0, workers_left_ = 0;
  bool users_done_ = false;
  PhaseCpu users_cpu_;

  // devices
  std::vector<std::unique_ptr<Device>> devs_;
  int next_dev_ = 0, in_flight_ = 0, registered_ = 0, connect_failed_ = 0, lost_devices_ = 0;
  bool connects_done_ = false;
  Clock::time_point connect_started_;
  double connect_wall_ = 0;
  std::vector<double> connect_latency_;
  PhaseCpu connect_cpu_;
  std::optional<long> rss_before_, rss_after_, rss_after_drain_;
  std::optional<std::pair<long, long>> server_fds_;  // open, limit
  double store_drain_after_connect_ = -1, store_drain_after_calls_ = -1;

  // calls
  std::deque<Call> calls_;
  std::vector<Call*> by_caller_, by_callee_;
  std::unordered_map<std::string, Call*> by_id_;
  std::unordered_set<std::string> finished_ids_;
  std::vector<int> free_;
  int started_ = 0, active_ = 0, completed_ = 0, failed_calls_ = 0, quarantined_ = 0;
  bool calls_done_ = false;
  Clock::time_point calls_started_at_, calls_finished_at_;
  double calls_wall_ = 0;
  std::vector<double> invite_latency_;
  std::size_t offer_bytes_ = 0;
  std::uint64_t messages_in_ = 0, bytes_in_ = 0;
  PhaseCpu calls_cpu_, idle_cpu_;
  std::unique_ptr<PhaseMark> calls_mark_;
  std::map<int, ThreadCpu> calls_threads_before_, calls_threads_after_;
  std::string metrics_text_;

  // control connection
  std::optional<beast::tcp_stream> control_;
  beast::flat_buffer control_buf_;
  AsyncMutex control_mutex_;
  asio::steady_timer probe_timer_{io_};
  bool probe_stop_ = false;
  double probe_max_connect_ = 0, probe_max_calls_ = 0;
};

// Approximate quantiles from a Prometheus histogram: the upper bound of the
// bucket that holds the quantile.
std::string histogram_summary(const std::string& text, const std::string& name) {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative)
  double sum = 0, count = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name + "_bucket")) {
      const auto le = line.find("le=\"");
      const auto q = line.find('"', le + 4);
      const std::string bound = line.substr(le + 4, q - le - 4);
      const double v = std::stod(line.substr(line.rfind(' ') + 1));
      buckets.emplace_back(bound == "+Inf" ? INFINITY : std::stod(bound), v);
    } else if (line.starts_with(name + "_sum")) {
      sum = std::stod(line.substr(line.rfind(' ') + 1));
    } else if (line.starts_with(name + "_count")) {
      count = std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  if (count <= 0) return "no samples";
  auto q = [&](double p) {
    for (const auto& [le, cum] : buckets)
      if (cum >= p * count)
        return std::isinf(le) ? std::string("> last bucket") : fmt("<= %g ms", le * 1000);
    return std::string("?");
  };
  return fmt("n=%.0f  mean %.2f ms  p50 %s  p90 %s  p99 %s", count, sum / count * 1000,
             q(0.5).c_str(), q(0.9).c_str(), q(0.99).c_str());
}

void Bench::report(const std::string& self_path, int& exit_code) {
  auto& o = opt_;
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  char host[256] = "?";
  gethostname(host, sizeof host);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&start_time_));
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);

  line("");
  line("==================== Parley signaling benchmark ====================");
  line(fmt("started     %s on %s, %ld CPUs (bench and server share them)", date, host,
           sysconf(_SC_NPROCESSORS_ONLN)));
  if (server_) {
    line("server      " + server_->argv_text);
    line(fmt("            pid %d, data and log in %s", server_pid_, server_->dir.c_str()));
  } else {
    line("server      " + o.url +
         (server_pid_ > 0 ? fmt(" (pid %d)", server_pid_)
                          : std::string(" (pid unknown: no memory/CPU figures)")));
  }
  line(fmt("fd limit    RLIMIT_NOFILE %llu (hard %llu) in the bench; the server inherits it",
           static_cast<unsigned long long>(rl.rlim_cur),
           static_cast<unsigned long long>(rl.rlim_max)));
  line("command     " + reproduce_command(self_path, o));
  line("load avg    " + load_at_start_ + " at the start, " + loadavg() +
       " at the end (1, 5, 15 min)");
  if (stopping_) line("STOPPED     " + abort_reason_);
  line("");

  line(fmt("users       %d/%d registered over REST in %.1f s (%d at a time)", users_ok_, o.users,
           users_cpu_.wall, o.register_concurrency));
  const double connect_rate = connect_wall_ > 0 ? registered_ / connect_wall_ : 0;
  line(
      fmt("devices     %s/%s connected and registered in %.1f s = %s devices/s (%d in flight, %d "
          "source address%s)",
          thousands(static_cast<std::uint64_t>(registered_)).c_str(),
          thousands(static_cast<std::uint64_t>(o.devices)).c_str(), connect_wall_,
          thousands(static_cast<std::uint64_t>(connect_rate)).c_str(), o.connect_concurrency,
          spread_sources_ ? o.source_ips : 1, spread_sources_ && o.source_ips > 1 ? "es" : ""));
  if (!connect_latency_.empty()) {
    auto p = percentiles(connect_latency_);
    line(fmt("            connect -> registered per device: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
             p.p50, p.p99, p.max));
  }
  if (!users_.empty() && registered_ > 0)
    line(fmt("            %.1f devices per user; %d failed to connect, %d lost later",
             static_cast<double>(registered_) / std::max(1, users_ok_), connect_failed_,
             lost_devices_));
  if (rss_before_ && rss_after_ && registered_ > 0) {
    const double per = static_cast<double>(*rss_after_ - *rss_before_) / registered_;
    line(fmt(
        "memory      server VmRSS %.1f MiB before, %.1f MiB with all devices = %.1f KiB per device",
        *rss_before_ / 1024.0, *rss_after_ / 1024.0, per));
    if (rss_after_drain_)
      line(fmt("            (%.1f MiB once the store queue drained = %.1f KiB per device)",
               *rss_after_drain_ / 1024.0,
               static_cast<double>(*rss_after_drain_ - *rss_before_) / registered_));
  } else {
    line("memory      not measured (no server pid, or no device connected)");
  }
  if (server_fds_)
    line(
        fmt("fds         the server had %ld descriptors open with all devices connected; its limit "
            "is %ld",
            server_fds_->first, server_fds_->second));
  if (store_drain_after_connect_ >= 0)
    line(
        fmt("store       GET /health right after the last 'registered' took %.2f s (the store "
            "queue backlog);",
            store_drain_after_connect_));
  line(
      fmt("            slowest /health probe (every 5 s) sent before the calls %.2f s, during the "
          "calls %.2f s",
          probe_max_connect_, probe_max_calls_));
  line("");

  const double calls_wall =
      completed_ + failed_calls_ == o.calls && calls_finished_at_ != Clock::time_point{}
          ? std::chrono::duration<double>(calls_finished_at_ - calls_started_at_).count()
          : (calls_started_at_ != Clock::time_point{} ? secs_since(calls_started_at_) : 0);
  const double rate = calls_wall > 0 ? completed_ / calls_wall : 0;
  line(
      fmt("calls       %s/%s completed (invite -> incoming -> accept -> accepted -> end -> ended) "
          "in %.1f s",
          thousands(static_cast<std::uint64_t>(completed_)).c_str(),
          thousands(static_cast<std::uint64_t>(o.calls)).c_str(), calls_wall));
  line(fmt("            = %.1f set-ups/s at concurrency %d; %d failed; sdp_offer %zu bytes", rate,
           o.concurrency, failed_calls_, offer_bytes_));
  if (quarantined_) line(fmt("            %d users left out after a failed call", quarantined_));
  auto p = percentiles(invite_latency_);
  line(fmt("latency     invite -> first incoming_call (bench clock), n=%zu:", p.n));
  line(fmt("            p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms   mean %.2f ms",
           p.p50, p.p90, p.p99, p.max, p.mean));
  if (!metrics_text_.empty())
    line("            server's own parley_call_setup_seconds: " +
         histogram_summary(metrics_text_, "parley_call_setup_seconds"));
  if (store_drain_after_calls_ >= 0)
    line(fmt("store       GET /health right after the last call took %.2f s",
             store_drain_after_calls_));
  if (messages_in_)
    line(fmt("traffic     %s messages, %.1f MiB received by the bench during the calls",
             thousands(messages_in_).c_str(), static_cast<double>(bytes_in_) / (1 << 20)));
  line("");

  // Percentages are of one core; the machine has several, shared with
  // whatever else runs ("others": every other process on the machine).
  auto cpu_line = [&](const char* name, const PhaseCpu& c) {
    if (c.wall < 0.1) return;
    const double others = std::max(0.0, c.machine_busy - c.server - c.bench);
    const double idle =
        c.machine_total > 0 ? std::max(0.0, 100 * (1 - c.machine_busy / c.machine_total)) : 0;
    line(
        fmt("cpu         %-18s %6.1f s wall: server %3.0f%%, bench %3.0f%%, others %3.0f%% of a "
            "core; machine %2.0f%% idle",
            name, c.wall, 100 * c.server / c.wall, 100 * c.bench / c.wall, 100 * others / c.wall,
            idle));
  };
  cpu_line("registering users", users_cpu_);
  cpu_line("connecting", connect_cpu_);
  cpu_line("idle devices", idle_cpu_);
  cpu_line("calls", calls_cpu_);
  if (!calls_threads_after_.empty() && calls_cpu_.wall >= 0.1) {
    std::string t = "            server threads during the calls:";
    for (const auto& [tid, after] : calls_threads_after_) {
      const auto b = calls_threads_before_.find(tid);
      const double used = after.cpu - (b == calls_threads_before_.end() ? 0 : b->second.cpu);
      if (used < 0.05) continue;
      t += fmt(" [%d %s%s] %.1f s (%.0f%%)", tid, after.comm.c_str(),
               tid == server_pid_ ? ", main loop" : "", used, 100 * used / calls_cpu_.wall);
    }
    line(t);
  }
  line("");

  std::uint64_t total_errors = 0;
  for (const auto& [k, v] : errors_) total_errors += v;
  for (const auto& [k, v] : unexpected_) total_errors += v;
  line(fmt("errors      %s", total_errors ? thousands(total_errors).c_str() : "none"));
  for (const auto& [k, v] : errors_)
    line(fmt("            %8s  %s", thousands(v).c_str(), k.c_str()));
  for (const auto& [k, v] : unexpected_)
    line(fmt("            %8s  unexpected message type '%s'", thousands(v).c_str(), k.c_str()));
  if (!server_errors_.empty()) {
    std::string s = "            server error messages by code:";
    for (const auto& [k, v] : server_errors_) s += " " + k + "=" + std::to_string(v);
    line(s);
  }
  line("");

  const bool dev_ok = registered_ >= 20000;
  const bool rate_ok = rate >= 500;
  const bool lat_ok = p.n > 0 && p.p99 < 10;
  line("targets     devices connected  >= 20,000     : " +
       thousands(static_cast<std::uint64_t>(registered_)) + (dev_ok ? "  met" : "  NOT MET"));
  line(fmt("            call set-ups/s     >= 500        : %.1f%s", rate,
           rate_ok ? "  met" : "  NOT MET"));
  line(fmt("            p99 invite->incoming < 10 ms   : %.2f ms%s", p.p99,
           lat_ok ? "  met" : "  NOT MET"));
  line("=====================================================================");
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);

  if (!o.csv.empty()) {
    std::ofstream csv(o.csv, std::ios::trunc);
    csv << "call,invite_at_s,invite_to_incoming_ms,cycle_ms,outcome\n";
    for (const auto& c : calls_) {
      csv << c.n << ','
          << fmt("%.4f", std::chrono::duration<double>(c.invited - calls_started_at_).count())
          << ',' << (c.incoming ? fmt("%.3f", ms_between(c.invited, c.rang)) : std::string()) << ','
          << (c.done ? fmt("%.3f", ms_between(c.invited, c.finished)) : std::string()) << ',' << '"'
          << (c.done ? c.outcome : std::string("unfinished")) << "\"\n";
    }
    std::printf("csv         %zu calls written to %s\n", calls_.size(), o.csv.c_str());
  }

  if (stopping_)
    exit_code = 1;
  else if (total_errors > 0)
    exit_code = 3;
  else
    exit_code = 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "parley_signaling_bench: connect many signaling devices to a Parley server and drive 1:1 "
      "call set-ups through it; prints connect rate, memory per device, set-ups/s and "
      "invite->incoming_call latency. Exit status: 0 all done without errors, 1 stopped early "
      "(deadline, server death, interrupt), 3 finished with errors, 2 bad usage."};
  app.add_option("--parley", o.parley,
                 "parley binary to start (default: the one from this build tree)");
  app.add_option("--url", o.url,
                 "use a running server at http://127.0.0.1:PORT instead of starting one");
  app.add_option("--server-pid", o.server_pid,
                 "with --url: the server's pid, for memory and CPU figures");
  app.add_option("--devices", o.devices, "WebSocket devices to connect")->capture_default_str();
  app.add_option("--users", o.users, "users to register (devices are spread over them)")
      ->capture_default_str();
  app.add_option("--calls", o.calls, "call set-ups to run")->capture_default_str();
  app.add_option("--concurrency", o.concurrency, "call set-ups in flight at once")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout, "global deadline in seconds")->capture_default_str();
  app.add_option("--register-concurrency", o.register_concurrency, "REST registrations at once")
      ->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency,
                 "WebSocket connects in flight at once")
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout,
                 "seconds for one device to reach 'registered'")
      ->capture_default_str();
  app.add_option("--call-timeout", o.call_timeout,
                 "seconds for one call cycle before it counts as failed")
      ->capture_default_str();
  app.add_option("--ws-rate", o.ws_rate, "--ws-rate passed to the server it starts")
      ->capture_default_str();
  app.add_option(
         "--server-arg", o.server_args,
         "one more argument for the server it starts, repeatable (--server-arg=--turn-listen=off)")
      ->allow_extra_args(false);
  app.add_option("--source-ips", o.source_ips,
                 "with a 127.x server: spread devices over this many source addresses 127.0.0.2.. "
                 "(one address runs the kernel's port search hot past ~15k connections)")
      ->capture_default_str();
  app.add_option("--idle", o.idle,
                 "seconds to hold the devices idle before the calls, to measure the server's CPU "
                 "for idle connections (keep-alive pings)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "random seed (default: random, printed)");
  app.add_option("--tmp-dir", o.tmp_dir, "where the temporary data dir is made")
      ->capture_default_str();
  app.add_flag("--keep-data", o.keep_data, "keep the temporary data dir (database, server log)");
  app.add_option("--csv", o.csv,
                 "write one line per call (start, latencies, outcome) to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o.devices < 0 || o.users < 1 || o.calls < 0 || o.concurrency < 1 || o.timeout <= 0 ||
      o.register_concurrency < 1 || o.connect_concurrency < 1) {
    std::fprintf(
        stderr,
        "bench: --users, --concurrency, --timeout and the concurrencies must be positive\n");
    return 2;
  }
  if (o.users > o.devices && o.devices > 0) o.users = o.devices;
  if (o.seed == 0)
    o.seed = std::random_device{}() | (static_cast<std::uint64_t>(std::random_device{}()) << 32);
  std::string self = argv[0];
  {
    std::error_code ec;
    auto abs = fs::canonical("/proc/self/exe", ec);
    if (!ec) self = abs.string();
  }

  ::signal(SIGPIPE, SIG_IGN);
  // Every device is a socket here and in the server, which inherits this.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if (static_cast<rlim_t>(o.devices) + 64 > rl.rlim_cur)
    std::fprintf(stderr,
                 "bench: warning: %d devices need about %d descriptors in the bench and in the "
                 "server, but RLIMIT_NOFILE is %llu (hard limit; raising it needs "
                 "CAP_SYS_RESOURCE): expect the last connections to fail\n",
                 o.devices, o.devices + 64, static_cast<unsigned long long>(rl.rlim_cur));

  // The server is forked before any thread exists.
  ServerProcess server;
  ServerProcess* owned = nullptr;
  std::string hostport;
  pid_t server_pid = 0;
  if (o.url.empty()) {
    if (!fs::exists(o.parley)) {
      std::fprintf(stderr, "bench: no parley binary at %s (use --parley or --url)\n",
                   o.parley.c_str());
      return 2;
    }
    std::string err;
    std::fprintf(stderr, "bench: starting %s\n", o.parley.c_str());
    if (!server.start(o, hostport, err)) {
      std::fprintf(stderr, "bench: %s\n", err.c_str());
      server.stop();
      for (const auto& l : server.log.summary().last) std::fprintf(stderr, "    | %s\n", l.c_str());
      return 1;
    }
    owned = &server;
    server_pid = server.pid;
  } else {
    std::string u = o.url;
    if (u.starts_with("http://")) u = u.substr(7);
    if (auto slash = u.find('/'); slash != std::string::npos) u = u.substr(0, slash);
    hostport = u;
    server_pid = o.server_pid;
  }

  tcp::endpoint ep;
  try {
    const auto colon = hostport.rfind(':');
    std::string h = hostport.substr(0, colon);
    if (h == "localhost") h = "127.0.0.1";
    ep = tcp::endpoint(asio::ip::make_address(h),
                       static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1))));
  } catch (const std::exception&) {
    std::fprintf(stderr, "bench: cannot read the server address '%s' (want http://IP:PORT)\n",
                 hostport.c_str());
    if (owned) owned->stop();
    return 2;
  }
  std::fprintf(stderr,
               "bench: server at %s, seed %llu; %d users, %d devices, %d calls at concurrency %d\n",
               hostport.c_str(), static_cast<unsigned long long>(o.seed), o.users, o.devices,
               o.calls, o.concurrency);

  asio::io_context io(1);
  auto bench = std::make_unique<Bench>(io, o, ep, server_pid, owned);
  bench->start();
  io.run();

  int code = 0;
  bench->report(self, code);
  if (owned) {
    const std::string how = owned->stop();
    const auto log = owned->log.summary();
    std::printf("server      %s\n", how.c_str());
    std::printf(
        "server log  %s line(s) on stderr at --log-level warn%s\n", thousands(log.lines).c_str(),
        log.truncated ? fmt(" (file capped at %zu MiB)", LogCapture::kMaxLogBytes >> 20).c_str()
                      : "");
    for (const auto& [n, msg] : log.top)
      std::printf("    %12s x %s\n", thousands(n).c_str(), msg.c_str());
    if (owned->wait_status && WIFSIGNALED(*owned->wait_status) &&
        WTERMSIG(*owned->wait_status) != SIGTERM && WTERMSIG(*owned->wait_status) != SIGKILL)
      code = 1;
    if (!o.keep_data) {
      std::error_code ec;
      fs::remove_all(owned->dir, ec);
    } else {
      std::printf("kept        %s\n", owned->dir.c_str());
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // 20k sockets and their pending handlers need no orderly teardown.
  std::_Exit(code);
}
