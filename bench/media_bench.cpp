// parley_media_bench: the cost of Parley's media path.
//
// In process (no sockets):
//   - SRTP protect and unprotect of 1200-byte RTP packets with
//     srtp::SessionPair, for AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_80
//     (RFC 7714, RFC 3711): ns/packet each and packets/s for both together;
//   - RTP header + one-byte header extensions parse (RFC 3550 §5.1,
//     RFC 8285 §4.2: mid, audio level, abs-send-time): ns/packet;
//   - RTCP compound parse (RFC 3550 §6.1: SR + SDES CNAME + PLI), walking
//     every packet: ns/compound.
// Against a real server on loopback:
//   - starts `parley serve`, registers a user, and for each target rate
//     connects Parley's own WebRTC client (src/rtc/client) to
//     POST /api/v1/echo, sends VP8-looking RTP at that rate for --seconds,
//     counts the packets echoed back on the server's SSRC and reports the
//     echoed packets/s and the loss.
//
//   parley_media_bench [--parley PATH] [--seconds 5] [--rates 2000,5000,...]
//                      [--payload 1000] [--iterations 200000] [--no-server]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rtc/client/echo_http.hpp"
#include "rtc/client/webrtc_client.hpp"
#include "rtp/header_extensions.hpp"
#include "rtp/rtcp_packet.hpp"
#include "rtp/rtp_packet.hpp"
#include "srtp/srtp_session.hpp"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

#ifndef PARLEY_DEFAULT_BINARY
#define PARLEY_DEFAULT_BINARY "parley"
#endif

struct Options {
  std::string parley = PARLEY_DEFAULT_BINARY;
  double seconds = 5;
  std::vector<int> rates{2000, 5000, 10000, 20000, 40000};
  std::size_t payload = 1000;
  std::size_t iterations = 200000;
  bool no_server = false;
};

double ns_since(Clock::time_point start, std::size_t n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
}

// Keeps the optimiser from dropping a computed value.
template <typename T>
void keep(const T& value) {
  asm volatile("" : : "g"(&value) : "memory");
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  RAND_bytes(v.data(), static_cast<int>(n));
  return v;
}

// ------------------------------------------------------------------ SRTP

bool bench_srtp(srtp::Profile profile, std::size_t iterations) {
  const auto& info = srtp::info(profile);
  const auto k1 = random_bytes(info.key_length), s1 = random_bytes(info.salt_length);
  const auto k2 = random_bytes(info.key_length), s2 = random_bytes(info.salt_length);
  // a sends with k1 (its local), b receives with k1 (its remote).
  auto a = srtp::SessionPair::create(profile, k1, s1, k2, s2);
  auto b = srtp::SessionPair::create(profile, k2, s2, k1, s1);
  if (!a || !b) {
    std::printf("srtp %s: session setup failed\n", std::string(info.name).c_str());
    return false;
  }
  constexpr std::size_t kPacket = 1200, kBatch = 512;
  const std::vector<std::uint8_t> payload = random_bytes(kPacket - 12);
  std::vector<std::vector<std::uint8_t>> bufs(kBatch, std::vector<std::uint8_t>(kPacket + 64));
  std::vector<std::size_t> lens(kBatch);
  double protect_ns = 0, unprotect_ns = 0;
  std::size_t done = 0;
  std::uint16_t seq = 0;
  std::size_t failures = 0;
  while (done < iterations) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      rtp::RtpPacketSpec spec;
      spec.payload_type = 96;
      spec.sequence_number = seq++;
      spec.timestamp = static_cast<std::uint32_t>(done + i) * 3000;
      spec.ssrc = 0x11223344;
      spec.payload = payload;
      lens[i] = *rtp::write_rtp_packet(bufs[i], spec);
    }
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < kBatch; ++i)
      if (!a->outbound.protect_rtp(bufs[i], lens[i])) ++failures;
    protect_ns += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (std::size_t i = 0; i < kBatch; ++i)
      if (!b->inbound.unprotect_rtp(bufs[i], lens[i])) ++failures;
    unprotect_ns += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    done += kBatch;
  }
  const double p = protect_ns / done, u = unprotect_ns / done;
  std::printf("srtp %-26s 1200 B RTP: protect %7.1f ns/pkt (%9.0f pkt/s), unprotect %7.1f ns/pkt "
              "(%9.0f pkt/s), both %9.0f pkt/s, %.2f Gbit/s; %zu packets, %zu failures\n",
              std::string(info.name).c_str(), p, 1e9 / p, u, 1e9 / u, 1e9 / (p + u),
              1e9 / (p + u) * kPacket * 8 / 1e9, done, failures);
  return failures == 0;
}

// ------------------------------------------------------------------ parse

