// The SFU's subscriber offer (rtc::build_send_offer) and how it reads the
// browser's answer (rtc::read_send_answer): what Chromium needs to see in
// the offer, and which answers the SFU must refuse.

#include "rtc/offer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "dtls/certificate.hpp"
#include "rtc/answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace parley::rtc {
namespace {

constexpr std::string_view kAbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
constexpr std::string_view kTransportCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr std::string_view kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr std::string_view kAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

OfferOptions options() {
  OfferOptions o;
  o.ice = {"sfuUfragABCD", "sfuPassword0123456789abcdef"};
  auto cert = dtls::Certificate::process_certificate();
  EXPECT_TRUE(cert);
  o.fingerprint = (*cert)->fingerprint();
  o.candidates.push_back(ice::make_host_candidate(*stun::SocketAddress::from_string("127.0.0.1", 40002),
                                                  ice::TransportProtocol::Udp));
  o.cname = "sfu-cname";
  o.session_id = 1234567;
  o.version = 3;
  return o;
}

// Alice's microphone and camera, then a section whose track went away.
std::vector<OfferTrack> tracks() {
  OfferTrack audio;
  audio.mid = "0";
  audio.kind = sdp::MediaKind::Audio;
  audio.stream_id = "p_alice";
  audio.track_id = "p_alice.0";
  audio.ssrc = 1111;
  OfferTrack video;
  video.mid = "1";
  video.kind = sdp::MediaKind::Video;
  video.stream_id = "p_alice";
  video.track_id = "p_alice.1";
  video.ssrc = 2222;
  video.rtx_ssrc = 3333;
  OfferTrack gone;
  gone.mid = "2";
  gone.kind = sdp::MediaKind::Video;
  gone.active = false;
  return {audio, video, gone};
}

// The offer as the browser gets it: serialized, then parsed back.
sdp::SessionDescription offer_text_parsed(std::string* text_out = nullptr) {
  const std::string text = sdp::serialize(build_send_offer(tracks(), options()));
  if (text_out) *text_out = text;
  auto parsed = sdp::parse(text);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().to_string()) << "\n" << text;
  return parsed ? *parsed : sdp::SessionDescription{};
}

