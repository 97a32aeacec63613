#include "loadtest/loadtest.hpp"

#include <dirent.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <expected>
#include <optional>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <iomanip>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include "rtc/client/echo_http.hpp"
#include "rtc/client/sfu_participant.hpp"

namespace parley::loadtest {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void add_flags(CLI::App& cmd, Options& o) {
  cmd.add_option("--server", o.server, "the server's HTTP base URL, http://HOST:PORT")->capture_default_str();
  cmd.add_option("--room", o.room, "room name")->capture_default_str();
  cmd.add_option("--participants", o.participants, "simulated participants (1 thread each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));
  cmd.add_option("--publishers", o.publishers,
                 "only the first N participants publish, the others only subscribe (default: everyone publishes)")
      ->check(CLI::Range(1, 200));
  cmd.add_option("--join-concurrency", o.join_concurrency, "participants joining at the same time")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));
  cmd.add_option("--duration", o.duration, "seconds of publishing")->capture_default_str()->check(CLI::Range(1.0, 3600.0));
  cmd.add_flag("--users", o.users, "register one user per participant (default: one shared user)");
  cmd.add_option("--token", o.token, "an existing access token for every participant (no registration)");
  cmd.add_option("--uplink-loss", o.uplink_loss, "percent of participant 0's outgoing RTP dropped before sending")
      ->check(CLI::Range(0.0, 100.0));
  cmd.add_flag("--no-nack", o.no_nack, "participants neither send NACKs nor answer them");
  cmd.add_option("--server-pid", o.server_pid, "the server's pid for CPU/memory figures (default: found from the port on loopback)");
  cmd.add_option("--quality", o.quality,
                 "video quality every subscriber asks for: low, medium, high, or server (no subscribe message)")
      ->capture_default_str()
      ->check(CLI::IsMember({"low", "medium", "high", "server"}));
  cmd.add_option("--remb-kbps", o.remb_kbps, "subscribers report this downlink estimate by REMB (default: none)");
  cmd.add_option("--connect-timeout", o.connect_timeout, "seconds allowed for joining")->capture_default_str();
}

std::string command_line(const Options& o) {
  std::ostringstream s;
  s << "parley loadtest --server " << o.server << " --room " << o.room << " --participants " << o.participants
    << " --duration " << o.duration;
  if (o.publishers > 0 && o.publishers < o.participants) s << " --publishers " << o.publishers;
  if (o.join_concurrency != Options{}.join_concurrency) s << " --join-concurrency " << o.join_concurrency;
  if (o.users) s << " --users";
  if (o.quality != "low") s << " --quality " << o.quality;
  if (o.uplink_loss > 0) s << " --uplink-loss " << o.uplink_loss;
  if (o.no_nack) s << " --no-nack";
  if (o.remb_kbps) s << " --remb-kbps " << o.remb_kbps;
  return s.str();
}

namespace {

struct Target {
  std::string host;
  unsigned short port = 0;
};

std::optional<Target> parse_server(std::string url) {
  if (url.starts_with("http://")) url = url.substr(7);
  if (auto slash = url.find('/'); slash != std::string::npos) url.resize(slash);
  const auto colon = url.rfind(':');
  if (colon == std::string::npos) return Target{url, 80};
  try {
    const int port = std::stoi(url.substr(colon + 1));
    if (port <= 0 || port > 65535) return std::nullopt;
    return Target{url.substr(0, colon), static_cast<unsigned short>(port)};
  } catch (...) {
    return std::nullopt;
  }
}

std::expected<std::string, std::string> register_user(const Target& t, const std::string& name) {
  const json::object body{{"username", name}, {"password", "loadtest password " + name}, {"display_name", name}};
  auto r = rtc::http_request(t.host, t.port, "POST", "/api/v1/auth/register", json::serialize(body),
                             "application/json", {}, std::chrono::milliseconds(15000));
  if (!r) return std::unexpected("register " + name + ": " + r.error());
  if (r->status != 201) return std::unexpected("register " + name + ": HTTP " + std::to_string(r->status) + " " + r->body);
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("token") || !v.as_object().at("token").is_string())
    return std::unexpected("register " + name + ": no token in " + r->body);
  return std::string(v.as_object().at("token").as_string());
}

