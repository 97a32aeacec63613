// rtc::answer_for with `sfu_publisher`: the answer to a browser's publisher
// connection, against the real Chromium offers in tests/unit/sdp/fixtures
// (chromium_simulcast.sdp: one VP8 section with a=simulcast:send q;h;f).
// What the browser notices: it may send all three layers (a=rid recv +
// a=simulcast:recv), RTX and transport-cc survive, and we send nothing back.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "dtls/certificate.hpp"
#include "rtc/answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace parley::rtc {
namespace {

std::string fixture_text(const std::string& name) {
  std::ifstream in(std::string(PARLEY_SDP_FIXTURES) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

sdp::SessionDescription parsed_offer(const std::string& text, const std::string& what) {
  auto parsed = sdp::parse(text);
  EXPECT_TRUE(parsed) << what << ": " << (parsed ? "" : parsed.error().to_string());
  return parsed ? *parsed : sdp::SessionDescription{};
}

sdp::SessionDescription fixture(const std::string& name) { return parsed_offer(fixture_text(name), name); }

// The fixture with one line of it replaced (the line must be there).
sdp::SessionDescription fixture_with(const std::string& name, const std::string& line, const std::string& by) {
  std::string text = fixture_text(name);
  const auto at = text.find(line);
  EXPECT_NE(at, std::string::npos) << line;
  if (at != std::string::npos) text.replace(at, line.size(), by);
  return parsed_offer(text, name);
}

AnswerOptions options(bool sfu_publisher) {
  AnswerOptions o;
  o.ice = {"abcdEFGHijklMNOP", "0123456789abcdefghijklmnopqrstuv"};
  auto cert = dtls::Certificate::process_certificate();
  EXPECT_TRUE(cert);
  o.fingerprint = (*cert)->fingerprint();
  o.candidates.push_back(ice::make_host_candidate(*stun::SocketAddress::from_string("127.0.0.1", 40000),
                                                  ice::TransportProtocol::Udp));
  o.cname = "cname1";
  o.stream_id = sfu_publisher ? "parley-sfu" : "parley-echo";
  o.session_id = 42;
  o.ssrc_seed = 7;
  o.sfu_publisher = sfu_publisher;
  return o;
}

// The answer as the browser reads it: serialized and parsed back.
sdp::SessionDescription reparsed(const Answer& a, std::string* text = nullptr) {
  const std::string s = sdp::serialize(a.description);
  if (text) *text = s;
  auto p = sdp::parse(s);
  EXPECT_TRUE(p) << (p ? "" : p.error().to_string()) << "\n" << s;
  return p ? *p : sdp::SessionDescription{};
}

std::vector<std::string> rid_ids(const sdp::MediaSection& m) {
  std::vector<std::string> out;
  for (const auto& r : m.rids) out.push_back(r.id);
  return out;
}

std::vector<std::string> simulcast_recv(const sdp::MediaSection& m) {
  std::vector<std::string> out;
  if (!m.simulcast) return out;
  for (const auto& alt : m.simulcast->recv)
    for (const auto& s : alt) out.push_back(s.rid);
  return out;
}

TEST(SfuPublisherAnswer, SimulcastOfferIsAcceptedAsRecvOnlyWithEveryRid) {
  const auto offer = fixture("chromium_simulcast.sdp");
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  std::string text;
  const auto d = reparsed(*answer, &text);
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  EXPECT_NE(m.port, 0);
  EXPECT_EQ(m.mid, "0");
  EXPECT_EQ(m.effective_direction(), sdp::Direction::RecvOnly);
  EXPECT_TRUE(m.ssrcs.empty()) << "we send nothing on the publisher connection";
  EXPECT_TRUE(m.msids.empty());

  // RFC 8853 §5.3: a=rid:<id> recv for each offered rid, and the list
  // reversed in the offer's order.
  EXPECT_EQ(rid_ids(m), (std::vector<std::string>{"q", "h", "f"})) << text;
  for (const auto& r : m.rids) EXPECT_EQ(r.direction, sdp::RidDirection::Recv) << r.id;
  ASSERT_TRUE(m.simulcast) << text;
  EXPECT_TRUE(m.simulcast->send.empty());
  EXPECT_EQ(simulcast_recv(m), (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_NE(text.find("a=simulcast:recv q;h;f\r\n"), std::string::npos) << text;
  for (const char* rid : {"q", "h", "f"})
    EXPECT_NE(text.find(std::string("a=rid:") + rid + " recv\r\n"), std::string::npos) << text;
  EXPECT_EQ(answer->sections.at(0).rids, (std::vector<std::string>{"q", "h", "f"}));
}

TEST(SfuPublisherAnswer, RtxAndCongestionControlFeedbackAreKept) {
  const auto offer = fixture("chromium_simulcast.sdp");
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  const auto d = reparsed(*answer);
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  ASSERT_EQ(m.codecs.size(), 2u);
  const auto& vp8 = m.codecs[0];
  EXPECT_TRUE(vp8.is("VP8"));
  EXPECT_EQ(vp8.payload_type, 96);  // the offer's
  EXPECT_TRUE(vp8.has_feedback("transport-cc"));
  EXPECT_TRUE(vp8.has_feedback("goog-remb"));
  EXPECT_TRUE(vp8.has_feedback("nack"));
  EXPECT_TRUE(vp8.has_feedback("nack", "pli"));
  EXPECT_TRUE(vp8.has_feedback("ccm", "fir"));
  const auto& rtx = m.codecs[1];
  EXPECT_TRUE(rtx.is("rtx"));
  EXPECT_EQ(rtx.payload_type, 97);
  EXPECT_EQ(rtx.apt(), std::optional<std::uint8_t>(96));
  EXPECT_EQ(answer->sections.at(0).payload_type, 96);
  EXPECT_EQ(answer->sections.at(0).rtx_payload_type, std::optional<std::uint8_t>(97));
  EXPECT_EQ(answer->sections.at(0).codec, "VP8");
  EXPECT_EQ(answer->sections.at(0).clock_rate, 90000u);
}

TEST(SfuPublisherAnswer, RidRepairedRidAndTransportCcExtensionsAreKeptWithTheOffersIds) {
  const auto offer = fixture("chromium_simulcast.sdp");
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  const auto d = reparsed(*answer);
  const auto& m = d.media.at(0);
  EXPECT_EQ(m.extmap_id(kUriRid), std::optional<std::uint16_t>(10));
  EXPECT_EQ(m.extmap_id(kUriRepairedRid), std::optional<std::uint16_t>(11));
  EXPECT_EQ(m.extmap_id(kUriTransportCc), std::optional<std::uint16_t>(4));
  EXPECT_EQ(m.extmap_id(kUriMid), std::optional<std::uint16_t>(9));
  EXPECT_EQ(m.extmap_id(kUriAbsSendTime), std::optional<std::uint16_t>(2));
  // Nothing the SFU does not read.
  EXPECT_FALSE(m.extmap_id("urn:ietf:params:rtp-hdrext:toffset"));
  EXPECT_FALSE(m.extmap_id("urn:3gpp:video-orientation"));
  EXPECT_FALSE(m.extmap_id("http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"));
  EXPECT_EQ(m.extmaps.size(), 5u);
  // The section's info lists the same.
  const auto& ext = answer->sections.at(0).extensions;
  EXPECT_TRUE(std::ranges::any_of(ext, [](const sdp::Extmap& e) { return e.uri == kUriRid && e.id == 10; }));
  EXPECT_EQ(answer->sections.at(0).mid_extension_id, 9);
}

TEST(SfuPublisherAnswer, SimulcastRecvFollowsTheOffersOrder) {
  auto offer = fixture("chromium_simulcast.sdp");
  auto& m = offer.media.at(0);
  ASSERT_TRUE(m.simulcast);
  std::ranges::reverse(m.simulcast->send);  // f;h;q
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  std::string text;
  const auto d = reparsed(*answer, &text);
  EXPECT_EQ(simulcast_recv(d.media.at(0)), (std::vector<std::string>{"f", "h", "q"}));
  EXPECT_NE(text.find("a=simulcast:recv f;h;q\r\n"), std::string::npos) << text;
  EXPECT_EQ(answer->sections.at(0).rids, (std::vector<std::string>{"f", "h", "q"}));
}

TEST(SfuPublisherAnswer, ASimulcastStreamWithoutItsRidLineIsLeftOut) {
  auto offer = fixture("chromium_simulcast.sdp");
  auto& m = offer.media.at(0);
  std::erase_if(m.rids, [](const sdp::Rid& r) { return r.id == "h"; });
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  const auto d = reparsed(*answer);
  EXPECT_EQ(simulcast_recv(d.media.at(0)), (std::vector<std::string>{"q", "f"}));
  EXPECT_EQ(rid_ids(d.media.at(0)), (std::vector<std::string>{"q", "f"}));
}

TEST(SfuPublisherAnswer, SendRecvAudioVideoOfferIsAnsweredRecvOnlyWithoutOurSsrcs) {
  const auto offer = fixture("chromium_audio_video.sdp");
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  const auto d = reparsed(*answer);
  ASSERT_EQ(d.media.size(), 2u);
  for (const auto& m : d.media) {
    EXPECT_EQ(m.effective_direction(), sdp::Direction::RecvOnly);
    EXPECT_TRUE(m.ssrcs.empty());
    EXPECT_FALSE(m.simulcast);
    EXPECT_TRUE(m.rids.empty());
  }
  for (const auto& s : answer->sections) {
    EXPECT_EQ(s.direction, sdp::Direction::RecvOnly);
    EXPECT_FALSE(s.local_ssrc);
  }
  // Audio keeps transport-cc (feedback and extension) but no rid
  // extensions; red (RFC 2198) comes before opus.
  const auto& audio = d.media[0];
  ASSERT_EQ(audio.codecs.size(), 2u);
  EXPECT_TRUE(audio.codecs[0].is("red"));
  EXPECT_TRUE(audio.codecs[1].is("opus"));
  EXPECT_TRUE(audio.codecs[1].has_feedback("transport-cc"));
  EXPECT_EQ(audio.extmap_id(kUriTransportCc), std::optional<std::uint16_t>(3));
  EXPECT_FALSE(audio.extmap_id(kUriRid));
  // Video: RTX by the offer's FID, remote SSRCs without the repair SSRC.
  const auto& video = d.media[1];
  ASSERT_EQ(video.codecs.size(), 2u);
  EXPECT_TRUE(video.codecs[1].is("rtx"));
  EXPECT_EQ(video.extmap_id(kUriRid), std::optional<std::uint16_t>(10));
  EXPECT_EQ(answer->sections[1].remote_ssrcs, (std::vector<std::uint32_t>{1885297460u}));
}

// Chromium offers red/48000/2 over its opus (a=fmtp:63 111/111) but sends it
// only when the answer lists red before opus (its voice engine takes red
// only ahead of the send codec).
TEST(SfuPublisherAnswer, ChromiumRedIsKeptBeforeOpus) {
  const auto offer = fixture("chromium_audio_video.sdp");
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  std::string text;
  const auto d = reparsed(*answer, &text);
  // The m= line's order is the preference order (RFC 3264 §6.1).
  EXPECT_NE(text.find("m=audio 40000 UDP/TLS/RTP/SAVPF 63 111\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=rtpmap:63 red/48000/2\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=fmtp:63 111/111\r\n"), std::string::npos) << text;
  const auto& audio = d.media.at(0);
  ASSERT_EQ(audio.codecs.size(), 2u);
  EXPECT_EQ(audio.codecs[0].payload_type, 63);
  EXPECT_EQ(audio.codecs[0].channels, 2u);
  EXPECT_TRUE(audio.codecs[0].rtcp_fb.empty());
  EXPECT_EQ(audio.codecs[1].payload_type, 111);
  EXPECT_EQ(audio.codecs[1].fmtp_value("useinbandfec"), "1") << "Opus in-band FEC stays on";
  const auto& s = answer->sections.at(0);
  EXPECT_EQ(s.payload_type, 111) << "opus stays the codec of the section";
  EXPECT_EQ(s.codec, "opus");
  EXPECT_EQ(s.red_payload_type, std::optional<std::uint8_t>(63));
  // Video's red/90000 (Chromium's ulpfec wrapper) is not audio redundancy.
  EXPECT_FALSE(answer->sections.at(1).red_payload_type);
  EXPECT_EQ(text.find("red/90000"), std::string::npos) << text;
}

TEST(SfuPublisherAnswer, RedOverAnotherPayloadTypeThanOpusIsLeftOut) {
  // Blocks of PCMU (0), a mix of opus and G722 (9), no fmtp at all, and
  // red at another rate: none carries only the chosen opus.
  for (const std::string by : {"a=fmtp:63 0/0", "a=fmtp:63 111/9", "a=fmtp:63 110/110", "a=fmtp:63 111/abc", ""}) {
    SCOPED_TRACE(by);
    const auto offer = fixture_with("chromium_audio_video.sdp", "a=fmtp:63 111/111\r\n", by.empty() ? "" : by + "\r\n");
    auto answer = answer_for(offer, options(true));
    ASSERT_TRUE(answer) << answer.error();
    std::string text;
    const auto d = reparsed(*answer, &text);
    const auto& audio = d.media.at(0);
    ASSERT_EQ(audio.codecs.size(), 1u) << text;
    EXPECT_TRUE(audio.codecs[0].is("opus"));
    EXPECT_NE(text.find("m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("red/"), std::string::npos) << text;
    EXPECT_FALSE(answer->sections.at(0).red_payload_type);
  }
  const auto mono = fixture_with("chromium_audio_video.sdp", "a=rtpmap:63 red/48000/2", "a=rtpmap:63 red/48000");
  auto answer = answer_for(mono, options(true));
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_FALSE(answer->sections.at(0).red_payload_type);
}

TEST(SfuSubscriberAnswer, AWhepViewersRedIsKeptWithItsPayloadType) {
  // A viewer numbering its codecs its own way: the answer keeps its
  // numbers, and the section reports them for the forwarder.
  auto offer = fixture("chromium_audio_video.sdp");
  auto& audio = offer.media.at(0);
  for (auto& c : audio.codecs) {
    if (c.is("opus")) c.payload_type = 109;
    if (c.is("red")) {
      c.payload_type = 121;
      c.fmtp_raw = "109/109";
      c.fmtp = {{"109/109", ""}};
    }
  }
  auto o = options(false);
  o.sfu_subscriber = true;
  auto answer = answer_for(offer, o);
  ASSERT_TRUE(answer) << answer.error();
  std::string text;
  reparsed(*answer, &text);
  EXPECT_NE(text.find("SAVPF 121 109\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=fmtp:121 109/109\r\n"), std::string::npos) << text;
  const auto& s = answer->sections.at(0);
  EXPECT_EQ(s.payload_type, 109);
  EXPECT_EQ(s.red_payload_type, std::optional<std::uint8_t>(121));
  EXPECT_TRUE(s.local_ssrc) << "we send on it";
}

TEST(SfuPublisherAnswer, InactiveOrRecvOnlyOfferSectionIsInactive) {
  auto offer = fixture("chromium_audio_video.sdp");
  offer.media[0].direction = sdp::Direction::RecvOnly;  // the browser wants to receive only
  offer.media[1].direction = sdp::Direction::Inactive;
  auto answer = answer_for(offer, options(true));
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->description.media[0].direction, sdp::Direction::Inactive);
  EXPECT_EQ(answer->description.media[1].direction, sdp::Direction::Inactive);
}

// --- without sfu_publisher: the echo endpoint's answer is what it was -----

TEST(EchoAnswerUnchanged, SimulcastOfferGetsNoSimulcastNoRtxNoTransportCc) {
  const auto offer = fixture("chromium_simulcast.sdp");
  auto answer = answer_for(offer, options(false));
  ASSERT_TRUE(answer) << answer.error();
  std::string text;
  const auto d = reparsed(*answer, &text);
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  EXPECT_FALSE(m.simulcast) << text;
  EXPECT_TRUE(m.rids.empty()) << text;
  EXPECT_EQ(text.find("a=simulcast"), std::string::npos) << text;
  EXPECT_EQ(text.find("a=rid:"), std::string::npos) << text;
  ASSERT_EQ(m.codecs.size(), 1u);
  EXPECT_TRUE(m.codecs[0].is("VP8"));
  EXPECT_FALSE(m.codecs[0].has_feedback("transport-cc"));
  EXPECT_FALSE(m.codecs[0].has_feedback("goog-remb"));
  EXPECT_FALSE(m.extmap_id(kUriRid));
  EXPECT_FALSE(m.extmap_id(kUriRepairedRid));
  EXPECT_FALSE(m.extmap_id(kUriTransportCc));
  EXPECT_TRUE(answer->sections[0].rids.empty());
  EXPECT_FALSE(answer->sections[0].rtx_payload_type);
  // A sendonly offer is mirrored: recvonly.
  EXPECT_EQ(m.effective_direction(), sdp::Direction::RecvOnly);
}

TEST(EchoAnswerUnchanged, TheEchoAnswersOpusWithoutRed) {
  // The echo sends back what it receives under the section's one payload
  // type; red stays an SFU matter.
  const auto offer = fixture("chromium_audio_video.sdp");
  auto answer = answer_for(offer, options(false));
  ASSERT_TRUE(answer) << answer.error();
  std::string text;
  reparsed(*answer, &text);
  EXPECT_EQ(text.find("red/48000"), std::string::npos) << text;
  EXPECT_FALSE(answer->sections.at(0).red_payload_type);
}

TEST(EchoAnswerUnchanged, SendRecvOfferStaysSendRecvWithOurSsrcs) {
  const auto offer = fixture("chromium_audio_video.sdp");
  auto answer = answer_for(offer, options(false));
  ASSERT_TRUE(answer) << answer.error();
  const auto d = reparsed(*answer);
  ASSERT_EQ(d.media.size(), 2u);
  for (const auto& m : d.media) {
    EXPECT_EQ(m.effective_direction(), sdp::Direction::SendRecv);
    EXPECT_FALSE(m.ssrcs.empty());
    EXPECT_FALSE(m.simulcast);
    EXPECT_EQ(m.codecs.size(), 1u);
    EXPECT_FALSE(m.extmap_id(kUriTransportCc));
  }
  EXPECT_FALSE(d.media[0].codecs[0].has_feedback("transport-cc"));
}

TEST(SfuPublisherAnswer, OnlyTheAnswerDiffersFromTheEchoOne) {
  // The same offer, both modes: transport parameters are identical.
  const auto offer = fixture("chromium_simulcast.sdp");
  auto sfu = answer_for(offer, options(true));
  auto echo = answer_for(offer, options(false));
  ASSERT_TRUE(sfu && echo);
  EXPECT_EQ(sfu->remote_ice, echo->remote_ice);
  EXPECT_EQ(sfu->remote_fingerprint, echo->remote_fingerprint);
  EXPECT_EQ(sfu->dtls_role, echo->dtls_role);
  EXPECT_EQ(sfu->remote_ice.ufrag, "TV5R");
  const auto& a = sfu->description.media.at(0);
  EXPECT_EQ(a.setup, sdp::Setup::Passive);
  EXPECT_TRUE(a.rtcp_mux);
  EXPECT_TRUE(sfu->description.ice_lite);
}

}  // namespace
}  // namespace parley::rtc