TEST(SendOffer, ParsesBackWithOneBundleAndIceLite) {
  std::string text;
  const auto d = offer_text_parsed(&text);
  ASSERT_EQ(d.media.size(), 3u) << text;
  EXPECT_TRUE(d.ice_lite);
  EXPECT_EQ(d.origin.session_id, "1234567");
  EXPECT_EQ(d.origin.session_version, 3u);
  ASSERT_NE(d.bundle_group(), nullptr) << text;
  EXPECT_EQ(d.bundle_group()->mids, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_NE(text.find("a=ice-lite\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=group:BUNDLE 0 1 2\r\n"), std::string::npos);

  const std::regex fp("([0-9A-F]{2}:){31}[0-9A-F]{2}");
  const auto& own = options();
  for (const auto& m : d.media) {
    SCOPED_TRACE(m.mid.value_or("?"));
    EXPECT_NE(m.port, 0);  // none rejected, not even the inactive one
    EXPECT_EQ(m.protocol, "UDP/TLS/RTP/SAVPF");
    EXPECT_EQ(m.setup, sdp::Setup::ActPass);
    EXPECT_EQ(m.ice_ufrag, own.ice.ufrag);
    EXPECT_EQ(m.ice_pwd, own.ice.pwd);
    ASSERT_EQ(m.fingerprints.size(), 1u);
    EXPECT_EQ(m.fingerprints[0].hash_function, "sha-256");
    EXPECT_TRUE(std::regex_match(m.fingerprints[0].value, fp)) << m.fingerprints[0].value;
    EXPECT_EQ(m.fingerprints[0].value, own.fingerprint.hex());
    ASSERT_EQ(m.candidates.size(), 1u);
    EXPECT_EQ(m.candidates[0].address, "127.0.0.1");
    EXPECT_EQ(m.candidates[0].port, 40002);
    EXPECT_EQ(m.port, 40002);
    EXPECT_TRUE(m.end_of_candidates);
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_TRUE(m.rtcp_rsize);
  }
  EXPECT_EQ(d.media[0].mid, "0");
  EXPECT_EQ(d.media[1].mid, "1");
  EXPECT_EQ(d.media[2].mid, "2");
}

TEST(SendOffer, SendOnlyPerActiveTrackAndInactiveWithoutSsrcForAGoneOne) {
  const auto d = offer_text_parsed();
  ASSERT_EQ(d.media.size(), 3u);
  EXPECT_EQ(d.media[0].kind, sdp::MediaKind::Audio);
  EXPECT_EQ(d.media[0].effective_direction(), sdp::Direction::SendOnly);
  EXPECT_EQ(d.media[1].kind, sdp::MediaKind::Video);
  EXPECT_EQ(d.media[1].effective_direction(), sdp::Direction::SendOnly);
  EXPECT_EQ(d.media[2].kind, sdp::MediaKind::Video);
  EXPECT_EQ(d.media[2].effective_direction(), sdp::Direction::Inactive);
  EXPECT_TRUE(d.media[2].ssrcs.empty());
  EXPECT_TRUE(d.media[2].msids.empty());
  EXPECT_TRUE(d.media[2].ssrc_groups.empty());
}

TEST(SendOffer, MsidAndSsrcAttributesNameThePublisher) {
  const auto d = offer_text_parsed();
  ASSERT_EQ(d.media.size(), 3u);
  const auto& audio = d.media[0];
  ASSERT_EQ(audio.msids.size(), 1u);
  EXPECT_EQ(audio.msids[0].stream_id, "p_alice");
  EXPECT_EQ(audio.msids[0].track_id, "p_alice.0");
  EXPECT_EQ(audio.ssrc_attribute(1111, "cname"), "sfu-cname");
  EXPECT_EQ(audio.ssrc_attribute(1111, "msid"), "p_alice p_alice.0");
  EXPECT_TRUE(audio.ssrc_groups.empty());  // no RTX for audio

  const auto& video = d.media[1];
  ASSERT_EQ(video.msids.size(), 1u);
  EXPECT_EQ(video.msids[0].stream_id, "p_alice");
  EXPECT_EQ(video.msids[0].track_id, "p_alice.1");
  EXPECT_EQ(video.ssrc_attribute(2222, "cname"), "sfu-cname");
  EXPECT_EQ(video.ssrc_attribute(2222, "msid"), "p_alice p_alice.1");
  EXPECT_EQ(video.ssrc_attribute(3333, "cname"), "sfu-cname");
  EXPECT_EQ(video.ssrc_attribute(3333, "msid"), "p_alice p_alice.1");
  const auto* fid = video.find_ssrc_group("FID");
  ASSERT_NE(fid, nullptr);
  EXPECT_EQ(fid->ssrcs, (std::vector<std::uint32_t>{2222, 3333}));
}

TEST(SendOffer, VideoWithoutRtxSsrcHasNoFidGroup) {
  OfferTrack v;
  v.mid = "0";
  v.kind = sdp::MediaKind::Video;
  v.stream_id = "p_bob";
  v.track_id = "p_bob.1";
  v.ssrc = 77;
  auto parsed = sdp::parse(sdp::serialize(build_send_offer({v}, options())));
  ASSERT_TRUE(parsed);
  const auto& m = parsed->media.at(0);
  EXPECT_EQ(m.find_ssrc_group("FID"), nullptr);
  EXPECT_EQ(m.ssrc_attribute(77, "cname"), "sfu-cname");
  for (const auto& s : m.ssrcs) EXPECT_EQ(s.ssrc, 77u);
}

// The room names tracks "<participant_id>-<mid>" (sfu::PublishedTrack::id,
// the `track_id` of the protocol) and puts that into a=msid, which takes
// token chars only (RFC 4566 §9, RFC 8830 §2: msid-id = 1*64token-char).
TEST(SendOffer, TrackIdsAsTheRoomMakesThemParseBack) {
  auto t = tracks();
  t[0].track_id = "p_alice-0";  // Room::publisher_offer: p->id + "-" + mid
  t[1].track_id = "p_alice-1";
  const std::string text = sdp::serialize(build_send_offer(t, options()));
  auto parsed = sdp::parse(text);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->media.at(1).msids.at(0).track_id, "p_alice-1");
}