// The pid owning the TCP socket listening on `port` (IPv4 or IPv6), by
// /proc/net/tcp* and /proc/<pid>/fd: works for our own user's processes.
int find_listener_pid(unsigned short port) {
  std::vector<std::string> inodes;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream s(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
      s >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (state != "0A") continue;  // LISTEN
      const auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) inodes.push_back("socket:[" + inode + "]");
    }
  }
  if (inodes.empty()) return 0;
  DIR* proc = ::opendir("/proc");
  if (!proc) return 0;
  int found = 0;
  while (auto* e = ::readdir(proc)) {
    const std::string pid = e->d_name;
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    const std::string fd_dir = "/proc/" + pid + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;
    while (auto* f = ::readdir(fds)) {
      char target[256];
      const auto path = fd_dir + "/" + f->d_name;
      const auto n = ::readlink(path.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      if (std::find(inodes.begin(), inodes.end(), std::string(target, static_cast<std::size_t>(n))) != inodes.end()) {
        found = std::stoi(pid);
        break;
      }
    }
    ::closedir(fds);
    if (found) break;
  }
  ::closedir(proc);
  return found;
}

// utime + stime of a process, in clock ticks.
std::optional<std::uint64_t> cpu_ticks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream s(text.substr(paren + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  // Fields from 3 (state); utime is 14, stime 15.
  for (int i = 3; i <= 15 && s >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

std::uint64_t status_kb(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(key + ":")) {
      std::istringstream s(line.substr(key.size() + 1));
      std::uint64_t v = 0;
      s >> v;
      return v;
    }
  return 0;
}

double round2(double v) { return std::round(v * 100) / 100; }

// Busy time of the whole machine (all cores, neither idle nor waiting for
// disk; steal is the hypervisor's, not ours), in clock ticks.
std::optional<std::uint64_t> machine_busy_ticks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq) || cpu != "cpu") return std::nullopt;
  return user + nice + system + irq + softirq;
}

// CPU used so far, in clock ticks, by the server, by this generator and by
// the whole machine: on a shared machine the report says what else ran.
struct CpuSample {
  std::optional<std::uint64_t> server, self, machine;
};

CpuSample sample_cpu(int server_pid) {
  return {server_pid ? cpu_ticks(server_pid) : std::nullopt, cpu_ticks(::getpid()), machine_busy_ticks()};
}

// Percent of one core used between two samples of one process (or of all).
std::optional<double> core_percent(std::optional<std::uint64_t> from, std::optional<std::uint64_t> to,
                                   double seconds) {
  if (!from || !to || *to < *from) return std::nullopt;
  return 100.0 * static_cast<double>(*to - *from) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds;
}

// How many participants publish: the first --publishers, or everyone.
int publisher_count(const Options& o) {
  return o.publishers > 0 ? std::min(o.publishers, o.participants) : o.participants;
}

// m= sections of participant i's subscriber connection once the room has
// settled: a microphone and a camera of every publisher but itself.
std::size_t settled_sections(int i, int publishers) {
  return static_cast<std::size_t>(2 * (publishers - (i < publishers ? 1 : 0)));
}

int settled_count(const std::vector<std::unique_ptr<rtc::SfuParticipant>>& parts, int publishers) {
  int settled = 0;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (parts[i]->answered_sections() == settled_sections(static_cast<int>(i), publishers)) ++settled;
  return settled;
}

// Fewest and most streams one participant of a role received.
struct StreamRange {
  int participants = 0;
  int min_audio = 1 << 30, max_audio = 0, min_video = 1 << 30, max_video = 0;
  int min_audio_end = 1 << 30, max_audio_end = 0;  // audio still flowing in the last second

