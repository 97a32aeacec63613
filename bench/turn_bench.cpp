// parley_turn_bench: how fast Parley's TURN relay creates allocations and
// relays data, and (where Debian's coturn is installed) the same load
// against coturn on the same machine. A program that prints figures, not a
// test: see docs/benchmarks.md ("TURN relay") for how to read them.
//
// Phases, each bounded by one global deadline (--timeout):
//   0. start `parley turn` on a free loopback port (output to a log file)
//   1. allocations/s: N UDP clients, each on its own loopback address
//      (127.1.x.y, so the per-source 401 rate limit sees N sources, as it
//      would N real users), run Allocate -> 401 -> Allocate with long-term
//      credentials (TURN REST form), --alloc-concurrency at once
//   2. setup: CreatePermission + ChannelBind(0x4000) of every allocation to
//      one UDP "peer" socket on 127.0.0.2 (timed too, reported as requests/s)
//   3. client -> relay -> peer: ChannelData of --packet-size payload bytes,
//      round robin over the allocations (sendmmsg), for --seconds, at --rate
//      packets/s in all (0: as fast as a bounded in-flight --window allows);
//      the peer counts what arrives (recvmmsg) and checks every packet came
//      from the relay address of the allocation that sent it
//   4. peer -> relay -> client (ChannelData back), the same way
//   5. the server's CPU time (utime+stime of its pid, /proc/<pid>/stat)
//      over each blast divided by the packets relayed
//   6. the same against `turnserver` (coturn) if /usr/bin/turnserver exists,
//      and the parley/coturn ratios
//
// The bench and the server share the machine's cores; the bench uses two
// threads during a blast (a sender and a receiver), sleeps when its window
// is full and never busy-waits, but every CPU cycle it spends is one the
// server does not get. Figures are for comparing builds and servers on the
// same machine, not absolute capacity.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stun/stun.hpp"

#ifndef PARLEY_DEFAULT_BINARY
#define PARLEY_DEFAULT_BINARY "parley"
#endif

namespace {

namespace stun = parley::stun;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ------------------------------------------------------------------ options

struct Options {
  std::string parley = PARLEY_DEFAULT_BINARY;
  std::string coturn = "/usr/bin/turnserver";
  bool no_coturn = false;
  int allocations = 200;
  int alloc_concurrency = 64;
  int packet_size = 1200;
  double seconds = 10;
  double rate = 0;  // packets/s in all; 0 = window-bound
  int window = 512;
  int batch = 8;
  bool reverse = true;
  bool same_ip = false;
  double timeout = 120;
  std::string secret = "parley-turn-bench-secret";
  std::string log_dir = "/tmp";
};

Clock::time_point g_deadline;
bool past_deadline() { return Clock::now() >= g_deadline; }

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// ------------------------------------------------------------------ children

// Servers we started, for the signal handler and the watchdog: they are
// killed whatever way the bench ends.
std::atomic<pid_t> g_children[2] = {-1, -1};

void kill_children_now() {
  for (auto& c : g_children) {
    const pid_t p = c.load();
    if (p > 0) ::kill(p, SIGKILL);
  }
}

extern "C" void on_signal(int sig) {
  kill_children_now();
  ::_exit(128 + sig);
}

struct Server {
  std::string name;
  int slot = 0;
  pid_t pid = -1;
  sockaddr_in udp{};
  std::string log_path;
  std::string command;
  std::string died;  // non-empty once it exited on its own
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ' ';
    const bool quote = s.find_first_of(" \t'\"") != std::string::npos || s.empty();
    out += quote ? "'" + s + "'" : s;
  }
  return out;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) {
    std::fprintf(stderr, "cannot open %s: %s\n", log_path.c_str(), std::strerror(errno));
    return -1;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench
    if (::getppid() != parent) ::_exit(127);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(log);
  return pid;
}

// True while the server runs; records how it ended otherwise.
bool alive(Server& s) {
  if (s.pid <= 0) return false;
  if (!s.died.empty()) return false;
  int status = 0;
  const pid_t r = ::waitpid(s.pid, &status, WNOHANG);
  if (r == 0) return true;
  if (WIFSIGNALED(status))
    s.died = "killed by signal " + std::to_string(WTERMSIG(status));
  else if (WIFEXITED(status))
    s.died = "exited with status " + std::to_string(WEXITSTATUS(status));
  else
    s.died = "gone";
  g_children[s.slot] = -1;
  return false;
}