TEST(SendOffer, FixedPayloadTypesAndFeedback) {
  const auto d = offer_text_parsed();
  ASSERT_EQ(d.media.size(), 3u);
  const auto& audio = d.media[0];
  ASSERT_EQ(audio.codecs.size(), 2u);
  EXPECT_TRUE(audio.codecs[0].is("red"));
  const auto& opus = audio.codecs[1];
  EXPECT_TRUE(opus.is("opus"));
  EXPECT_EQ(opus.payload_type, 111);
  EXPECT_EQ(opus.clock_rate, 48000u);
  EXPECT_EQ(opus.channels, 2u);
  EXPECT_EQ(opus.fmtp_value("useinbandfec"), "1");
  EXPECT_TRUE(opus.has_feedback("transport-cc"));

  for (std::size_t i : {1u, 2u}) {
    SCOPED_TRACE(i);
    const auto& video = d.media[i];
    ASSERT_EQ(video.codecs.size(), 2u);
    const auto& vp8 = video.codecs[0];
    EXPECT_TRUE(vp8.is("VP8"));
    EXPECT_EQ(vp8.payload_type, 96);
    EXPECT_EQ(vp8.clock_rate, 90000u);
    EXPECT_TRUE(vp8.has_feedback("nack"));
    EXPECT_TRUE(vp8.has_feedback("nack", "pli"));
    EXPECT_TRUE(vp8.has_feedback("ccm", "fir"));
    EXPECT_TRUE(vp8.has_feedback("goog-remb"));
    EXPECT_TRUE(vp8.has_feedback("transport-cc"));
    const auto& rtx = video.codecs[1];
    EXPECT_TRUE(rtx.is("rtx"));
    EXPECT_EQ(rtx.payload_type, 97);
    EXPECT_EQ(rtx.clock_rate, 90000u);
    EXPECT_EQ(rtx.apt(), std::optional<std::uint8_t>(96));
    EXPECT_EQ(video.rtx_payload_type(96), std::optional<std::uint8_t>(97));
  }
}

// RFC 2198 redundancy over opus, listed first so that a Chromium
// subscriber's answer keeps it: the SFU then passes publishers' RED on.
TEST(SendOffer, AudioOffersRedOverOpusFirst) {
  std::string text;
  const auto d = offer_text_parsed(&text);
  EXPECT_NE(text.find("m=audio 40002 UDP/TLS/RTP/SAVPF 63 111\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=rtpmap:63 red/48000/2\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=fmtp:63 111/111\r\n"), std::string::npos) << text;
  const auto& red = d.media.at(0).codecs.at(0);
  EXPECT_EQ(red.payload_type, kOfferRedPayloadType);
  EXPECT_EQ(kOfferRedPayloadType, 63);
  EXPECT_EQ(red.clock_rate, 48000u);
  EXPECT_EQ(red.channels, 2u);
  EXPECT_TRUE(is_red_over(red, kOfferOpusPayloadType));
  // Video sections have no audio red.
  for (std::size_t i : {1u, 2u})
    for (const auto& c : d.media.at(i).codecs) EXPECT_FALSE(c.is("red")) << i;
}

TEST(SendOffer, FixedExtensionIds) {
  const auto d = offer_text_parsed();
  ASSERT_EQ(d.media.size(), 3u);
  const auto& audio = d.media[0];
  EXPECT_EQ(audio.extmap_id(kAudioLevel), std::optional<std::uint16_t>(1));
  EXPECT_EQ(audio.extmap_id(kAbsSendTime), std::optional<std::uint16_t>(2));
  EXPECT_EQ(audio.extmap_id(kTransportCc), std::optional<std::uint16_t>(3));
  EXPECT_EQ(audio.extmap_id(kMid), std::optional<std::uint16_t>(4));
  for (std::size_t i : {1u, 2u}) {
    const auto& video = d.media[i];
    EXPECT_FALSE(video.extmap_id(kAudioLevel));
    EXPECT_EQ(video.extmap_id(kAbsSendTime), std::optional<std::uint16_t>(2));
    EXPECT_EQ(video.extmap_id(kTransportCc), std::optional<std::uint16_t>(3));
    EXPECT_EQ(video.extmap_id(kMid), std::optional<std::uint16_t>(4));
  }
  // The constants the forwarder writes are the ones offered.
  EXPECT_EQ(kOfferAudioLevelId, 1);
  EXPECT_EQ(kOfferAbsSendTimeId, 2);
  EXPECT_EQ(kOfferTransportCcId, 3);
  EXPECT_EQ(kOfferMidId, 4);
}

