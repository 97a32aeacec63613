// The echo endpoint end to end with Parley's own WebRTC client: real server,
// real SDP offer/answer over HTTP (RFC 9725 §4.2), ICE, DTLS-SRTP and RTP
// over loopback UDP.
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <map>
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