void stop_server(Server& s) {
  if (s.pid <= 0) return;
  if (alive(s)) {
    ::kill(s.pid, SIGTERM);
    const auto until = Clock::now() + 5s;
    int status = 0;
    while (::waitpid(s.pid, &status, WNOHANG) == 0) {
      if (Clock::now() > until) {
        std::printf("  %s did not stop within 5 s of SIGTERM: SIGKILL\n", s.name.c_str());
        ::kill(s.pid, SIGKILL);
        ::waitpid(s.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  g_children[s.slot] = -1;
  s.pid = -1;
}

// utime + stime of a process (all its threads) in seconds.
std::optional<double> process_cpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  // Field 3 (state) is the first after ")"; utime and stime are fields 14, 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The kernel's UDP counters (/proc/net/snmp, whole network namespace: other
// programs' traffic counts too): datagrams dropped because a receive buffer
// was full, or because a send buffer was.
struct UdpDrops {
  std::uint64_t rcvbuf = 0, sndbuf = 0;
};
UdpDrops udp_drops() {
  std::ifstream in("/proc/net/snmp");
  std::string names, values, line;
  while (std::getline(in, line)) {
    if (!line.starts_with("Udp: ")) continue;
    if (names.empty())
      names = line;
    else
      values = line;
  }
  std::istringstream n(names), v(values);
  std::string name, value;
  UdpDrops d;
  while (n >> name && v >> value) {
    if (name == "RcvbufErrors") d.rcvbuf = std::stoull(value);
    if (name == "SndbufErrors") d.sndbuf = std::stoull(value);
  }
  return d;
}

// Busy CPU seconds of the whole machine (all cores) from /proc/stat: what
// the server and the bench did not use of it is other programs' load.
double machine_busy_cpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  const unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // not idle, iowait
  return static_cast<double>(busy) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double self_cpu() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// ------------------------------------------------------------------ sockets

sockaddr_in v4(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

sockaddr_in v4(std::uint32_t host_order_ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(host_order_ip);
  return a;
}

std::string to_string(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

stun::SocketAddress to_stun(const sockaddr_in& a) {
  stun::SocketAddress s;
  s.family = stun::AddressFamily::IPv4;
  std::memcpy(s.ip.data(), &a.sin_addr, 4);
  s.port = ntohs(a.sin_port);
  return s;
}

sockaddr_in from_stun(const stun::SocketAddress& s) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  std::memcpy(&a.sin_addr, s.ip.data(), 4);
  a.sin_port = htons(s.port);
  return a;
}

void set_buffers(int fd, int bytes) {
  // As root SO_*BUFFORCE passes net.core.[rw]mem_max; otherwise the plain
  // option is capped there.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

// A non-blocking UDP socket bound to `local`, connected to `remote` if given.
int udp_socket(const sockaddr_in& local, const sockaddr_in* remote, int buffer_bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  set_buffers(fd, buffer_bytes);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      (remote && ::connect(fd, reinterpret_cast<const sockaddr*>(remote), sizeof *remote) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

sockaddr_in local_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return a;
}

// A loopback port free for both UDP and TCP right now.
std::uint16_t free_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int u = udp_socket(v4("127.0.0.1", 0), nullptr, 0);
    if (u < 0) continue;
    const auto addr = local_of(u);
    const int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = ::bind(t, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(t);
    ::close(u);
    if (ok) return ntohs(addr.sin_port);
  }
  return 0;
}

// ------------------------------------------------------------------ credentials

std::string rest_password(const std::string& secret, const std::string& username) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), digest, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len));
  return out;
}

// ------------------------------------------------------------------ servers

bool start_parley(const Options& o, Server& s) {
  s.name = "parley";
  s.slot = 0;
  s.log_path = o.log_dir + "/parley_turn_bench." + std::to_string(::getpid()) + ".parley.log";
  const std::vector<std::string> args = {o.parley, "turn", "--turn-listen", "127.0.0.1:0",
                                         "--turn-allow-peer", "127.0.0.0/8", "--turn-secret",
                                         o.secret, "--turn-user-quota", "100000",
                                         "--turn-total-quota", "100000", "--turn-bandwidth", "0",
                                         "--log-level", "warn"};
  s.command = join(args);
  s.pid = spawn(args, s.log_path);
  if (s.pid < 0) return false;
  g_children[s.slot] = s.pid;
  const auto until = std::min(Clock::now() + 15s, g_deadline);
  while (Clock::now() < until) {
    std::ifstream in(s.log_path);
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find("turn-udp=");
      if (line.starts_with("listening ") && at != std::string::npos) {
        const auto colon = line.find(':', at);
        const auto port = std::atoi(line.c_str() + colon + 1);
        s.udp = v4("127.0.0.1", static_cast<std::uint16_t>(port));
        return port > 0;
      }
    }
    if (!alive(s)) {
      std::printf("parley turn exited before listening (%s); see %s\n", s.died.c_str(),
                  s.log_path.c_str());
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::printf("parley turn printed no 'listening' line; see %s\n", s.log_path.c_str());
  return false;
}

// A STUN Binding answered from `to` within `wait`.
bool binding_answers(const sockaddr_in& to, std::chrono::milliseconds wait) {
  const int fd = udp_socket(v4("127.0.0.1", 0), &to, 0);
  if (fd < 0) return false;
  const auto id = stun::TransactionId::random();
  stun::Builder b(stun::Method::Binding, stun::MessageClass::Request, id);
  const auto bytes = b.finish();
  bool ok = false;
  if (bytes) {
    ::send(fd, bytes->data(), bytes->size(), 0);
    pollfd p{fd, POLLIN, 0};
    std::uint8_t buf[1500];
    if (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        const auto m = stun::Message::parse(std::span<const std::uint8_t>(buf, std::size_t(n)));
        ok = m && m->transaction_id() == id;
      }
    }
  }
  ::close(fd);
  return ok;
}

bool start_coturn(const Options& o, Server& s) {
  s.name = "coturn";
  s.slot = 1;
  s.log_path = o.log_dir + "/parley_turn_bench." + std::to_string(::getpid()) + ".coturn.log";
  const auto port = free_port();
  if (port == 0) return false;
  // Same relay port range as parley's default; 2 relay threads = parley's
  // one worker per core on this machine (coturn's own default too).
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::vector<std::string> args = {
      o.coturn, "-n", "--listening-ip=127.0.0.1", "--listening-port=" + std::to_string(port),
      "--relay-ip=127.0.0.1", "--min-port=49152", "--max-port=65535", "--use-auth-secret",
      "--static-auth-secret=" + o.secret, "--realm=parley", "--no-tls", "--no-dtls",
      "--allow-loopback-peers", "--no-cli", "--relay-threads=" + std::to_string(cores),
      "--user-quota=0", "--total-quota=0", "--max-bps=0", "--log-file=stdout", "--simple-log"};
  s.command = join(args);
  s.pid = spawn(args, s.log_path);
  if (s.pid < 0) return false;
  g_children[s.slot] = s.pid;
  s.udp = v4("127.0.0.1", port);
  const auto until = std::min(Clock::now() + 15s, g_deadline);
  while (Clock::now() < until) {
    if (!alive(s)) {
      std::printf("turnserver exited before answering (%s); see %s\n", s.died.c_str(),
                  s.log_path.c_str());
      return false;
    }
    if (binding_answers(s.udp, 100ms)) return true;
  }
  std::printf("turnserver never answered a Binding request; see %s\n", s.log_path.c_str());
  return false;
}

// ------------------------------------------------------------------ clients

constexpr std::uint16_t kChannel = 0x4000;
constexpr std::uint32_t kMagic = 0x5042454e;  // "PBEN"

enum Step { kAllocChallenge = 0, kAllocAuth, kPermission, kChannelBind, kDone };

struct Client {
  int fd = -1;
  sockaddr_in local{};
  sockaddr_in relayed{};
  int step = kAllocChallenge;
  std::string realm, nonce;
  stun::LongTermKey key{};
  stun::TransactionId id{};
  std::vector<std::uint8_t> request;
  Clock::time_point started{}, sent{};
  int tries = 0;
  bool failed = false;
  std::string error;
  std::uint64_t seq = 0;
};

struct Ctx {
  Options opt;
  std::string username, password;
  sockaddr_in server{};
  sockaddr_in peer{};  // where the channels go
};

void build_request(const Ctx& ctx, Client& c) {
  c.id = stun::TransactionId::random();
  const auto method = c.step <= kAllocAuth      ? stun::Method::Allocate
                      : c.step == kPermission   ? stun::Method::CreatePermission
                                                : stun::Method::ChannelBind;
  stun::Builder b(method, stun::MessageClass::Request, c.id);
  if (method == stun::Method::Allocate) b.add(stun::RequestedTransport{stun::kProtocolUdp});
  if (method == stun::Method::ChannelBind) b.add(stun::ChannelNumber{kChannel});
  if (method != stun::Method::Allocate) b.add(stun::XorPeerAddress{to_stun(ctx.peer)});
  if (c.step != kAllocChallenge) {
    b.add(stun::Username{ctx.username}).add(stun::Realm{c.realm}).add(stun::Nonce{c.nonce});
    b.add_message_integrity(c.key.view());
  }
  auto bytes = b.release();
  c.request = bytes ? std::move(*bytes) : std::vector<std::uint8_t>{};
  c.tries = 0;
}

void send_request(Client& c) {
  ::send(c.fd, c.request.data(), c.request.size(), 0);
  c.sent = Clock::now();
  ++c.tries;
}

void fail(Client& c, std::string why) {
  c.failed = true;
  c.error = std::move(why);
}

// Handles an answer; true if the client finished the steps up to `last`.
bool on_answer(const Ctx& ctx, Client& c, const stun::Message& m, int last) {
  if (m.transaction_id() != c.id) return false;  // a late duplicate
  if (m.message_class() == stun::MessageClass::ErrorResponse) {
    const auto e = m.get<stun::ErrorCode>();
    const int code = e ? e->code : 0;
    const bool challenge = (code == 401 && c.step == kAllocChallenge) || code == 438;
    if (!challenge) {
      fail(c, "error " + std::to_string(code) + " at step " + std::to_string(c.step));
      return true;
    }
    const auto realm = m.get<stun::Realm>();
    const auto nonce = m.get<stun::Nonce>();
    if (!realm || !nonce) {
      fail(c, std::to_string(code) + " without REALM/NONCE");
      return true;
    }
    c.realm = std::string(realm->value);
    c.nonce = std::string(nonce->value);
    const auto key = stun::long_term_key(ctx.username, c.realm, ctx.password);
    if (!key) {
      fail(c, "cannot derive the key");
      return true;
    }
    c.key = *key;
    if (c.step == kAllocChallenge) c.step = kAllocAuth;
    build_request(ctx, c);
    send_request(c);
    return false;
  }
  if (m.message_class() != stun::MessageClass::SuccessResponse) return false;
  if (c.step == kAllocChallenge || c.step == kAllocAuth) {
    const auto r = m.get<stun::XorRelayedAddress>();
    if (!r || r->address.family != stun::AddressFamily::IPv4) {
      fail(c, "Allocate success without an IPv4 XOR-RELAYED-ADDRESS");
      return true;
    }
    c.relayed = from_stun(r->address);
    c.step = kPermission;
  } else {
    ++c.step;
  }
  if (c.step > last) return true;
  build_request(ctx, c);
  send_request(c);
  return false;
}

struct StepStats {
  int done = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // per client, first send to completion
  std::string first_error;
  int retransmissions = 0;
};

// Runs every client from its current step to `last`, at most `concurrency`
// at once; UDP retransmission as RFC 8489 §6.2.1 (RTO 500 ms, doubling, 6
// tries).
StepStats drive(const Ctx& ctx, std::vector<Client>& clients, int last, int concurrency) {
  StepStats st;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<std::size_t> active;
  std::size_t next = 0;
  const auto t0 = Clock::now();
  auto tend = t0;
  const auto finish = [&](std::size_t i) {
    auto& c = clients[i];
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    const auto now = Clock::now();
    if (c.failed) {
      ++st.failed;
      if (st.first_error.empty()) st.first_error = c.error;
    } else {
      ++st.done;
      st.latency_ms.push_back(seconds_between(c.started, now) * 1e3);
    }
    tend = now;
    std::erase(active, i);
  };
  std::uint8_t buf[2048];
  while ((next < clients.size() || !active.empty()) && !past_deadline()) {
    while (next < clients.size() && active.size() < std::size_t(concurrency)) {
      auto& c = clients[next];
      if (c.failed || c.step > last) {
        ++next;
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = next;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
      build_request(ctx, c);
      c.started = Clock::now();
      send_request(c);
      active.push_back(next++);
    }
    epoll_event evs[64];
    const int n = ::epoll_wait(ep, evs, 64, 20);
    for (int k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(evs[k].data.u64);
      auto& c = clients[i];
      for (;;) {
        const auto got = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got <= 0) break;
        const auto m = stun::Message::parse(std::span<const std::uint8_t>(buf, std::size_t(got)));
        if (!m) continue;
        if (on_answer(ctx, c, *m, last)) {
          finish(i);
          break;
        }
      }
    }
    const auto now = Clock::now();
    for (std::size_t a = 0; a < active.size();) {
      auto& c = clients[active[a]];
      const auto rto = 500ms * (1 << std::min(c.tries - 1, 5));
      if (now - c.sent < rto) {
        ++a;
        continue;
      }
      if (c.tries >= 6) {
        fail(c, "no answer at step " + std::to_string(c.step));
        finish(active[a]);  // removes it from `active`
        continue;
      }
      ++st.retransmissions;
      send_request(c);
      ++a;
    }
  }
  for (auto i : std::vector<std::size_t>(active)) {
    fail(clients[i], "deadline");
    finish(i);
  }
  ::close(ep);
  st.seconds = seconds_between(t0, tend);
  return st;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * double(v.size()))) - 1;
  return v[std::min(k, v.size() - 1)];
}

