// The echo endpoint end to end with Parley's own WebRTC client: real server,
// real SDP offer/answer over HTTP (RFC 9725 §4.2), ICE, DTLS-SRTP and RTP
// over loopback UDP, and data channels (SCTP over DTLS with DCEP,
// RFC 8831/8832) in the same connection.
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"
#include "rtc/client/echo_http.hpp"
#include "rtc/client/webrtc_client.hpp"

namespace parley::itest {
namespace {

constexpr const char* kEcho = "/api/v1/echo";

rtc::HttpReply post_offer(unsigned short port, const std::string& token, const std::string& offer) {
  auto r = rtc::http_request("127.0.0.1", port, "POST", kEcho, offer, "application/sdp", token);
  if (!r) fail_at(Where::current(), r.error());
  return *r;
}

// A VP8 payload (RFC 7741 §4.2 descriptor, S=1 PID=0; §4.3 payload header
// with P=0 for a keyframe) followed by recognisable bytes.
std::vector<std::uint8_t> vp8_payload(int i, bool keyframe) {
  std::vector<std::uint8_t> p;
  p.push_back(0x10);                                  // X=0 N=0 S=1 PID=0
  p.push_back(keyframe ? 0x00 : 0x01);                // size0/H/ver/P: P=0 keyframe
  if (keyframe) p.insert(p.end(), {0x00, 0x00, 0x9d, 0x01, 0x2a});  // start code (RFC 6386 §9.1)
  for (int k = 0; k < 300; ++k) p.push_back(static_cast<std::uint8_t>(i * 7 + k));
  return p;
}

std::vector<std::uint8_t> opus_payload(int i) {
  std::vector<std::uint8_t> p{0x78};  // TOC: config 15 (CELT FB 20 ms), mono, 1 frame
  for (int k = 0; k < 80; ++k) p.push_back(static_cast<std::uint8_t>(i * 13 + k));
  return p;
}

struct Echoed {
  std::uint32_t ssrc;
  std::uint8_t pt;
  std::uint16_t seq;
  std::uint32_t ts;
  std::vector<std::uint8_t> payload;
};

TEST(MediaEcho, ClientMediaComesBackOnTheServersSsrc) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "media");

  auto client = rtc::WebRtcClient::create();
  ASSERT_TRUE(client) << client.error();
  auto& c = **client;
  const auto answer = post_offer(server.port(), user.token, c.offer_sdp());
  ASSERT_EQ(answer.status, 201) << answer.body;
  ASSERT_EQ(answer.content_type, "application/sdp");
  ASSERT_TRUE(answer.location.starts_with(std::string(kEcho) + "/")) << answer.location;
  ASSERT_TRUE(c.set_answer(answer.body)) << answer.body;
  ASSERT_NE(c.remote_audio_ssrc(), 0u);
  ASSERT_NE(c.remote_video_ssrc(), 0u);
  ASSERT_NE(c.remote_audio_ssrc(), c.audio_ssrc());
  ASSERT_NE(c.remote_video_ssrc(), c.video_ssrc());

  auto connected = c.connect();
  ASSERT_TRUE(connected) << connected.error() << "\n" << server.log();
  ASSERT_TRUE(c.srtp_profile().has_value());

  std::vector<Echoed> got;
  c.on_rtp([&](const rtp::RtpPacket& p) {
    got.push_back({p.ssrc(), p.payload_type(), p.sequence_number(), p.timestamp(),
                   std::vector<std::uint8_t>(p.payload().begin(), p.payload().end())});
  });

  // 100 audio + 100 video packets, keyframe first, interleaved.
  constexpr int kPerKind = 100;
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::vector<std::uint8_t>> sent;
  for (int i = 0; i < kPerKind; ++i) {
    const auto a = opus_payload(i);
    const auto seq_a = static_cast<std::uint16_t>(1000 + i);
    ASSERT_TRUE(c.send_rtp(c.audio_payload_type(), seq_a, 960u * i, c.audio_ssrc(), a));
    sent[{c.remote_audio_ssrc(), seq_a}] = a;
    const auto v = vp8_payload(i, i % 30 == 0);
    const auto seq_v = static_cast<std::uint16_t>(5000 + i);
    ASSERT_TRUE(c.send_rtp(c.video_payload_type(), seq_v, 3000u * i, c.video_ssrc(), v, true));
    sent[{c.remote_video_ssrc(), seq_v}] = v;
    c.poll(std::chrono::milliseconds(2));  // paced like real media, and drains echoes
  }
  ASSERT_TRUE(eventually([&] {
    c.poll(std::chrono::milliseconds(50));
    return got.size() >= 2 * kPerKind;
  })) << "echoed " << got.size() << " of " << 2 * kPerKind << "; client stats: unprotect failures "
      << c.stats().unprotect_failures << ", ignored " << c.stats().ignored;