// --- read_send_answer ------------------------------------------------------

// What Chromium answers to the offer above (setRemoteDescription(offer),
// createAnswer()): recvonly, setup:active, its own ICE credentials and
// certificate, only the feedback and extensions it supports.
std::string chromium_answer(std::string_view setup = "active", bool with_ice = true, bool with_fingerprint = true,
                            bool transport_cc = true, bool red = true) {
  std::string s =
      "v=0\r\n"
      "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0 1 2\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=msid-semantic: WMS\r\n";
  auto section = [&](std::string_view kind, std::string_view mid, std::string_view direction) {
    std::string m;
    if (kind == "audio")
      m += red ? "m=audio 9 UDP/TLS/RTP/SAVPF 63 111\r\n" : "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
    else
      m += "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n";
    m += "c=IN IP4 0.0.0.0\r\n"
         "a=rtcp:9 IN IP4 0.0.0.0\r\n";
    if (with_ice)
      m += "a=ice-ufrag:Wq9z\r\n"
           "a=ice-pwd:pU7e9mBq2CkVJ2iQhXQ5x8Zr\r\n";
    m += "a=ice-options:trickle\r\n";
    if (with_fingerprint)
      m += "a=fingerprint:sha-256 "
           "4E:1B:6A:BE:45:2A:5F:46:3D:8F:9C:32:4A:A1:0B:E7:9E:2F:CB:96:AC:11:D3:1C:57:E0:0A:B6:73:3E:51:0D\r\n";
    m += "a=setup:" + std::string(setup) + "\r\n";
    m += "a=mid:" + std::string(mid) + "\r\n";
    if (kind == "audio") m += "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n";
    m += "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n";
    if (transport_cc)
      m += "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";
    m += "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n";
    m += "a=" + std::string(direction) + "\r\n";
    m += "a=rtcp-mux\r\n"
         "a=rtcp-rsize\r\n";
    if (kind == "audio") {
      if (red)
        m += "a=rtpmap:63 red/48000/2\r\n"
             "a=fmtp:63 111/111\r\n";
      m += "a=rtpmap:111 opus/48000/2\r\n";
      if (transport_cc) m += "a=rtcp-fb:111 transport-cc\r\n";
      m += "a=fmtp:111 minptime=10;useinbandfec=1\r\n";
    } else {
      m += "a=rtpmap:96 VP8/90000\r\n"
           "a=rtcp-fb:96 goog-remb\r\n";
      if (transport_cc) m += "a=rtcp-fb:96 transport-cc\r\n";
      m += "a=rtcp-fb:96 ccm fir\r\n"
           "a=rtcp-fb:96 nack\r\n"
           "a=rtcp-fb:96 nack pli\r\n"
           "a=rtpmap:97 rtx/90000\r\n"
           "a=fmtp:97 apt=96\r\n";
    }
    return m;
  };
  s += section("audio", "0", "recvonly");
  s += section("video", "1", "recvonly");
  s += section("video", "2", "inactive");
  return s;
}

sdp::SessionDescription parsed(const std::string& text) {
  auto p = sdp::parse(text);
  EXPECT_TRUE(p) << (p ? "" : p.error().to_string()) << "\n" << text;
  return p ? *p : sdp::SessionDescription{};
}

TEST(SendAnswer, AcceptsAChromiumAnswer) {
  const auto answer = parsed(chromium_answer());
  auto read = read_send_answer(answer, 3);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->remote_ice.ufrag, "Wq9z");
  EXPECT_EQ(read->remote_ice.pwd, "pU7e9mBq2CkVJ2iQhXQ5x8Zr");
  EXPECT_EQ(read->remote_fingerprint.algorithm, "sha-256");
  EXPECT_EQ(read->remote_fingerprint.hex(),
            "4E:1B:6A:BE:45:2A:5F:46:3D:8F:9C:32:4A:A1:0B:E7:9E:2F:CB:96:AC:11:D3:1C:57:E0:0A:B6:73:3E:51:0D");
  // setup:active: the browser is the DTLS client, we the server.
  EXPECT_EQ(read->our_dtls_role, dtls::Role::server);
  EXPECT_TRUE(read->transport_cc);
}