// ------------------------------------------------------------------ blast

struct Flow {
  std::atomic<std::uint64_t> sent{0}, received{0}, bytes{0}, misdelivered{0}, malformed{0};
  std::atomic<std::uint64_t> written_off{0};  // counted lost to reopen the window
  std::atomic<std::int64_t> last_rx_ns{0};
  std::atomic<bool> stop_rx{false};
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void put32(std::uint8_t* p, std::uint32_t v) {
  v = htonl(v);
  std::memcpy(p, &v, 4);
}
std::uint32_t get32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

// The window/rate gate both senders share: how many packets may go now.
class Gate {
 public:
  Gate(const Options& o, Flow& f) : o_(o), f_(f), t0_(Clock::now()), progress_at_(t0_) {}
  std::uint64_t budget() {
    const auto sent = f_.sent.load(std::memory_order_relaxed);
    const auto received = f_.received.load(std::memory_order_relaxed);
    const auto now = Clock::now();
    if (received != last_received_) {
      last_received_ = received;
      progress_at_ = now;
    }
    const auto off = f_.written_off.load(std::memory_order_relaxed);
    const std::uint64_t inflight = sent > received + off ? sent - received - off : 0;
    std::uint64_t b = inflight >= std::uint64_t(o_.window) ? 0 : o_.window - inflight;
    if (b == 0 && now - progress_at_ > 20ms) {
      // Nothing arrived for a while with the window full: what is in flight
      // is lost (counted as loss at the end); reopen the window.
      f_.written_off.store(sent - received, std::memory_order_relaxed);
      progress_at_ = now;
    }
    if (o_.rate > 0) {
      const double allowed = o_.rate * seconds_between(t0_, now) + o_.batch;
      b = std::min<std::uint64_t>(b, allowed > double(sent) ? std::uint64_t(allowed - double(sent)) : 0);
    }
    return b;
  }