  int audio = 0, video = 0;
  for (const auto& e : got) {
    ASSERT_TRUE(e.ssrc == c.remote_audio_ssrc() || e.ssrc == c.remote_video_ssrc()) << e.ssrc;
    const bool is_audio = e.ssrc == c.remote_audio_ssrc();
    EXPECT_EQ(e.pt, is_audio ? c.audio_payload_type() : c.video_payload_type());
    auto it = sent.find({e.ssrc, e.seq});
    ASSERT_NE(it, sent.end()) << "unexpected seq " << e.seq << " on ssrc " << e.ssrc;
    EXPECT_EQ(e.payload, it->second) << "payload of seq " << e.seq;
    // Timestamps are kept by the echo (echo_session.hpp).
    EXPECT_EQ(e.ts, is_audio ? 960u * (e.seq - 1000) : 3000u * (e.seq - 5000));
    (is_audio ? audio : video)++;
  }
  EXPECT_EQ(audio, kPerKind);
  EXPECT_EQ(video, kPerKind);
  EXPECT_EQ(c.stats().unprotect_failures, 0u);

  auto del = rtc::http_request("127.0.0.1", server.port(), "DELETE", answer.location, {}, {},
                               user.token);
  ASSERT_TRUE(del) << del.error();
  EXPECT_EQ(del->status, 204) << del->body;
  auto again = rtc::http_request("127.0.0.1", server.port(), "DELETE", answer.location, {}, {},
                                 user.token);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->status, 404);

  // Once deleted, nothing is echoed any more.
  got.clear();
  c.poll(std::chrono::milliseconds(100));
  got.clear();
  ASSERT_TRUE(c.send_rtp(c.audio_payload_type(), 2000, 0, c.audio_ssrc(), opus_payload(1)));
  c.poll(std::chrono::milliseconds(300));
  EXPECT_TRUE(got.empty());
}

struct DataMessage {
  std::uint16_t stream;
  std::uint32_t ppid;
  std::vector<std::uint8_t> data;
};

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> pattern(std::size_t n, int seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 31 + seed + i / 251);
  return v;
}