void bench_rtp_parse(std::size_t iterations) {
  rtp::ExtensionMap map;
  map.set(1, "urn:ietf:params:rtp-hdrext:sdes:mid");
  map.set(2, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  map.set(3, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
  const std::array<std::uint8_t, 1> mid{'0'};
  const auto level = rtp::encode_audio_level({true, 30});
  const auto ast = rtp::encode_abs_send_time(123456);
  const std::array<rtp::HeaderExtension, 3> ext{
      rtp::HeaderExtension{1, mid}, rtp::HeaderExtension{2, level}, rtp::HeaderExtension{3, ast}};
  const auto payload = random_bytes(160);
  std::vector<std::uint8_t> buf(512);
  rtp::RtpPacketSpec spec;
  spec.payload_type = 111;
  spec.sequence_number = 7;
  spec.timestamp = 960;
  spec.ssrc = 0xabcdef01;
  spec.extensions = ext;
  spec.payload = payload;
  buf.resize(*rtp::write_rtp_packet(buf, spec));

  std::size_t ok = 0;
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < iterations; ++i) {
    keep(buf);
    auto p = rtp::RtpPacket::parse(buf);
    if (!p) continue;
    const auto v = p->extension_values(map);
    keep(v);
    ok += v.mid.has_value() && v.audio_level.has_value() && v.abs_send_time.has_value();
  }
  const double ns = ns_since(t0, iterations);
  auto t1 = Clock::now();
  for (std::size_t i = 0; i < iterations; ++i) {
    keep(buf);
    auto p = rtp::RtpPacket::parse(buf);
    keep(p);
  }
  const double header_ns = ns_since(t1, iterations);
  std::printf("rtp parse (%zu B, 3 one-byte extensions): header only %.1f ns/pkt, header + "
              "extension values %.1f ns/pkt (%zu/%zu ok)\n",
              buf.size(), header_ns, ns, ok, iterations);
}

void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

void bench_rtcp_parse(std::size_t iterations) {
  // SR with one report block (RFC 3550 §6.4.1), SDES CNAME (§6.5), PLI
  // (RFC 4585 §6.3.1), hand-assembled.
  std::vector<std::uint8_t> c;
  c.insert(c.end(), {0x81, 200, 0, 12});  // V=2 RC=1 SR, length 12 words
  put32(c, 0x11111111);                   // sender SSRC
  for (int i = 0; i < 5; ++i) put32(c, 1000 + i);  // NTP(2) RTP ts, packets, octets
  for (int i = 0; i < 6; ++i) put32(c, i == 0 ? 0x22222222 : 7);  // report block
  const std::string cname = "parley-bench-cname";
  std::vector<std::uint8_t> sdes_items;  // CNAME item (RFC 3550 §6.5.1)
  sdes_items.reserve(32);
  sdes_items.push_back(1);
  sdes_items.push_back(static_cast<std::uint8_t>(cname.size()));
  for (char ch : cname) sdes_items.push_back(static_cast<std::uint8_t>(ch));
  sdes_items.push_back(0);
  while ((sdes_items.size() + 4) % 4) sdes_items.push_back(0);
  const auto words = static_cast<std::uint8_t>((4 + sdes_items.size()) / 4);
  c.insert(c.end(), {0x81, 202, 0, words});
  put32(c, 0x11111111);
  c.insert(c.end(), sdes_items.begin(), sdes_items.end());
  c.insert(c.end(), {0x81, 206, 0, 2});  // PSFB FMT=1 PLI
  put32(c, 0x11111111);
  put32(c, 0x22222222);

  std::size_t packets = 0;
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < iterations; ++i) {
    keep(c);
    auto compound = rtp::RtcpCompound::parse(c);
    if (!compound) continue;
    for (const auto& p : *compound) {
      packets += p.type() != 0;
      keep(p);
    }
  }
  const double ns = ns_since(t0, iterations);
  std::printf("rtcp compound parse (%zu B: SR+RB, SDES CNAME, PLI): %.1f ns/compound "
              "(%zu packets walked)\n",
              c.size(), ns, packets);
}

// ------------------------------------------------------------------ server

class Server {
 public:
  ~Server() { stop(); }
  bool start(const std::string& binary) {
    char tmpl[] = "/tmp/parley-media-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return fail("mkdtemp: " + std::string(std::strerror(errno)));
    dir_ = tmpl;
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return fail("pipe");
    const std::string data = dir_ + "/data", log = dir_ + "/server.log";
    pid_ = fork();
    if (pid_ < 0) return fail("fork");
    if (pid_ == 0) {
      dup2(out[1], 1);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 2);
      std::vector<std::string> args{binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[512];
    while (f && std::fgets(line, sizeof line, f)) {
      std::string l(line);
      if (l.starts_with("listening http=")) {
        port_ = static_cast<unsigned short>(std::stoi(l.substr(l.rfind(':') + 1)));
        out_ = f;  // keep the pipe open so the server never gets SIGPIPE
        return true;
      }
    }
    return fail("the server exited before listening; log: " + log);
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (out_) std::fclose(out_), out_ = nullptr;
    if (!dir_.empty()) std::filesystem::remove_all(dir_), dir_.clear();
  }
  unsigned short port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string e) {
    error_ = std::move(e);
    return false;
  }
  std::string dir_, error_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  unsigned short port_ = 0;
};

struct EchoResult {
  std::uint64_t sent = 0, echoed = 0;
  double seconds = 0;
};

