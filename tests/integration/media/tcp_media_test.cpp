// ICE-TCP end to end (RFC 6544 passive candidates, RFC 4571 framing): a real
// `parley serve`, its echo endpoint's answer carrying a "tcptype passive"
// host candidate below the UDP one, Parley's own client running ICE,
// DTLS-SRTP and RTP over one TCP connection to it, and hostile TCP peers
// (garbage, oversized frames, silence, wrong ufrag) that are cut off while
// the server keeps serving UDP and TCP.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "ice/candidate.hpp"
#include "ice/ice_checker.hpp"
#include "rtc/client/echo_http.hpp"
#include "rtc/client/webrtc_client.hpp"
#include "sdp/parser.hpp"
#include "tcp_test_util.hpp"

namespace parley::itest {
namespace {

constexpr const char* kEcho = "/api/v1/echo";

rtc::HttpReply post_offer(unsigned short port, const std::string& token, const std::string& offer,
                          Where where = Where::current()) {
  auto r = rtc::http_request("127.0.0.1", port, "POST", kEcho, offer, "application/sdp", token);
  if (!r) fail_at(where, r.error());
  if (r->status != 201) fail_at(where, "POST " + std::string(kEcho) + ": " + std::to_string(r->status) + " " + r->body);
  return *r;
}

struct AnswerInfo {
  std::optional<sdp::Candidate> udp, tcp;
  ice::IceCredentials ice;
};

AnswerInfo inspect(const std::string& answer, Where where = Where::current()) {
  auto parsed = sdp::parse(answer);
  if (!parsed) fail_at(where, "answer: " + parsed.error().to_string());
  AnswerInfo info;
  const auto& m = parsed->media.at(0);
  info.ice = {m.ice_ufrag.value_or(parsed->ice_ufrag.value_or("")),
              m.ice_pwd.value_or(parsed->ice_pwd.value_or(""))};
  for (const auto& c : m.candidates) {
    if (c.type != sdp::CandidateType::Host) continue;
    if (c.is_udp() && !info.udp) info.udp = c;
    if (c.is_tcp() && !info.tcp) info.tcp = c;
  }
  return info;
}

stun::SocketAddress address_of(const sdp::Candidate& c) {
  return *stun::SocketAddress::from_string(c.address, c.port);
}

std::vector<std::uint8_t> payload(int i, std::size_t size) {
  std::vector<std::uint8_t> p{0x78};  // an Opus TOC byte; the echo does not look further
  for (std::size_t k = 1; k < size; ++k) p.push_back(static_cast<std::uint8_t>(i * 7 + k));
  return p;
}

// Connects `c` (an answer already set) and checks that `n` audio and `n`
// video packets come back on the server's SSRCs, intact.
void echo_round_trip(rtc::WebRtcClient& c, int n, const ServerProcess& server,
                     Where where = Where::current()) {
  auto connected = c.connect();
  if (!connected) fail_at(where, "connect: " + connected.error() + "\n" + server.log());
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::vector<std::uint8_t>> sent, got;
  c.on_rtp([&](const rtp::RtpPacket& p) {
    got[{p.ssrc(), p.sequence_number()}] = {p.payload().begin(), p.payload().end()};
  });
  for (int i = 0; i < n; ++i) {
    const auto a = payload(i, 100);
    const auto seq_a = static_cast<std::uint16_t>(100 + i);
    if (!c.send_rtp(c.audio_payload_type(), seq_a, 960u * i, c.audio_ssrc(), a)) fail_at(where, "send_rtp");
    sent[{c.remote_audio_ssrc(), seq_a}] = a;
    const auto v = payload(i + 1000, 1000);  // near a real video packet's size
    const auto seq_v = static_cast<std::uint16_t>(700 + i);
    if (!c.send_rtp(c.video_payload_type(), seq_v, 3000u * i, c.video_ssrc(), v, true))
      fail_at(where, "send_rtp");
    sent[{c.remote_video_ssrc(), seq_v}] = v;
    c.poll(std::chrono::milliseconds(2));
  }
  const bool all = eventually([&] {
    c.poll(std::chrono::milliseconds(50));
    return got.size() >= sent.size();
  });
  if (!all)
    fail_at(where, "echoed " + std::to_string(got.size()) + " of " + std::to_string(sent.size()) +
                       "; unprotect failures " + std::to_string(c.stats().unprotect_failures));
  EXPECT_EQ(got, sent);
  EXPECT_EQ(c.stats().unprotect_failures, 0u);
}

TEST(MediaEchoTcp, AnswerCarriesAPassiveTcpCandidateBelowUdp) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "tcpcand");
  auto client = rtc::WebRtcClient::create();
  ASSERT_TRUE(client) << client.error();
  const auto answer = post_offer(server.port(), user.token, (*client)->offer_sdp());