// Issue #4: the client opens data channels to the echo endpoint and gets
// every message back byte for byte with its PPID (RFC 8831 §8), text,
// binary, empty (PPID 56/57, RFC 8831 §6.6) and larger than one SCTP packet
// (fragmented), while SRTP flows both ways on the same 5-tuple.
TEST(MediaEcho, DataChannelMessagesComeBackWhileMediaFlows) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "media_dc");

  rtc::WebRtcClientConfig cfg;
  cfg.data_channel = true;
  auto client = rtc::WebRtcClient::create(cfg);
  ASSERT_TRUE(client) << client.error();
  auto& c = **client;
  const std::string offer = c.offer_sdp();
  // RFC 8841 §4-§6, in the BUNDLE group (RFC 8843).
  EXPECT_NE(offer.find("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"), std::string::npos) << offer;
  EXPECT_NE(offer.find("a=sctp-port:5000\r\n"), std::string::npos) << offer;
  EXPECT_NE(offer.find("a=max-message-size:262144\r\n"), std::string::npos) << offer;
  EXPECT_NE(offer.find("a=group:BUNDLE 0 1 2\r\n"), std::string::npos) << offer;

  const auto answer = post_offer(server.port(), user.token, offer);
  ASSERT_EQ(answer.status, 201) << answer.body;
  ASSERT_TRUE(c.set_answer(answer.body)) << answer.body;
  ASSERT_TRUE(c.data_channel_negotiated()) << answer.body;
  EXPECT_EQ(c.remote_max_message_size(), 262144u);
  auto connected = c.connect();
  ASSERT_TRUE(connected) << connected.error() << "\n" << server.log();

  std::vector<DataMessage> received;
  c.on_data([&](std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> d) {
    received.push_back({stream, ppid, {d.begin(), d.end()}});
  });
  std::map<std::uint16_t, std::vector<std::uint8_t>> sent_rtp;  // by sequence number
  std::vector<Echoed> echoed_rtp;
  c.on_rtp([&](const rtp::RtpPacket& p) {
    echoed_rtp.push_back({p.ssrc(), p.payload_type(), p.sequence_number(), p.timestamp(),
                          std::vector<std::uint8_t>(p.payload().begin(), p.payload().end())});
  });
  std::uint16_t seq = 100;
  auto send_audio = [&] {
    const auto payload = opus_payload(seq);
    ASSERT_TRUE(c.send_rtp(c.audio_payload_type(), seq, 960u * seq, c.audio_ssrc(), payload));
    sent_rtp[seq++] = payload;
  };

  // Media before the channel exists, too: SRTP and SCTP share DTLS' 5-tuple.
  for (int i = 0; i < 5; ++i) send_audio();
  auto stream = c.open_data_channel("echo");
  ASSERT_TRUE(stream) << stream.error() << "\n" << server.log();
  // RFC 8832 §6: we are the DTLS client, so our channels take even ids.
  EXPECT_EQ(*stream % 2, 0) << *stream;
  auto second = c.open_data_channel("second", /*ordered=*/false);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(*second % 2, 0) << *second;
  EXPECT_NE(*second, *stream);

  using rtc::Ppid;
  const std::vector<DataMessage> messages{
      {*stream, static_cast<std::uint32_t>(Ppid::String), bytes_of("hello")},
      {*stream, static_cast<std::uint32_t>(Ppid::Binary), pattern(1000, 1)},
      {*stream, static_cast<std::uint32_t>(Ppid::String), {}},   // comes back as 56
      {*stream, static_cast<std::uint32_t>(Ppid::Binary), {}},   // comes back as 57
      {*stream, static_cast<std::uint32_t>(Ppid::Binary), pattern(20000, 2)},  // ~19 SCTP packets
      {*stream, static_cast<std::uint32_t>(Ppid::String), bytes_of("gr\xc3\xbc\xc3\x9f dich \xf0\x9f\x91\x8b")},
      {*stream, static_cast<std::uint32_t>(Ppid::Binary), pattern(100000, 3)},  // above 64 KiB
      {*stream, static_cast<std::uint32_t>(Ppid::String), bytes_of("bye")},
  };
  for (const auto& m : messages) {
    send_audio();
    auto r = c.send_data(m.stream, static_cast<Ppid>(m.ppid), m.data);
    ASSERT_TRUE(r) << r.error();
    c.poll(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(c.send_text(*second, "on the other channel"));
  for (int i = 0; i < 5; ++i) send_audio();

  const std::size_t expected = messages.size() + 1;
  ASSERT_TRUE(eventually([&] {
    c.poll(std::chrono::milliseconds(50));
    return received.size() >= expected && echoed_rtp.size() >= sent_rtp.size();
  })) << "data messages back: " << received.size() << " of " << expected << ", RTP back: "
      << echoed_rtp.size() << " of " << sent_rtp.size() << "\n" << server.log();
  EXPECT_EQ(received.size(), expected);
  EXPECT_EQ(c.stats().data_sent, expected);
  EXPECT_EQ(c.stats().data_received, received.size());

  // The ordered channel keeps its order; the other one's message is anywhere.
  std::vector<DataMessage> on_first, on_second;
  for (auto& m : received) (m.stream == *stream ? on_first : on_second).push_back(std::move(m));
  ASSERT_EQ(on_first.size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    std::uint32_t want_ppid = messages[i].ppid;
    if (messages[i].data.empty())  // RFC 8831 §6.6
      want_ppid = static_cast<std::uint32_t>(want_ppid == static_cast<std::uint32_t>(Ppid::String)
                                                 ? Ppid::StringEmpty
                                                 : Ppid::BinaryEmpty);
    EXPECT_EQ(on_first[i].ppid, want_ppid) << "message " << i;
    EXPECT_EQ(on_first[i].data.size(), messages[i].data.size()) << "message " << i;
    EXPECT_TRUE(on_first[i].data == messages[i].data) << "message " << i << " differs";
  }
  ASSERT_EQ(on_second.size(), 1u);
  EXPECT_EQ(on_second[0].stream, *second);
  EXPECT_EQ(on_second[0].ppid, static_cast<std::uint32_t>(Ppid::String));
  EXPECT_EQ(on_second[0].data, bytes_of("on the other channel"));

  // And the media came back too, on the server's SSRC, payload intact.
  for (const auto& e : echoed_rtp) {
    EXPECT_EQ(e.ssrc, c.remote_audio_ssrc());
    auto it = sent_rtp.find(e.seq);
    ASSERT_NE(it, sent_rtp.end()) << "unexpected seq " << e.seq;
    EXPECT_EQ(e.payload, it->second) << "payload of seq " << e.seq;
  }
  EXPECT_EQ(echoed_rtp.size(), sent_rtp.size());
  EXPECT_EQ(c.stats().unprotect_failures, 0u);

  // Too large for the server's a=max-message-size (RFC 8841 §6): refused here.
  EXPECT_FALSE(c.send_data(*stream, Ppid::Binary, pattern(262145, 4)));
  c.close();
}

TEST(MediaEcho, DataChannelNeedsTheApplicationSection) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "media_nodc");
  auto client = rtc::WebRtcClient::create();  // data_channel = false
  ASSERT_TRUE(client) << client.error();
  auto& c = **client;
  const std::string offer = c.offer_sdp();
  EXPECT_EQ(offer.find("m=application"), std::string::npos) << offer;
  const auto answer = post_offer(server.port(), user.token, offer);
  ASSERT_EQ(answer.status, 201) << answer.body;
  ASSERT_TRUE(c.set_answer(answer.body));
  EXPECT_FALSE(c.data_channel_negotiated());
  auto connected = c.connect();
  ASSERT_TRUE(connected) << connected.error();
  auto stream = c.open_data_channel("echo");
  EXPECT_FALSE(stream);
  EXPECT_FALSE(c.send_text(0, "hello"));
}