std::optional<EchoResult> run_echo(unsigned short port, const std::string& token, int rate,
                                   const Options& o) {
  rtc::WebRtcClientConfig cfg;
  cfg.socket_buffer_bytes = 4 << 20;
  auto client = rtc::WebRtcClient::create(cfg);
  if (!client) return std::nullopt;
  auto& c = **client;
  auto answer = rtc::http_request("127.0.0.1", port, "POST", "/api/v1/echo", c.offer_sdp(),
                                  "application/sdp", token);
  if (!answer || answer->status != 201) {
    std::printf("  POST /api/v1/echo failed: %s\n",
                answer ? answer->body.c_str() : answer.error().c_str());
    return std::nullopt;
  }
  if (auto r = c.set_answer(answer->body); !r) return std::printf("  %s\n", r.error().c_str()), std::nullopt;
  if (auto r = c.connect(); !r) return std::printf("  %s\n", r.error().c_str()), std::nullopt;

  EchoResult res;
  const std::uint32_t remote = c.remote_video_ssrc();
  c.on_rtp([&](const rtp::RtpPacket& p) { res.echoed += p.ssrc() == remote; });
  std::vector<std::uint8_t> payload(o.payload, 0x55);
  payload[0] = 0x10;  // VP8 descriptor, S=1 (RFC 7741 §4.2)
  payload[1] = 0x00;  // keyframe (RFC 7741 §4.3)
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o.seconds));
  auto next = start;
  std::uint16_t seq = 0;
  while (Clock::now() < end) {
    const auto now = Clock::now();
    while (next <= now) {
      // 30 packets per 90 kHz frame at 30 fps would be unusual; the ts only has to advance.
      (void)c.send_rtp(c.video_payload_type(), seq, static_cast<std::uint32_t>(res.sent / 10) * 3000,
                       c.video_ssrc(), payload, (seq % 10) == 9);
      ++seq;
      ++res.sent;
      next += std::chrono::duration_cast<Clock::duration>(interval);
    }
    c.poll(1ms);
  }
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  c.poll(500ms);  // stragglers
  (void)rtc::http_request("127.0.0.1", port, "DELETE", answer->location, {}, {}, token);
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Parley media benchmark: SRTP, RTP/RTCP parsing, echo packets/s on loopback"};
  app.add_option("--parley", o.parley, "the parley binary");
  app.add_option("--seconds", o.seconds, "seconds per echo rate")->check(CLI::PositiveNumber);
  app.add_option("--rates", o.rates, "target packets/s for the echo run")->delimiter(',');
  app.add_option("--payload", o.payload, "RTP payload bytes for the echo run")
      ->check(CLI::Range(16, 1100));
  app.add_option("--iterations", o.iterations, "packets per in-process measurement")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-server", o.no_server, "only the in-process measurements");
  CLI11_PARSE(app, argc, argv);

  std::string cmd = "parley_media_bench";
  for (int i = 1; i < argc; ++i) cmd += std::string(" ") + argv[i];
  std::printf("command: %s\n", cmd.c_str());

  bool ok = bench_srtp(srtp::Profile::aead_aes_128_gcm, o.iterations);
  ok = bench_srtp(srtp::Profile::aes128_cm_hmac_sha1_80, o.iterations) && ok;
  bench_rtp_parse(o.iterations * 5);
  bench_rtcp_parse(o.iterations * 5);
  if (o.no_server) return ok ? 0 : 1;

  Server server;
  if (!server.start(o.parley)) {
    std::printf("server: %s\n", server.error().c_str());
    return 1;
  }
  const std::string body = R"({"username":"mediabench","password":"correct horse battery","display_name":"Bench"})";
  auto reg = rtc::http_request("127.0.0.1", server.port(), "POST", "/api/v1/auth/register", body,
                               "application/json");
  const auto pos = reg ? reg->body.find("\"token\":\"") : std::string::npos;
  if (!reg || reg->status != 201 || pos == std::string::npos) {
    std::printf("register failed: %s\n", reg ? reg->body.c_str() : reg.error().c_str());
    return 1;
  }
  const std::string token = reg->body.substr(pos + 9, reg->body.find('"', pos + 9) - pos - 9);

  std::printf("echo over loopback, %zu B payload (%zu B SRTP with GCM), %.0f s per rate:\n",
              o.payload, o.payload + 12 + 16, o.seconds);
  for (int rate : o.rates) {
    auto r = run_echo(server.port(), token, rate, o);
    if (!r) {
      ok = false;
      continue;
    }
    const double loss = r->sent ? 100.0 * (1.0 - static_cast<double>(r->echoed) / r->sent) : 0;
    std::printf("  target %6d pkt/s: sent %8llu (%8.0f pkt/s), echoed %8llu (%8.0f pkt/s, %5.1f "
                "Mbit/s), loss %6.2f %%\n",
                rate, static_cast<unsigned long long>(r->sent), r->sent / r->seconds,
                static_cast<unsigned long long>(r->echoed), r->echoed / r->seconds,
                r->echoed / r->seconds * (o.payload + 28) * 8 / 1e6, loss);
  }
  return ok ? 0 : 1;
}