 private:
  const Options& o_;
  Flow& f_;
  Clock::time_point t0_, progress_at_;
  std::uint64_t last_received_ = 0;
};

// Client -> relay: ChannelData from every client socket in turn.
void send_forward(const Options& o, std::vector<Client>& clients, Flow& f,
                  Clock::time_point stop) {
  const std::size_t frame = stun::kChannelDataHeaderSize + std::size_t(o.packet_size);
  const std::size_t B = std::size_t(o.batch);
  std::vector<std::uint8_t> buf(B * frame, 0);
  std::vector<mmsghdr> msgs(B);
  std::vector<iovec> iov(B);
  for (std::size_t k = 0; k < B; ++k) {
    std::uint8_t* p = buf.data() + k * frame;
    p[0] = kChannel >> 8;
    p[1] = kChannel & 0xff;
    p[2] = std::uint8_t(o.packet_size >> 8);
    p[3] = std::uint8_t(o.packet_size & 0xff);
    put32(p + 4, kMagic);
    iov[k] = {p, frame};
    msgs[k] = {};
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  Gate gate(o, f);
  std::size_t i = 0;
  while (Clock::now() < stop) {
    const auto budget = gate.budget();
    if (budget == 0) {
      std::this_thread::sleep_for(50us);
      continue;
    }
    auto& c = clients[i];
    i = (i + 1) % clients.size();
    const auto k = std::min<std::size_t>(B, budget);
    for (std::size_t j = 0; j < k; ++j) {
      std::uint8_t* p = buf.data() + j * frame;
      put32(p + 8, std::uint32_t(&c - clients.data()));
      put32(p + 12, std::uint32_t(c.seq++));
    }
    const int r = ::sendmmsg(c.fd, msgs.data(), unsigned(k), MSG_DONTWAIT);
    if (r > 0) f.sent.fetch_add(std::uint64_t(r), std::memory_order_relaxed);
  }
}

// Peer side of the forward flow: counts, and checks that each packet came
// from the relayed address of the allocation that sent it.
void receive_forward(const Options& o, int peer_fd, const std::vector<int>& index_of_port,
                     Flow& f) {
  constexpr std::size_t B = 64;
  std::vector<std::uint8_t> buf(B * 2048);
  std::vector<mmsghdr> msgs(B);
  std::vector<iovec> iov(B);
  std::vector<sockaddr_in> from(B);
  for (std::size_t k = 0; k < B; ++k) {
    iov[k] = {buf.data() + k * 2048, 2048};
    msgs[k] = {};
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  pollfd p{peer_fd, POLLIN, 0};
  while (!f.stop_rx.load()) {
    if (::poll(&p, 1, 20) <= 0) continue;
    for (;;) {
      for (std::size_t k = 0; k < B; ++k) {
        msgs[k].msg_hdr.msg_name = &from[k];
        msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      }
      const int n = ::recvmmsg(peer_fd, msgs.data(), B, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      std::uint64_t bytes = 0, bad = 0, wrong = 0;
      for (int k = 0; k < n; ++k) {
        const auto len = msgs[std::size_t(k)].msg_len;
        const std::uint8_t* d = buf.data() + std::size_t(k) * 2048;
        bytes += len;
        if (len != unsigned(o.packet_size) || get32(d) != kMagic) {
          ++bad;
          continue;
        }
        const int idx = index_of_port[ntohs(from[std::size_t(k)].sin_port)];
        if (idx < 0 || std::uint32_t(idx) != get32(d + 4)) ++wrong;
      }
      f.bytes.fetch_add(bytes, std::memory_order_relaxed);
      f.malformed.fetch_add(bad, std::memory_order_relaxed);
      f.misdelivered.fetch_add(wrong, std::memory_order_relaxed);
      f.received.fetch_add(std::uint64_t(n), std::memory_order_relaxed);
      f.last_rx_ns.store(now_ns(), std::memory_order_relaxed);
    }
  }
}

// Peer -> relay: plain UDP from the peer to every relayed address in turn.
void send_reverse(const Options& o, int peer_fd, std::vector<Client>& clients, Flow& f,
                  Clock::time_point stop) {
  const std::size_t size = std::size_t(o.packet_size);
  const std::size_t B = std::size_t(o.batch);
  std::vector<std::uint8_t> buf(B * size, 0);
  std::vector<mmsghdr> msgs(B);
  std::vector<iovec> iov(B);
  for (std::size_t k = 0; k < B; ++k) {
    put32(buf.data() + k * size, kMagic);
    iov[k] = {buf.data() + k * size, size};
    msgs[k] = {};
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
    msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
  }
  Gate gate(o, f);
  std::size_t i = 0;
  while (Clock::now() < stop) {
    const auto budget = gate.budget();
    if (budget == 0) {
      std::this_thread::sleep_for(50us);
      continue;
    }
    const auto k = std::min<std::size_t>(B, budget);
    for (std::size_t j = 0; j < k; ++j) {
      auto& c = clients[i];
      i = (i + 1) % clients.size();
      std::uint8_t* p = buf.data() + j * size;
      put32(p + 4, std::uint32_t(&c - clients.data()));
      put32(p + 8, std::uint32_t(c.seq++));
      msgs[j].msg_hdr.msg_name = &c.relayed;
    }
    const int r = ::sendmmsg(peer_fd, msgs.data(), unsigned(k), MSG_DONTWAIT);
    if (r > 0) f.sent.fetch_add(std::uint64_t(r), std::memory_order_relaxed);
  }
}

// Client side of the reverse flow: ChannelData on channel 0x4000 carrying
// this client's own packets.
void receive_reverse(const Options& o, std::vector<Client>& clients, Flow& f) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, clients[i].fd, &ev);
  }
  constexpr std::size_t B = 32;
  std::vector<std::uint8_t> buf(B * 2048);
  std::vector<mmsghdr> msgs(B);
  std::vector<iovec> iov(B);
  for (std::size_t k = 0; k < B; ++k) {
    iov[k] = {buf.data() + k * 2048, 2048};
    msgs[k] = {};
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  epoll_event evs[128];
  while (!f.stop_rx.load()) {
    const int n = ::epoll_wait(ep, evs, 128, 20);
    for (int e = 0; e < n; ++e) {
      const auto i = static_cast<std::uint32_t>(evs[e].data.u64);
      for (;;) {
        const int got = ::recvmmsg(clients[i].fd, msgs.data(), B, MSG_DONTWAIT, nullptr);
        if (got <= 0) break;
        std::uint64_t bytes = 0, bad = 0, wrong = 0, ok = 0;
        for (int k = 0; k < got; ++k) {
          const auto len = msgs[std::size_t(k)].msg_len;
          const std::uint8_t* d = buf.data() + std::size_t(k) * 2048;
          const auto cd = stun::parse_channel_data(std::span<const std::uint8_t>(d, len),
                                                   stun::Framing::Datagram);
          if (!cd || cd->channel != kChannel || cd->data.size() != std::size_t(o.packet_size) ||
              get32(cd->data.data()) != kMagic) {
            ++bad;  // STUN (a late answer) or junk
            continue;
          }
          ++ok;
          bytes += cd->data.size();
          if (get32(cd->data.data() + 4) != i) ++wrong;
        }
        f.bytes.fetch_add(bytes, std::memory_order_relaxed);
        f.malformed.fetch_add(bad, std::memory_order_relaxed);
        f.misdelivered.fetch_add(wrong, std::memory_order_relaxed);
        f.received.fetch_add(ok, std::memory_order_relaxed);
        f.last_rx_ns.store(now_ns(), std::memory_order_relaxed);
        if (std::size_t(got) < B) break;
      }
    }
  }
  ::close(ep);
}

struct BlastResult {
  bool measured = false;
  std::uint64_t sent = 0, received = 0, misdelivered = 0, malformed = 0;
  double seconds = 0, pps = 0, mbps = 0, loss_pct = 0;
  double server_cpu_s = 0, server_cores = 0, cpu_us_per_packet = 0, bench_cpu_s = 0;
  std::uint64_t kernel_rcvbuf_drops = 0, kernel_sndbuf_drops = 0;
  double other_cpu_s = 0;  // machine busy time not spent by the server or the bench
};

template <class Sender, class Receiver>
BlastResult blast(const Options& o, Server& s, Flow& f, Sender&& sender, Receiver&& receiver) {
  BlastResult r;
  std::thread rx([&] { receiver(f); });
  const auto cpu0 = process_cpu(s.pid);
  const double self0 = self_cpu();
  const auto drops0 = udp_drops();
  const double busy0 = machine_busy_cpu();
  const auto t0 = Clock::now();
  const auto ns0 = now_ns();
  const auto stop = std::min(t0 + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.seconds)),
                             g_deadline);
  sender(f, stop);
  // Drain: wait until everything sent has arrived, or 500 ms of silence.
  const auto drain_until = std::min(Clock::now() + 2s, g_deadline + 5s);
  while (Clock::now() < drain_until && f.received.load() < f.sent.load() &&
         now_ns() - std::max(f.last_rx_ns.load(), ns0) < 500'000'000)
    std::this_thread::sleep_for(5ms);
  const auto cpu1 = process_cpu(s.pid);
  const double self1 = self_cpu();
  const auto drops1 = udp_drops();
  const double busy1 = machine_busy_cpu();
  r.kernel_rcvbuf_drops = drops1.rcvbuf - drops0.rcvbuf;
  r.kernel_sndbuf_drops = drops1.sndbuf - drops0.sndbuf;
  f.stop_rx = true;
  rx.join();
  r.sent = f.sent.load();
  r.received = f.received.load();
  r.misdelivered = f.misdelivered.load();
  r.malformed = f.malformed.load();
  const auto last = f.last_rx_ns.load();
  r.seconds = last > ns0 ? double(last - ns0) / 1e9 : seconds_between(t0, Clock::now());
  r.pps = r.seconds > 0 ? double(r.received) / r.seconds : 0;
  r.mbps = r.seconds > 0 ? double(f.bytes.load()) * 8 / r.seconds / 1e6 : 0;
  r.loss_pct = r.sent ? 100.0 * double(r.sent - std::min(r.sent, r.received)) / double(r.sent) : 0;
  r.bench_cpu_s = self1 - self0;
  if (cpu0 && cpu1) {
    r.server_cpu_s = *cpu1 - *cpu0;
    r.other_cpu_s = std::max(0.0, busy1 - busy0 - r.server_cpu_s - r.bench_cpu_s);
    r.server_cores = r.server_cpu_s / seconds_between(t0, Clock::now());
    r.cpu_us_per_packet = r.received ? r.server_cpu_s * 1e6 / double(r.received) : 0;
  }
  r.measured = r.received > 0 && alive(s);
  return r;
}