  void add(int audio, int video, int audio_end) {
    ++participants;
    min_audio = std::min(min_audio, audio);
    max_audio = std::max(max_audio, audio);
    min_video = std::min(min_video, video);
    max_video = std::max(max_video, video);
    min_audio_end = std::min(min_audio_end, audio_end);
    max_audio_end = std::max(max_audio_end, audio_end);
  }
  void merge(const StreamRange& o) {
    if (!o.participants) return;
    participants += o.participants;
    min_audio = std::min(min_audio, o.min_audio);
    max_audio = std::max(max_audio, o.max_audio);
    min_video = std::min(min_video, o.min_video);
    max_video = std::max(max_video, o.max_video);
    min_audio_end = std::min(min_audio_end, o.min_audio_end);
    max_audio_end = std::max(max_audio_end, o.max_audio_end);
  }
  std::string text() const {
    std::ostringstream s;
    s << min_audio << "-" << max_audio << " audio (" << min_audio_end << "-" << max_audio_end << " at the end), "
      << min_video << "-" << max_video << " video";
    return s.str();
  }
};

rtc::SfuParticipantConfig participant_config(const Options& o, const Target& target, const std::string& token,
                                             int i) {
  rtc::SfuParticipantConfig c;
  c.host = target.host;
  c.port = target.port;
  c.token = token;
  c.room = o.room;
  c.display_name = "loadtest " + std::to_string(i);
  // An attendee publishes nothing (and so opens no publisher connection).
  c.audio = c.video = i < publisher_count(o);
  c.nack = !o.no_nack;
  c.uplink_loss = i == 0 ? o.uplink_loss / 100.0 : 0;
  c.remb_bps = o.remb_kbps * 1000;
  c.connect_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.connect_timeout * 1000));
  return c;
}

}  // namespace