TEST(MediaEcho, BothSrtpProfilesWork) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "media_cm");
  rtc::WebRtcClientConfig cfg;
  cfg.srtp_profiles = {dtls::SrtpProfile::aes128_cm_hmac_sha1_80};
  auto client = rtc::WebRtcClient::create(cfg);
  ASSERT_TRUE(client) << client.error();
  auto& c = **client;
  const auto answer = post_offer(server.port(), user.token, c.offer_sdp());
  ASSERT_EQ(answer.status, 201) << answer.body;
  ASSERT_TRUE(c.set_answer(answer.body));
  auto connected = c.connect();
  ASSERT_TRUE(connected) << connected.error();
  ASSERT_EQ(c.srtp_profile(), dtls::SrtpProfile::aes128_cm_hmac_sha1_80);
  int echoed = 0;
  c.on_rtp([&](const rtp::RtpPacket& p) {
    if (p.ssrc() == c.remote_audio_ssrc()) ++echoed;
  });
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(c.send_rtp(c.audio_payload_type(), static_cast<std::uint16_t>(i), 960u * i,
                           c.audio_ssrc(), opus_payload(i)));
  EXPECT_TRUE(eventually([&] {
    c.poll(std::chrono::milliseconds(50));
    return echoed == 20;
  })) << echoed;
}

TEST(MediaEcho, WrongFingerprintInOurOfferFailsTheHandshake) {
  ServerProcess server;
  Http http(server.port());
  const User user = register_user(http, "media_fp");

  rtc::WebRtcClientConfig cfg;
  // A well-formed sha-256 fingerprint that is not our certificate's.
  dtls::Fingerprint wrong{"sha-256", std::vector<std::uint8_t>(32, 0xAB)};
  cfg.advertised_fingerprint = wrong;
  cfg.connect_timeout = std::chrono::milliseconds(4000);
  auto client = rtc::WebRtcClient::create(cfg);
  ASSERT_TRUE(client) << client.error();
  auto& c = **client;
  const auto answer = post_offer(server.port(), user.token, c.offer_sdp());
  ASSERT_EQ(answer.status, 201) << answer.body;
  ASSERT_TRUE(c.set_answer(answer.body));
  auto connected = c.connect();
  ASSERT_FALSE(connected) << "the server accepted a certificate that does not match the offer";
  std::cout << "handshake refused as expected: " << connected.error() << "\n";
  EXPECT_FALSE(c.connected());
  EXPECT_TRUE(connected.error().starts_with("DTLS")) << connected.error();  // ICE itself worked
  EXPECT_FALSE(c.send_rtp(c.audio_payload_type(), 1, 0, c.audio_ssrc(), opus_payload(0)));
}

TEST(MediaEcho, OfferNeedsAToken) {
  ServerProcess server;
  auto client = rtc::WebRtcClient::create();
  ASSERT_TRUE(client) << client.error();
  auto r = rtc::http_request("127.0.0.1", server.port(), "POST", kEcho, (*client)->offer_sdp(),
                             "application/sdp");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 401) << r->body;
}

}  // namespace
}  // namespace parley::itest