// ------------------------------------------------------------------ one run

struct RunResult {
  bool ok = false;
  std::string why;
  int allocations = 0;
  double allocs_per_s = 0, alloc_p50_ms = 0, alloc_p99_ms = 0;
  int alloc_retransmissions = 0;
  double setup_per_s = 0;  // CreatePermission + ChannelBind requests per second
  BlastResult fwd, rev;
  bool has_rev = false;
  std::string command, log_path;
  int log_warnings = 0;
  std::vector<std::string> log_samples;
};

void print_blast(const char* title, const BlastResult& b) {
  std::printf("  %s: sent %" PRIu64 ", received %" PRIu64 " in %.2f s: %.0f packets/s, %.1f Mbps "
              "payload, loss %.3f %%\n",
              title, b.sent, b.received, b.seconds, b.pps, b.mbps, b.loss_pct);
  std::printf("    server CPU %.2f s (%.2f cores): %.2f us per relayed packet; bench CPU %.2f s; "
              "misdelivered %" PRIu64 ", malformed %" PRIu64 "\n",
              b.server_cpu_s, b.server_cores, b.cpu_us_per_packet, b.bench_cpu_s, b.misdelivered,
              b.malformed);
  std::printf("    meanwhile, machine-wide: other programs (and softirq time charged to no one) "
              "%.2f CPU s; kernel UDP drops: receive buffer full %" PRIu64
              ", send buffer full %" PRIu64 "\n",
              b.other_cpu_s, b.kernel_rcvbuf_drops, b.kernel_sndbuf_drops);
}