  // RFC 6544 §4.5: "... tcp <priority> <ip> <port> typ host tcptype passive".
  EXPECT_NE(answer.body.find(" tcp "), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find(" typ host tcptype passive"), std::string::npos) << answer.body;
  const auto info = inspect(answer.body);
  ASSERT_TRUE(info.udp) << answer.body;
  ASSERT_TRUE(info.tcp) << answer.body;
  EXPECT_EQ(info.tcp->tcp_type, "passive");
  // The same IP and port number as the UDP socket, ranked below it
  // (RFC 6544 §4.2: the TCP local preference).
  EXPECT_EQ(info.tcp->address, info.udp->address);
  EXPECT_EQ(info.tcp->port, info.udp->port);
  EXPECT_LT(info.tcp->priority, info.udp->priority);
  EXPECT_EQ(info.tcp->priority,
            ice::make_host_candidate(address_of(*info.tcp), ice::TransportProtocol::Tcp).priority);
  EXPECT_NE(info.tcp->foundation, info.udp->foundation);  // RFC 8445 §5.1.1.3: per protocol
}

TEST(MediaEchoTcp, MediaFlowsOverIceTcp) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "tcpmedia");

  rtc::WebRtcClientConfig config;
  config.use_tcp = true;
  auto client = rtc::WebRtcClient::create(config);
  ASSERT_TRUE(client) << client.error();
  auto& c = **client;
  const auto answer = post_offer(server.port(), user.token, c.offer_sdp());
  ASSERT_TRUE(c.set_answer(answer.body)) << answer.body;
  const auto info = inspect(answer.body);
  ASSERT_TRUE(info.tcp);
  EXPECT_EQ(c.remote_address(), address_of(*info.tcp));

  // ICE (with USE-CANDIDATE and MESSAGE-INTEGRITY), the DTLS handshake and
  // SRTP all ride the one TCP connection: the client has no UDP socket.
  echo_round_trip(c, 50, server);
  EXPECT_GE(c.stats().ice_requests, 1);
  EXPECT_EQ(c.stats().send_failures, 0u);

  // RTCP too (a receiver report with no blocks, RFC 3550 §6.4.2).
  const std::uint32_t ssrc = c.audio_ssrc();
  const std::vector<std::uint8_t> rr{0x80, 201, 0x00, 0x01, static_cast<std::uint8_t>(ssrc >> 24),
                                     static_cast<std::uint8_t>(ssrc >> 16),
                                     static_cast<std::uint8_t>(ssrc >> 8), static_cast<std::uint8_t>(ssrc)};
  EXPECT_TRUE(c.send_rtcp(rr));
  c.poll(std::chrono::milliseconds(50));

  auto del = rtc::http_request("127.0.0.1", server.port(), "DELETE", answer.location, {}, {}, user.token);
  ASSERT_TRUE(del) << del.error();
  EXPECT_EQ(del->status, 204);
}

// ICE by hand over a raw TCP connection: a Binding request with
// USE-CANDIDATE signed with the answer's password, and its response.
void ice_over(tcp::Socket& s, ice::IceChecker& checker, const stun::SocketAddress& server,
              Where where = Where::current()) {
  const auto priority = ice::compute_priority(ice::type_preference(ice::CandidateType::PeerReflexive),
                                              ice::tcp_local_preference(ice::TcpType::Active), 1);
  auto req = checker.build_request(server, priority, true);
  if (!req) fail_at(where, "build_request");
  if (!s.write_frame(req->bytes)) fail_at(where, "write");
  for (;;) {
    auto frame = s.read_frame(kTimeout);
    if (!frame) fail_at(where, "no Binding response over TCP");
    auto res = checker.handle_response(*frame, server);
    if (!res) continue;
    if (!res->success) fail_at(where, "error response " + std::to_string(res->error_code));
    // XOR-MAPPED-ADDRESS: our end of the TCP connection.
    EXPECT_EQ(res->mapped_address, s.local_address());
    return;
  }
}