TEST(SendAnswer, RedIsReadPerSection) {
  // Chromium keeps red in its answer: only the audio section has it.
  auto read = read_send_answer(parsed(chromium_answer()), 3);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->red, (std::vector<bool>{true, false, false}));
  // An answer without red (a client that only does opus).
  auto plain = read_send_answer(parsed(chromium_answer("active", true, true, true, false)), 3);
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->red, (std::vector<bool>{false, false, false}));
}

TEST(SendAnswer, RedUnderAnotherPayloadTypeOrOverAnotherCodecIsNotOurs) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"a=rtpmap:63 red/48000/2", "a=rtpmap:63 red/8000"},
           {"a=fmtp:63 111/111", "a=fmtp:63 0/0"}}) {
    SCOPED_TRACE(to);
    std::string text = chromium_answer();
    text.replace(text.find(from), from.size(), to);
    auto read = read_send_answer(parsed(text), 3);
    ASSERT_TRUE(read) << read.error();
    EXPECT_EQ(read->red, (std::vector<bool>{false, false, false}));
  }
}

TEST(SendAnswer, AnswerOfOurOwnOfferTextWorks) {
  // The answer mirrors what build_send_offer produced: the section count is
  // what the SFU passes in.
  const auto offer = offer_text_parsed();
  const auto answer = parsed(chromium_answer());
  EXPECT_TRUE(read_send_answer(answer, offer.media.size()));
}

TEST(SendAnswer, PassiveAnswerMakesUsTheDtlsClient) {
  auto read = read_send_answer(parsed(chromium_answer("passive")), 3);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->our_dtls_role, dtls::Role::client);
}

TEST(SendAnswer, WithoutTransportCcItIsRembOnly) {
  auto read = read_send_answer(parsed(chromium_answer("active", true, true, false)), 3);
  ASSERT_TRUE(read) << read.error();
  EXPECT_FALSE(read->transport_cc);
}

TEST(SendAnswer, RejectsAWrongSectionCount) {
  const auto answer = parsed(chromium_answer());
  for (std::size_t offered : {2u, 4u, 0u}) {
    auto read = read_send_answer(answer, offered);
    ASSERT_FALSE(read) << offered;
    EXPECT_NE(read.error().find("m= section"), std::string::npos) << read.error();
  }
}

TEST(SendAnswer, RejectsAnEmptyAnswer) {
  sdp::SessionDescription empty;
  EXPECT_FALSE(read_send_answer(empty, 0));
}

TEST(SendAnswer, RejectsMissingIceCredentials) {
  auto read = read_send_answer(parsed(chromium_answer("active", false)), 3);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().find("ice"), std::string::npos) << read.error();
}

TEST(SendAnswer, RejectsInvalidIceCredentials) {
  auto answer = parsed(chromium_answer());
  for (auto& m : answer.media) m.ice_pwd = "short";
  auto read = read_send_answer(answer, 3);
  ASSERT_FALSE(read);
}

TEST(SendAnswer, RejectsMissingFingerprint) {
  auto read = read_send_answer(parsed(chromium_answer("active", true, false)), 3);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().find("fingerprint"), std::string::npos) << read.error();
}

TEST(SendAnswer, RejectsSetupActpass) {
  auto read = read_send_answer(parsed(chromium_answer("actpass")), 3);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().find("setup"), std::string::npos) << read.error();
}

TEST(SendAnswer, SessionLevelCredentialsAndFingerprintAreUsed) {
  // Some clients put ICE and DTLS at session level (RFC 8839 §5.4).
  auto answer = parsed(chromium_answer());
  answer.ice_ufrag = answer.media[0].ice_ufrag;
  answer.ice_pwd = answer.media[0].ice_pwd;
  answer.fingerprints = answer.media[0].fingerprints;
  answer.setup = sdp::Setup::Active;
  for (auto& m : answer.media) {
    m.ice_ufrag.reset();
    m.ice_pwd.reset();
    m.fingerprints.clear();
    m.setup.reset();
  }
  auto read = read_send_answer(parsed(sdp::serialize(answer)), 3);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->remote_ice.ufrag, "Wq9z");
  EXPECT_EQ(read->remote_fingerprint.algorithm, "sha-256");
}

}  // namespace
}  // namespace parley::rtc