void scan_log(RunResult& r) {
  std::ifstream in(r.log_path);
  std::string line;
  while (std::getline(in, line)) {
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.find("warn") != std::string::npos || lower.find("error") != std::string::npos ||
        lower.find("fail") != std::string::npos) {
      if (++r.log_warnings <= 5) r.log_samples.push_back(line.substr(0, 200));
    }
  }
}

RunResult run_against(const Options& o, Server& s) {
  RunResult r;
  r.command = s.command;
  r.log_path = s.log_path;
  Ctx ctx;
  ctx.opt = o;
  const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() +
                      3600;
  ctx.username = std::to_string(expiry) + ":bench";
  ctx.password = rest_password(o.secret, ctx.username);
  ctx.server = s.udp;

  // The peer, on another loopback address than the relay's (127.0.0.1), so
  // it can never be mistaken for one of the server's own ports.
  const int peer_fd = udp_socket(v4("127.0.0.2", 0), nullptr, 16 << 20);
  if (peer_fd < 0) {
    r.why = std::string("cannot bind the peer socket: ") + std::strerror(errno);
    return r;
  }
  ctx.peer = local_of(peer_fd);

  std::vector<Client> clients(std::size_t(o.allocations));
  for (std::size_t i = 0; i < clients.size(); ++i) {
    // 127.1.0.1, 127.1.0.2, ... 127.1.0.250, 127.1.1.1, ...
    const std::uint32_t ip =
        o.same_ip ? 0x7f000001u : 0x7f010000u | std::uint32_t((i / 250) << 8) | std::uint32_t(i % 250 + 1);
    clients[i].fd = udp_socket(v4(ip, 0), &ctx.server, 1 << 20);
    if (clients[i].fd < 0) {
      r.why = "cannot open client socket " + std::to_string(i) + ": " + std::strerror(errno);
      for (auto& c : clients)
        if (c.fd >= 0) ::close(c.fd);
      ::close(peer_fd);
      return r;
    }
    clients[i].local = local_of(clients[i].fd);
  }
  const auto cleanup = [&] {
    for (auto& c : clients)
      if (c.fd >= 0) ::close(c.fd);
    ::close(peer_fd);
  };

  // Phase 1: allocations.
  const auto a = drive(ctx, clients, kAllocAuth, o.alloc_concurrency);
  r.allocations = a.done;
  r.allocs_per_s = a.seconds > 0 ? a.done / a.seconds : 0;
  r.alloc_p50_ms = percentile(a.latency_ms, 50);
  r.alloc_p99_ms = percentile(a.latency_ms, 99);
  r.alloc_retransmissions = a.retransmissions;
  std::printf("  allocations: %d of %d in %.3f s: %.0f allocations/s (p50 %.2f ms, p99 %.2f ms, "
              "%d retransmissions)%s%s\n",
              a.done, o.allocations, a.seconds, r.allocs_per_s, r.alloc_p50_ms, r.alloc_p99_ms,
              a.retransmissions, a.failed ? "; first failure: " : "", a.first_error.c_str());
  if (a.done == 0) {
    r.why = "no allocation succeeded: " + a.first_error;
    cleanup();
    return r;
  }

  // Phase 2: permission + channel for the allocations that exist.
  const auto b = drive(ctx, clients, kChannelBind, o.alloc_concurrency);
  r.setup_per_s = b.seconds > 0 ? 2.0 * b.done / b.seconds : 0;
  std::printf("  CreatePermission + ChannelBind: %d allocations in %.3f s: %.0f requests/s%s%s\n",
              b.done, b.seconds, r.setup_per_s, b.failed ? "; first failure: " : "",
              b.first_error.c_str());
  std::vector<Client> ready;
  for (auto& c : clients) {
    if (!c.failed && c.step == kDone) {
      ready.push_back(c);
      c.fd = -1;  // moved
    }
  }
  for (auto& c : clients)
    if (c.fd >= 0) ::close(c.fd);
  clients.clear();
  if (ready.empty()) {
    r.why = "no channel bound: " + b.first_error;
    ::close(peer_fd);
    return r;
  }
  const auto cleanup_ready = [&] {
    for (auto& c : ready) ::close(c.fd);
    ::close(peer_fd);
  };
  std::vector<int> index_of_port(65536, -1);
  for (std::size_t i = 0; i < ready.size(); ++i)
    index_of_port[ntohs(ready[i].relayed.sin_port)] = int(i);
  // Any answer still queued would count as malformed data.
  std::uint8_t junk[2048];
  for (auto& c : ready)
    while (::recv(c.fd, junk, sizeof junk, MSG_DONTWAIT) > 0) {
    }

  // Phase 3: client -> relay -> peer.
  {
    Flow f;
    r.fwd = blast(
        o, s, f,
        [&](Flow& fl, Clock::time_point stop) { send_forward(o, ready, fl, stop); },
        [&](Flow& fl) { receive_forward(o, peer_fd, index_of_port, fl); });
    print_blast("client -> relay -> peer", r.fwd);
  }
  // Phase 4: peer -> relay -> client.
  if (o.reverse && !past_deadline() && alive(s)) {
    for (auto& c : ready) c.seq = 0;
    Flow f;
    r.rev = blast(
        o, s, f,
        [&](Flow& fl, Clock::time_point stop) { send_reverse(o, peer_fd, ready, fl, stop); },
        [&](Flow& fl) { receive_reverse(o, ready, fl); });
    r.has_rev = true;
    print_blast("peer -> relay -> client", r.rev);
  }
  cleanup_ready();
  if (!alive(s)) {
    r.why = s.name + " died during the run: " + s.died;
    return r;
  }
  r.ok = r.fwd.measured && (!r.has_rev || r.rev.measured);
  if (!r.ok) r.why = "nothing was relayed";
  return r;
}