TEST(MediaEchoTcp, ReleasingTheTransportClosesItsConnections) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "tcprelease");
  auto client = rtc::WebRtcClient::create();
  ASSERT_TRUE(client) << client.error();
  const auto answer = post_offer(server.port(), user.token, (*client)->offer_sdp());
  const auto info = inspect(answer.body);
  ASSERT_TRUE(info.tcp);
  const auto to = address_of(*info.tcp);

  tcp::Socket s(to);
  ASSERT_TRUE(s.ok());
  ice::IceChecker checker((*client)->local_ice(), info.ice);
  ice_over(s, checker, to);
  // Consent checks keep working on the same connection.
  ice_over(s, checker, to);

  auto del = rtc::http_request("127.0.0.1", server.port(), "DELETE", answer.location, {}, {}, user.token);
  ASSERT_TRUE(del) << del.error();
  EXPECT_EQ(del->status, 204);
  EXPECT_TRUE(s.closed_within(kTimeout)) << "the connection outlived its transport\n" << server.log();
}

TEST(MediaEchoTcp, HostileConnectionsAreClosedAndTheServerKeepsServing) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "tcphostile");
  auto probe = rtc::WebRtcClient::create();
  ASSERT_TRUE(probe) << probe.error();
  const auto answer = post_offer(server.port(), user.token, (*probe)->offer_sdp());
  const auto info = inspect(answer.body);
  ASSERT_TRUE(info.tcp);
  const auto to = address_of(*info.tcp);

  // Silent ones first: they wait for the 10 s handshake timeout while the
  // others run.
  tcp::Socket silent(to);
  tcp::Socket half_frame(to);
  ASSERT_TRUE(silent.ok() && half_frame.ok());
  const std::vector<std::uint8_t> partial{0x01, 0xF4, 0x00, 0x01, 0x00};  // says 500, sends 3
  ASSERT_TRUE(half_frame.write(partial));
  const auto silent_since = Clock::now();

  {  // A well-framed first frame that is not STUN.
    tcp::Socket s(to);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s.write_frame(std::vector<std::uint8_t>(100, 0xFF)));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "garbage frame";
  }
  {  // Not framed at all: an HTTP request reads as a 18245-byte frame.
    tcp::Socket s(to);
    ASSERT_TRUE(s.ok());
    const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_TRUE(s.write(std::span(reinterpret_cast<const std::uint8_t*>(get.data()), get.size())));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "HTTP on the media port";
  }
  {  // The largest length prefix, refused before its body arrives.
    tcp::Socket s(to);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s.write(std::vector<std::uint8_t>{0xFF, 0xFF, 1, 2, 3}));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "oversized frame";
  }
  {  // A frame just above the limit (1600), even mid-stream after a valid check.
    tcp::Socket s(to);
    ASSERT_TRUE(s.ok());
    ice::IceChecker checker((*probe)->local_ice(), info.ice);
    ice_over(s, checker, to);
    ASSERT_TRUE(s.write_frame(std::vector<std::uint8_t>(1601, 0x80)));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "oversized frame after ICE";
  }
  {  // A well-formed Binding request for a ufrag nobody has.
    tcp::Socket s(to);
    ASSERT_TRUE(s.ok());
    ice::IceChecker checker(ice::generate_credentials(), ice::generate_credentials());
    auto req = checker.build_request(to, 1, true);
    ASSERT_TRUE(req);
    ASSERT_TRUE(s.write_frame(req->bytes));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "unknown ufrag";
  }
  {  // A Binding response (not a request) as the first frame.
    tcp::Socket s(to);
    ASSERT_TRUE(s.ok());
    std::vector<std::uint8_t> resp{0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
    resp.resize(20, 0x07);
    ASSERT_TRUE(s.write_frame(resp));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "binding response first";
  }

  // The server still echoes over UDP ...
  {
    auto c = rtc::WebRtcClient::create();
    ASSERT_TRUE(c) << c.error();
    const auto a = post_offer(server.port(), user.token, (*c)->offer_sdp());
    ASSERT_TRUE((*c)->set_answer(a.body));
    echo_round_trip(**c, 20, server);
  }
  // ... and over TCP.
  {
    rtc::WebRtcClientConfig config;
    config.use_tcp = true;
    auto c = rtc::WebRtcClient::create(config);
    ASSERT_TRUE(c) << c.error();
    const auto a = post_offer(server.port(), user.token, (*c)->offer_sdp());
    ASSERT_TRUE((*c)->set_answer(a.body));
    echo_round_trip(**c, 20, server);
  }

  // No STUN first frame in 10 s: closed (and not much later).
  EXPECT_TRUE(silent.closed_within(std::chrono::milliseconds(15000))) << "silent connection";
  EXPECT_TRUE(half_frame.closed_within(std::chrono::milliseconds(2000))) << "half a frame";
  EXPECT_GE(Clock::now() - silent_since, std::chrono::milliseconds(9000));
}

}  // namespace
}  // namespace parley::itest
