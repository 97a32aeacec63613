#include "rtc/answer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "dtls/certificate.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace parley::rtc {
namespace {

sdp::SessionDescription fixture(const std::string& name) {
  std::ifstream in(std::string(PARLEY_SDP_FIXTURES) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = sdp::parse(ss.str());
  EXPECT_TRUE(parsed) << name << ": " << (parsed ? "" : parsed.error().to_string());
  return parsed ? *parsed : sdp::SessionDescription{};
}

AnswerOptions options() {
  AnswerOptions o;
  o.ice = {"abcdEFGHijklMNOP", "0123456789abcdefghijklmnopqrstuv"};
  auto cert = dtls::Certificate::process_certificate();
  EXPECT_TRUE(cert);
  o.fingerprint = (*cert)->fingerprint();
  o.candidates.push_back(ice::make_host_candidate(*stun::SocketAddress::from_string("127.0.0.1", 40000),
                                                  ice::TransportProtocol::Udp));
  o.cname = "cname1";
  o.stream_id = "parley-echo";
  o.session_id = 42;
  o.ssrc_seed = 7;
  return o;
}

TEST(Answer, ChromiumAudioVideo) {
  const auto offer = fixture("chromium_audio_video.sdp");
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  const auto& d = answer->description;

  EXPECT_TRUE(d.ice_lite);
  ASSERT_NE(d.bundle_group(), nullptr);
  EXPECT_EQ(d.bundle_group()->mids, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(d.media.size(), 2u);
  ASSERT_EQ(answer->sections.size(), 2u);

  const auto& audio = d.media[0];
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.kind, sdp::MediaKind::Audio);
  ASSERT_EQ(audio.codecs.size(), 1u);
  EXPECT_TRUE(audio.codecs[0].is("opus"));
  EXPECT_EQ(audio.codecs[0].payload_type, 111);
  EXPECT_EQ(audio.extmap_id(kUriAudioLevel), 1);
  EXPECT_EQ(audio.extmap_id(kUriAbsSendTime), 2);
  EXPECT_EQ(audio.extmap_id(kUriMid), 4);
  EXPECT_FALSE(audio.extmap_id("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"));

  const auto& video = d.media[1];
  EXPECT_EQ(video.mid, "1");
  ASSERT_EQ(video.codecs.size(), 1u);
  EXPECT_TRUE(video.codecs[0].is("VP8"));
  EXPECT_EQ(video.codecs[0].payload_type, 96);
  EXPECT_TRUE(video.codecs[0].has_feedback("nack", "pli"));
  EXPECT_TRUE(video.codecs[0].has_feedback("ccm", "fir"));
  EXPECT_FALSE(video.codecs[0].has_feedback("transport-cc"));
  EXPECT_FALSE(video.extmap_id(kUriAudioLevel));

  const std::regex fp("([0-9A-F]{2}:){31}[0-9A-F]{2}");
  for (const auto& m : d.media) {
    EXPECT_NE(m.port, 0);
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_EQ(m.setup, sdp::Setup::Passive);
    EXPECT_EQ(m.direction, sdp::Direction::SendRecv);
    EXPECT_EQ(m.ice_ufrag, "abcdEFGHijklMNOP");
    EXPECT_EQ(m.ice_pwd, "0123456789abcdefghijklmnopqrstuv");
    ASSERT_EQ(m.fingerprints.size(), 1u);
    EXPECT_EQ(m.fingerprints[0].hash_function, "sha-256");
    EXPECT_TRUE(std::regex_match(m.fingerprints[0].value, fp)) << m.fingerprints[0].value;
    ASSERT_EQ(m.candidates.size(), 1u);
    EXPECT_EQ(m.candidates[0].address, "127.0.0.1");
    EXPECT_EQ(m.candidates[0].port, 40000);
    EXPECT_TRUE(m.end_of_candidates);
    EXPECT_EQ(m.msids.size(), 1u);
    EXPECT_FALSE(m.ssrcs.empty());
  }
  EXPECT_NE(d.media[0].ssrcs[0].ssrc, d.media[1].ssrcs[0].ssrc);
  EXPECT_EQ(answer->sections[0].local_ssrc, d.media[0].ssrcs[0].ssrc);
  EXPECT_EQ(answer->sections[0].remote_ssrcs, (std::vector<std::uint32_t>{1507217657u}));
  EXPECT_EQ(answer->sections[0].mid_extension_id, 4);
  EXPECT_EQ(answer->dtls_role, dtls::Role::server);
  EXPECT_EQ(answer->remote_ice.ufrag, "g8oL");
  EXPECT_EQ(answer->remote_fingerprint.algorithm, "sha-256");

  // The text parses back and says what Chromium needs to see.
  const std::string text = sdp::serialize(d);
  EXPECT_TRUE(sdp::parse(text)) << text;
  EXPECT_NE(text.find("a=ice-lite\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=setup:passive\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=end-of-candidates\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=group:BUNDLE 0 1\r\n"), std::string::npos);
  EXPECT_NE(text.find("a=fingerprint:sha-256 "), std::string::npos);
}

TEST(Answer, DataChannelOnlyOfferIsAccepted) {
  const auto offer = fixture("chromium_datachannel.sdp");
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  ASSERT_EQ(answer->description.media.size(), 1u);
  const auto& m = answer->description.media[0];
  EXPECT_EQ(m.kind, sdp::MediaKind::Application);
  EXPECT_NE(m.port, 0);
  EXPECT_EQ(m.protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_EQ(m.sctp_port, std::optional<std::uint16_t>(5000));
  EXPECT_EQ(m.max_message_size, std::optional<std::uint64_t>(262144));
  EXPECT_EQ(m.setup, sdp::Setup::Passive);
  EXPECT_FALSE(m.candidates.empty());
  EXPECT_TRUE(answer->sections[0].accepted);
  EXPECT_EQ(answer->sections[0].remote_sctp_port, std::optional<std::uint16_t>(5000));
  EXPECT_EQ(answer->description.bundle_group()->mids, (std::vector<std::string>{*offer.media[0].mid}));
  EXPECT_TRUE(sdp::parse(sdp::serialize(answer->description)));
}

TEST(Answer, ApplicationSectionNextToMediaIsAccepted) {
  auto offer = fixture("chromium_audio_video.sdp");
  const auto dc = fixture("chromium_datachannel.sdp");
  auto app = dc.media.at(0);
  app.mid = "2";
  app.sctp_port = 5001;
  app.max_message_size = 1000;
  offer.media.push_back(app);
  offer.groups[0].mids.push_back("2");
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  ASSERT_EQ(answer->description.media.size(), 3u);
  const auto& m = answer->description.media[2];
  EXPECT_EQ(m.kind, sdp::MediaKind::Application);
  EXPECT_NE(m.port, 0);
  EXPECT_EQ(m.mid, "2");
  EXPECT_EQ(m.sctp_port, std::optional<std::uint16_t>(5000));
  EXPECT_EQ(m.max_message_size, std::optional<std::uint64_t>(262144));
  EXPECT_TRUE(answer->sections[2].accepted);
  EXPECT_EQ(answer->sections[2].remote_sctp_port, std::optional<std::uint16_t>(5001));
  EXPECT_EQ(answer->sections[2].remote_max_message_size, 1000u);
  EXPECT_EQ(answer->description.bundle_group()->mids, (std::vector<std::string>{"0", "1", "2"}));
  const std::string text = sdp::serialize(answer->description);
  EXPECT_TRUE(sdp::parse(text));
  EXPECT_NE(text.find("m=application "), std::string::npos) << text;
  EXPECT_NE(text.find("a=sctp-port:5000\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=max-message-size:262144\r\n"), std::string::npos) << text;
}

TEST(Answer, SimulcastOfferGetsVp8) {
  const auto offer = fixture("chromium_simulcast.sdp");
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  ASSERT_EQ(answer->description.media.size(), 1u);
  EXPECT_TRUE(answer->description.media[0].codecs.at(0).is("VP8"));
}

TEST(Answer, NoCommonCodecRejectsThatSection) {
  auto offer = fixture("chromium_audio_video.sdp");
  auto& video = offer.media[1];
  std::erase_if(video.codecs, [](const sdp::Codec& c) { return c.is("VP8") || c.is("H264"); });
  video.formats.clear();
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->description.media[1].port, 0);
  EXPECT_FALSE(answer->sections[1].accepted);
  EXPECT_EQ(answer->sections[1].reject_reason, "no common codec");
  EXPECT_EQ(answer->description.bundle_group()->mids, (std::vector<std::string>{"0"}));
}

TEST(Answer, H264WhenNoVp8) {
  auto offer = fixture("chromium_audio_video.sdp");
  std::erase_if(offer.media[1].codecs, [](const sdp::Codec& c) { return c.is("VP8"); });
  offer.media[1].formats.clear();
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  const auto& c = answer->description.media[1].codecs.at(0);
  EXPECT_TRUE(c.is("H264"));
  EXPECT_EQ(c.fmtp_value("packetization-mode"), "1");
}

TEST(Answer, DirectionsAreMirrored) {
  auto offer = fixture("chromium_audio_video.sdp");
  offer.media[0].direction = sdp::Direction::SendOnly;
  offer.media[1].direction = sdp::Direction::RecvOnly;
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->description.media[0].direction, sdp::Direction::RecvOnly);
  EXPECT_TRUE(answer->description.media[0].ssrcs.empty());  // we send nothing there
  EXPECT_FALSE(answer->sections[0].local_ssrc);
  EXPECT_EQ(answer->description.media[1].direction, sdp::Direction::SendOnly);
}

TEST(Answer, PassiveOfferMakesUsActive) {
  auto offer = fixture("chromium_audio_video.sdp");
  for (auto& m : offer.media) m.setup = sdp::Setup::Passive;
  auto answer = answer_for(offer, options());
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->description.media[0].setup, sdp::Setup::Active);
  EXPECT_EQ(answer->dtls_role, dtls::Role::client);
}

TEST(Answer, MissingFingerprintOrIceIsAnError) {
  auto offer = fixture("chromium_audio_video.sdp");
  for (auto& m : offer.media) m.fingerprints.clear();
  offer.fingerprints.clear();
  auto a = answer_for(offer, options());
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("fingerprint"), std::string::npos);

  offer = fixture("chromium_audio_video.sdp");
  for (auto& m : offer.media) m.ice_pwd.reset();
  EXPECT_FALSE(answer_for(offer, options()));
}

}  // namespace
}  // namespace parley::rtc