// ------------------------------------------------------------------ report

std::string ratio(double ours, double theirs) {
  if (theirs <= 0 || ours < 0) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", ours / theirs);
  return b;
}

void row(const char* name, const char* fmt, double ours, const RunResult* c, double theirs,
         const char* better) {
  char a[32], t[32] = "-";
  std::snprintf(a, sizeof a, fmt, ours);
  if (c && c->ok) std::snprintf(t, sizeof t, fmt, theirs);
  std::printf("  %-34s %14s %14s %10s  %s\n", name, a, t,
              c && c->ok ? ratio(ours, theirs).c_str() : "-", better);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Parley TURN relay benchmark (allocations/s, relayed packets/s, Mbps, loss, "
               "server CPU per packet; against coturn where installed)"};
  app.add_option("--parley", o.parley, "parley binary")->capture_default_str();
  app.add_option("--coturn", o.coturn, "turnserver binary (skipped if absent)")
      ->capture_default_str();
  app.add_flag("--no-coturn", o.no_coturn, "do not run coturn even if installed");
  app.add_option("--allocations", o.allocations, "allocations (clients)")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  app.add_option("--alloc-concurrency", o.alloc_concurrency,
                 "clients in the middle of a request at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--packet-size", o.packet_size, "payload bytes per relayed packet")
      ->capture_default_str()
      ->check(CLI::Range(16, 1472));
  app.add_option("--seconds", o.seconds, "seconds of each blast (each direction)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--rate", o.rate, "target packets/s in all, each direction (0: window-bound)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--window", o.window, "packets in flight at most (sent, not yet received)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--batch", o.batch, "packets per sendmmsg")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_flag("!--no-reverse", o.reverse, "skip the peer -> client direction");
  app.add_flag("--same-ip", o.same_ip,
               "all clients on 127.0.0.1 (one source for the 401 rate limit) instead of one "
               "loopback address each");
  app.add_option("--timeout", o.timeout, "global deadline in seconds")
      ->capture_default_str()
      ->check(CLI::Range(5.0, 3600.0));
  app.add_option("--secret", o.secret, "TURN REST shared secret")->capture_default_str();
  app.add_option("--log-dir", o.log_dir, "where the servers' output goes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows as it happens, even into a file

  g_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.timeout));
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Watchdog: past the deadline (and a grace period for cleanup), kill the
  // servers and leave, whatever the bench is stuck in.
  static std::atomic<bool> finished{false};
  std::thread([] {
    while (!finished.load()) {
      if (Clock::now() > g_deadline + 10s) {
        std::fprintf(stderr, "parley_turn_bench: deadline exceeded; killing the servers\n");
        kill_children_now();
        ::_exit(2);
      }
      std::this_thread::sleep_for(100ms);
    }
  }).detach();

  std::vector<std::string> cmd(argv, argv + argc);
  const char* build_type =