Result run(const Options& o, std::ostream& out) {
  Result result;
  const auto target = parse_server(o.server);
  if (!target) {
    out << "loadtest: bad --server " << o.server << " (want http://HOST:PORT)\n";
    return result;
  }
  const int n = o.participants;
  const int publishers = publisher_count(o);
  const int window = std::max(1, o.join_concurrency);
  int server_pid = o.server_pid;
  if (!server_pid && (target->host == "127.0.0.1" || target->host == "localhost" || target->host == "::1"))
    server_pid = find_listener_pid(target->port);
  const std::string stamp = std::to_string(::getpid()) + "_" +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count() %
                                           100000000);
  out << "loadtest: " << n << " participants (" << publishers << " publishing) in room " << o.room << " on "
      << target->host << ":" << target->port << " for " << o.duration << " s"
      << (server_pid ? " (server pid " + std::to_string(server_pid) + ")" : "") << "\n"
      << std::flush;

  // Tokens.
  std::string shared_token = o.token;
  if (shared_token.empty() && !o.users) {
    auto t = register_user(*target, "lt_" + stamp);
    if (!t) {
      out << "loadtest: " << t.error() << "\n";
      return result;
    }
    shared_token = *t;
  }

  std::vector<std::unique_ptr<rtc::SfuParticipant>> parts;
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    parts.push_back(std::make_unique<rtc::SfuParticipant>(participant_config(o, *target, shared_token, i)));
  // Before anyone joins: the base of the memory per participant.
  const std::uint64_t rss_before_kb = server_pid ? status_kb(server_pid, "VmRSS") : 0;

  struct Times {
    Clock::time_point start, stop, end;
    std::vector<std::string> publisher_ids;
  };
  std::promise<Times> times_promise;
  auto times_future = times_promise.get_future().share();
  auto released = [&](std::chrono::milliseconds wait) {
    return times_future.wait_for(wait) == std::future_status::ready;
  };
  // At most `window` participants join at once, in order, so publishers
  // come first. Overlapping joins are safe: the SFU keeps one subscriber
  // offer outstanding per participant and checks each answer against the
  // offer it answers. Joined participants answer the SFU's offers until
  // publishing starts.
  std::atomic<int> joined{0}, failed{0}, finished{0};  // finished: join attempts over
  std::vector<std::thread> threads;
  const auto join_started = Clock::now();
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto& p = *parts[static_cast<std::size_t>(i)];
      auto& err = errors[static_cast<std::size_t>(i)];
      auto fail = [&](const std::string& why) {
        err = "participant " + std::to_string(i) + ": " + why;
        ++failed;
      };
      while (i >= finished.load() + window)
        if (released(5ms)) return;  // aborted
      // Registering (Argon2id on the server) is in the window too.
      if (o.users && o.token.empty()) {
        auto t = register_user(*target, "lt_" + stamp + "_" + std::to_string(i));
        if (!t) {
          fail(t.error());
          ++finished;
          return;
        }
        p.set_token(*t);  // read by join()
      }
      if (auto r = p.join(); !r) {
        fail(r.error());
        ++finished;
        return;
      }
      ++joined;
      ++finished;
      while (!released(0ms))
        if (auto r = p.pump(Clock::now() + 20ms); !r) return fail(r.error());
      const Times t = times_future.get();
      if (t.start == Clock::time_point{}) return;  // aborted
      if (o.quality != "server") p.subscribe(t.publisher_ids, o.quality);
      if (auto r = p.run(t.start, t.stop, t.end); !r) err = "participant " + std::to_string(i) + ": " + r.error();
      p.finish();
    });
  }
  // Everyone in, then every subscriber connection negotiated with every
  // publisher (what the SFU offers after the last join takes a moment).
  auto last_progress = Clock::now();
  auto wait_until = [&](auto done, Clock::time_point deadline) {
    while (!done() && failed == 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      if (o.progress && Clock::now() - last_progress >= 2s) {
        last_progress = Clock::now();
        out << "joining: " << joined << " of " << n << " joined, " << settled_count(parts, publishers)
            << " settled\n"
            << std::flush;
      }
    }
    return done();
  };
  const auto step_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.connect_timeout * 1000));
  wait_until([&] { return finished == n; }, Clock::time_point::max());
  if (failed == 0 && !wait_until([&] { return settled_count(parts, publishers) == n; }, Clock::now() + step_timeout))
    out << "loadtest: warning: " << n - settled_count(parts, publishers) << " of " << n
        << " participants not settled after " << o.connect_timeout << " s\n";
  if (joined < n || failed > 0) {
    times_promise.set_value(Times{});
    for (auto& t : threads) t.join();
    for (const auto& e : errors)
      if (!e.empty()) out << "loadtest: " << e << "\n";
    out << "loadtest: " << joined << " of " << n << " participants joined, " << failed
        << " failed: stopped before publishing\n";
    return result;
  }
  const auto join_time = std::chrono::duration<double>(Clock::now() - join_started).count();
  const std::uint64_t rss_joined_kb = server_pid ? status_kb(server_pid, "VmRSS") : 0;
  // A moment for the room's first allocation and keyframes.
  const auto start = Clock::now() + 1500ms;
  const auto stop = start + std::chrono::milliseconds(static_cast<std::int64_t>(o.duration * 1000));
  const auto end = stop + 1500ms;
  std::vector<std::string> publisher_ids;
  for (int i = 0; i < publishers; ++i) publisher_ids.push_back(parts[static_cast<std::size_t>(i)]->participant_id());
  times_promise.set_value(Times{start, stop, end, publisher_ids});

  auto received = [&] {
    std::pair<std::uint64_t, std::uint64_t> sum{};
    for (auto& p : parts) {
      sum.first += p->progress_packets();
      sum.second += p->progress_bytes();
    }
    return sum;
  };
  std::this_thread::sleep_until(start);
  const auto at_start = received();
  const auto cpu_start = sample_cpu(server_pid);
  auto last = at_start;
  auto tick = start;
  int second = 0;
  while (tick + 1s <= stop) {
    tick += 1s;
    std::this_thread::sleep_until(tick);
    const auto now = received();
    ++second;
    if (o.progress)
      out << "[" << std::setw(3) << second << " s] forwarded " << (now.first - last.first) << " pkt/s, "
          << (now.second - last.second) * 8 / 1000 << " kbit/s\n"
          << std::flush;
    last = now;
  }
  std::this_thread::sleep_until(stop);
  const auto at_stop = received();
  const auto cpu_stop = sample_cpu(server_pid);
  const std::uint64_t rss_kb = server_pid ? status_kb(server_pid, "VmRSS") : 0;
  const std::uint64_t hwm_kb = server_pid ? status_kb(server_pid, "VmHWM") : 0;
  for (auto& t : threads) t.join();

  // Figures.
  const double seconds = std::chrono::duration<double>(stop - start).count();
  rtc::LatencyHistogram latency;
  std::uint64_t sent = 0, dropped = 0, nacks_sent = 0, nacks_received = 0, nack_seqs = 0, retransmissions = 0,
                plis = 0, keyframes = 0, gaps = 0, repaired = 0, lost_audio = 0, lost_video = 0,
                packets_audio = 0, packets_video = 0, rtx = 0, duplicates = 0;
  StreamRange publishing, attending;
  json::array per;
  for (auto& p : parts) {
    const auto& s = p->stats();
    latency.merge(s.latency);
    sent += s.rtp_sent;
    dropped += s.dropped;
    nacks_sent += s.nacks_sent;
    nacks_received += s.nacks_received;
    nack_seqs += s.nack_seqs_received;
    retransmissions += s.retransmissions;
    plis += s.plis_received;
    keyframes += s.keyframes;
    int audio = 0, video = 0, audio_at_end = 0;
    std::uint64_t lost = 0;
    for (const auto& st : s.streams) {
      const bool is_audio = st.kind == "audio";
      if (st.packets > 0) (is_audio ? audio : video)++;
      // Still flowing in the last second of publishing (large rooms gate
      // all but the loudest microphones).
      if (is_audio && st.last_packet >= stop - 1s) ++audio_at_end;
      (is_audio ? lost_audio : lost_video) += st.lost;
      (is_audio ? packets_audio : packets_video) += st.packets;
      lost += st.lost;
      gaps += st.gaps;
      repaired += st.repaired;
      rtx += st.rtx;
      duplicates += st.duplicates;
    }
    (p->publishes() ? publishing : attending).add(audio, video, audio_at_end);
    per.push_back(json::object{{"participant_id", p->participant_id()},
                               {"publishes", p->publishes()},
                               {"audio_streams", audio},
                               {"video_streams", video},
                               {"audio_streams_at_end", audio_at_end},
                               {"received", s.rtp_received},
                               {"lost", lost},
                               {"subscriber_offers", s.subscriber_offers}});
  }
  StreamRange everyone = publishing;
  everyone.merge(attending);
  const double pps = static_cast<double>(at_stop.first - at_start.first) / seconds;
  const double kbps = static_cast<double>(at_stop.second - at_start.second) * 8 / 1000 / seconds;
  const std::uint64_t total_packets = packets_audio + packets_video;
  const double loss_pct =
      total_packets ? 100.0 * static_cast<double>(lost_audio + lost_video) / static_cast<double>(total_packets + lost_audio + lost_video) : 0;
  const auto cpu_pct = core_percent(cpu_start.server, cpu_stop.server, seconds);
  const auto self_pct = core_percent(cpu_start.self, cpu_stop.self, seconds);
  const auto machine_pct = core_percent(cpu_start.machine, cpu_stop.machine, seconds);
  // Everything on the machine but the server and this generator.
  std::optional<double> others_pct;
  if (machine_pct && self_pct && (cpu_pct || !server_pid))
    others_pct = std::max(0.0, *machine_pct - *self_pct - cpu_pct.value_or(0));
  // The server's growth from before the first join, shared out: signaling,
  // transports, subscriptions, and the publishers' packet caches.
  const double kb_per_participant =
      rss_kb > rss_before_kb ? static_cast<double>(rss_kb - rss_before_kb) / n : 0;

  bool ok = true;
  for (const auto& e : errors)
    if (!e.empty()) {
      ok = false;
      out << "loadtest: " << e << "\n";
    }

  const std::string cmd = command_line(o);
  out << std::fixed << std::setprecision(1);
  out << "\n== parley loadtest: " << n << " participants (" << publishers << " publishing), " << seconds
      << " s (joined in " << join_time << " s, " << window << " at a time)\n"
      << "forwarded:       " << pps << " packets/s, " << kbps << " kbit/s (received by all subscribers)\n"
      << "published:       " << static_cast<double>(sent) / seconds << " packets/s"
      << (dropped ? " (" + std::to_string(dropped) + " dropped by --uplink-loss)" : "") << "\n";
  if (attending.participants)
    out << "streams:         publishers (" << publishing.participants << ") received " << publishing.text()
        << " each\n                 the others (" << attending.participants << ") " << attending.text() << " each\n";
  else
    out << "streams:         " << everyone.text() << " per participant\n";
  out << "loss:            " << lost_audio + lost_video << " packets missing after repair (audio " << lost_audio
      << ", video " << lost_video << ", " << std::setprecision(3) << loss_pct << " %)" << std::setprecision(1)
      << "; " << gaps << " gaps seen, " << repaired << " repaired\n"
      << "NACKs:           " << nacks_sent << " sent by subscribers, " << nacks_received
      << " received by publishers (" << nack_seqs << " packets), " << retransmissions
      << " retransmissions by publishers, " << rtx << " RTX received\n"
      << "keyframes:       " << keyframes << " sent, " << plis << " PLI/FIR received\n"
      << std::setprecision(2) << "latency:         p50 " << latency.quantile_ms(0.5) << " ms, p95 "
      << latency.quantile_ms(0.95) << " ms, p99 " << latency.quantile_ms(0.99) << " ms (" << latency.count
      << " packets, send time embedded in the payload)\n"
      << std::setprecision(1);
  if (server_pid)
    out << "server:          pid " << server_pid << ", CPU " << cpu_pct.value_or(0) << " % of one core, RSS "
        << rss_kb / 1024.0 << " MiB (peak " << hwm_kb / 1024.0 << " MiB; " << rss_before_kb / 1024.0
        << " before joining, " << rss_joined_kb / 1024.0 << " joined), " << kb_per_participant
        << " KiB per participant\n";
  else
    out << "server:          CPU/memory unknown (give --server-pid)\n";
  out << "machine:         " << ::sysconf(_SC_NPROCESSORS_ONLN) << " cores; this generator " << self_pct.value_or(0)
      << " % of one core";
  if (others_pct) out << ", other processes " << *others_pct << " %";
  out << "\n"
      << "reproduce:       " << cmd << "\n";

  json::object r{{"ok", ok},
                 {"participants", n},
                 {"publishers", publishers},
                 {"join_concurrency", window},
                 {"duration_s", round2(seconds)},
                 {"join_s", round2(join_time)},
                 {"forwarded_pps", round2(pps)},
                 {"forwarded_kbps", round2(kbps)},
                 {"published_pps", round2(static_cast<double>(sent) / seconds)},
                 {"dropped_uplink", dropped},
                 {"min_audio_streams", everyone.min_audio},
                 {"min_video_streams", everyone.min_video},
                 {"min_audio_streams_at_end", everyone.min_audio_end},
                 {"max_audio_streams_at_end", everyone.max_audio_end},
                 {"lost", lost_audio + lost_video},
                 {"lost_audio", lost_audio},
                 {"lost_video", lost_video},
                 {"loss_percent", round2(loss_pct * 100) / 100},
                 {"gaps", gaps},
                 {"repaired", repaired},
                 {"duplicates", duplicates},
                 {"nacks_sent", nacks_sent},
                 {"nacks_received", nacks_received},
                 {"nack_packets_received", nack_seqs},
                 {"retransmissions", retransmissions},
                 {"rtx_received", rtx},
                 {"keyframes", keyframes},
                 {"plis_received", plis},
                 {"latency_ms", json::object{{"p50", round2(latency.quantile_ms(0.5))},
                                             {"p95", round2(latency.quantile_ms(0.95))},
                                             {"p99", round2(latency.quantile_ms(0.99))},
                                             {"samples", latency.count}}},
                 {"loadtest_cpu_percent", round2(self_pct.value_or(0))},
                 {"per_participant", std::move(per)},
                 {"command", cmd}};
  if (others_pct) r["other_cpu_percent"] = round2(*others_pct);
  if (server_pid)
    r["server"] = json::object{{"pid", server_pid},
                               {"cpu_percent", round2(cpu_pct.value_or(0))},
                               {"rss_kb", rss_kb},
                               {"hwm_kb", hwm_kb},
                               {"rss_before_kb", rss_before_kb},
                               {"rss_joined_kb", rss_joined_kb},
                               {"kb_per_participant", round2(kb_per_participant)}};
  else
    r["server"] = nullptr;
  json::array err_json;
  for (const auto& e : errors)
    if (!e.empty()) err_json.push_back(json::string(e));
  r["errors"] = std::move(err_json);
  out << "loadtest-result " << json::serialize(r) << "\n" << std::flush;
  result.ok = ok;
  result.json = std::move(r);
  return result;
}

}  // namespace parley::loadtest