#ifdef NDEBUG
      "optimized (NDEBUG)";
#else
      "assertions on (no NDEBUG)";
#endif
  char date[64];
  const auto t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
  double load1 = 0;
  if (std::ifstream la("/proc/loadavg"); la) la >> load1;
  std::printf("parley_turn_bench  %s (load average %.2f at start)\n  command: %s\n  bench build: %s; %u cores shared by the "
              "bench (2 threads while blasting) and the server\n",
              date, load1, join(cmd).c_str(), build_type, std::thread::hardware_concurrency());
  std::printf("  load: %d allocations over UDP, %d-byte payloads (ChannelData), %.1f s each way, "
              "rate %s, window %d, batch %d\n",
              o.allocations, o.packet_size, o.seconds,
              o.rate > 0 ? (std::to_string(std::int64_t(o.rate)) + " pps").c_str() : "unlimited",
              o.window, o.batch);

  int status = 0;
  RunResult ours, theirs;
  std::string coturn_command;
  {
    Server s;
    std::printf("\n[parley]\n");
    if (!start_parley(o, s)) {
      std::printf("  could not start %s\n", o.parley.c_str());
      stop_server(s);
      finished = true;
      return 1;
    }
    std::printf("  server: %s\n  listening on %s, pid %d, output in %s\n", s.command.c_str(),
                to_string(s.udp).c_str(), int(s.pid), s.log_path.c_str());
    ours = run_against(o, s);
    stop_server(s);
    scan_log(ours);
    if (!ours.ok) {
      std::printf("  NOT MEASURED: %s\n", ours.why.c_str());
      status = 1;
    }
  }

  const bool coturn_installed = ::access(o.coturn.c_str(), X_OK) == 0;
  const bool coturn_present = !o.no_coturn && coturn_installed;
  if (coturn_present && !past_deadline()) {
    Server s;
    std::printf("\n[coturn]\n");
    if (!start_coturn(o, s)) {
      std::printf("  could not start %s\n", o.coturn.c_str());
      theirs.why = "did not start";
      status = status ? status : 3;
    } else {
      std::printf("  server: %s\n  listening on %s, pid %d, output in %s\n", s.command.c_str(),
                  to_string(s.udp).c_str(), int(s.pid), s.log_path.c_str());
      theirs = run_against(o, s);
      if (!theirs.ok) {
        std::printf("  NOT MEASURED: %s\n", theirs.why.c_str());
        status = status ? status : 3;
      }
    }
    coturn_command = s.command;
    stop_server(s);
  }

  std::printf("\n[summary]                           %14s %14s %10s\n", "parley", "coturn",
              "parley/coturn");
  const RunResult* c = coturn_present && theirs.ok ? &theirs : nullptr;
  row("allocations/s", "%.0f", ours.allocs_per_s, c, theirs.allocs_per_s, "higher is better");
  row("permission+channel requests/s", "%.0f", ours.setup_per_s, c, theirs.setup_per_s,
      "higher is better");
  row("client->peer packets/s", "%.0f", ours.fwd.pps, c, theirs.fwd.pps, "higher is better");
  row("client->peer Mbps (payload)", "%.1f", ours.fwd.mbps, c, theirs.fwd.mbps,
      "higher is better");
  row("client->peer loss %", "%.3f", ours.fwd.loss_pct, c, theirs.fwd.loss_pct,
      "lower is better");
  row("client->peer server CPU us/packet", "%.2f", ours.fwd.cpu_us_per_packet, c,
      theirs.fwd.cpu_us_per_packet, "lower is better");
  if (ours.has_rev) {
    row("peer->client packets/s", "%.0f", ours.rev.pps, c, theirs.rev.pps, "higher is better");
    row("peer->client Mbps (payload)", "%.1f", ours.rev.mbps, c, theirs.rev.mbps,
        "higher is better");
    row("peer->client loss %", "%.3f", ours.rev.loss_pct, c, theirs.rev.loss_pct,
        "lower is better");
    row("peer->client server CPU us/packet", "%.2f", ours.rev.cpu_us_per_packet, c,
        theirs.rev.cpu_us_per_packet, "lower is better");
  }
  if (!coturn_installed)
    std::printf("  coturn not installed: ratio skipped\n");
  else if (o.no_coturn)
    std::printf("  coturn skipped (--no-coturn): ratio skipped\n");
  else if (!theirs.ok)
    std::printf("  coturn not measured (%s): ratio skipped\n", theirs.why.c_str());
  if (ours.fwd.misdelivered || ours.rev.misdelivered)
    std::printf("  PROBLEM: parley delivered packets to the wrong peer/client (%" PRIu64
                " forward, %" PRIu64 " reverse)\n",
                ours.fwd.misdelivered, ours.rev.misdelivered);
  if (ours.log_warnings) {
    std::printf("  parley logged %d warning/error lines (%s), e.g.:\n", ours.log_warnings,
                ours.log_path.c_str());
    for (const auto& l : ours.log_samples) std::printf("    %s\n", l.c_str());
  }
  std::printf("  commands:\n    parley: %s\n", ours.command.c_str());
  if (!coturn_command.empty()) std::printf("    coturn: %s\n", coturn_command.c_str());
  std::fflush(stdout);
  finished = true;
  return status;
}
