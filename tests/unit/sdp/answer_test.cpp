// Building an answer the way Parley's SFU will: ice-lite, setup:passive,
// receiving the offerer's three simulcast layers.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

Codec make_codec(std::uint8_t pt, std::string name, std::uint32_t rate, std::vector<Parameter> fmtp = {},
                 std::vector<RtcpFeedback> fb = {}) {
  Codec c;
  c.payload_type = pt;
  c.name = std::move(name);
  c.clock_rate = rate;
  c.fmtp = std::move(fmtp);
  c.rtcp_fb = std::move(fb);
  return c;
}

SessionDescription make_answer() {
  SessionDescription sd;
  sd.origin.session_id = "4611686018427387904";
  sd.origin.session_version = 1;
  sd.groups.push_back({"BUNDLE", {"0"}});
  sd.ice_lite = true;
  sd.msid_semantic = MsidSemantic{"WMS", {}};

  MediaSection m;
  m.kind = MediaKind::Video;
  m.port = 9;
  m.protocol = "UDP/TLS/RTP/SAVPF";
  m.connection = Connection{"IN", "IP4", "0.0.0.0"};
  Candidate host;
  host.foundation = "1";
  host.component = 1;
  host.transport = "udp";
  host.priority = 2130706431;
  host.address = "192.0.2.10";
  host.port = 40000;
  host.type = CandidateType::Host;
  m.candidates.push_back(host);
  m.end_of_candidates = true;
  m.ice_ufrag = "srvU";
  m.ice_pwd = "serverpasswordserverpw";
  m.fingerprints.push_back({"sha-256", "01:23:45:67:89:AB:CD:EF"});
  m.setup = Setup::Passive;
  m.mid = "0";
  m.extmaps.push_back({4, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""});
  m.extmaps.push_back({10, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", ""});
  m.extmaps.push_back({11, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", ""});
  m.direction = Direction::RecvOnly;
  m.rtcp_mux = true;
  m.rtcp_rsize = true;
  m.codecs.push_back(make_codec(96, "VP8", 90000, {},
                                {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}}));
  m.codecs.push_back(make_codec(97, "rtx", 90000, {{"apt", "96"}}));
  for (const char* rid : {"q", "h", "f"}) m.rids.push_back(Rid{rid, RidDirection::Recv, {}, {}});
  m.simulcast = Simulcast{{}, {{{"q", false}}, {{"h", false}}, {{"f", false}}}};
  sd.media.push_back(std::move(m));
  return sd;
}

TEST(Answer, WritesTheExpectedText) {
  const std::string expected =
      "v=0\r\n"
      "o=- 4611686018427387904 1 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "a=ice-lite\r\n"
      "a=msid-semantic: WMS\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"
      "a=end-of-candidates\r\n"
      "a=ice-ufrag:srvU\r\n"
      "a=ice-pwd:serverpasswordserverpw\r\n"
      "a=fingerprint:sha-256 01:23:45:67:89:AB:CD:EF\r\n"
      "a=setup:passive\r\n"
      "a=mid:0\r\n"
      "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
      "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
      "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
      "a=recvonly\r\n"
      "a=rtcp-mux\r\n"
      "a=rtcp-rsize\r\n"
      "a=rtpmap:96 VP8/90000\r\n"
      "a=rtcp-fb:96 goog-remb\r\n"
      "a=rtcp-fb:96 transport-cc\r\n"
      "a=rtcp-fb:96 ccm fir\r\n"
      "a=rtcp-fb:96 nack\r\n"
      "a=rtcp-fb:96 nack pli\r\n"
      "a=rtpmap:97 rtx/90000\r\n"
      "a=fmtp:97 apt=96\r\n"
      "a=rid:q recv\r\n"
      "a=rid:h recv\r\n"
      "a=rid:f recv\r\n"
      "a=simulcast:recv q;h;f\r\n";
  SessionDescription answer = make_answer();
  EXPECT_EQ(serialize(answer), expected);
  // Parsing fills what the builder left to the writer (m= formats, fmtp_raw),
  // so compare through the text.
  EXPECT_EQ(serialize(parse_ok(expected)), expected);
}

// Derives the answer from Chromium's simulcast offer with the helpers an SFU
// would use: reversed rids and simulcast, the offer's VP8 and its rtx.
TEST(Answer, FromChromiumSimulcastOffer) {
  SessionDescription offer = parse_ok(load_fixture("chromium_simulcast.sdp"));
  ASSERT_EQ(offer.media.size(), 1u);
  const MediaSection& o = offer.media[0];

  SessionDescription answer;
  answer.origin.session_id = "1";
  answer.ice_lite = true;
  answer.groups.push_back(*offer.bundle_group());
  MediaSection m;
  m.kind = o.kind;
  m.protocol = o.protocol;
  m.connection = Connection{};
  m.mid = o.mid;
  m.ice_ufrag = "srvU";
  m.ice_pwd = "serverpasswordserverpw";
  m.fingerprints.push_back({"sha-256", "AA:BB"});
  m.setup = Setup::Passive;
  m.direction = reversed(o.effective_direction());
  m.rtcp_mux = o.rtcp_mux;
  m.rtcp_rsize = o.rtcp_rsize;
  for (const char* uri : {"urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"}) {
    m.extmaps.push_back({*o.extmap_id(uri), std::nullopt, uri, ""});
  }
  const Codec* vp8 = o.find_codec("VP8");
  ASSERT_NE(vp8, nullptr);
  m.codecs.push_back(*vp8);
  m.codecs.push_back(*o.find_codec(*o.rtx_payload_type(vp8->payload_type)));
  for (Rid rid : o.rids) {
    rid.direction = reversed(rid.direction);
    m.rids.push_back(rid);
  }
  m.simulcast = reversed(*o.simulcast);
  answer.media.push_back(std::move(m));

  std::string text = serialize(answer);
  auto lines = lines_of(text);
  auto has = [&](const std::string& line) { return std::find(lines.begin(), lines.end(), line) != lines.end(); };
  EXPECT_TRUE(has("a=ice-lite"));
  EXPECT_TRUE(has("a=setup:passive"));
  EXPECT_TRUE(has("a=recvonly"));
  EXPECT_TRUE(has("a=group:BUNDLE 0"));
  EXPECT_TRUE(has("m=video 9 UDP/TLS/RTP/SAVPF 96 97"));
  EXPECT_TRUE(has("a=rtpmap:96 VP8/90000"));
  EXPECT_TRUE(has("a=rtcp-fb:96 nack pli"));
  EXPECT_TRUE(has("a=fmtp:97 apt=96"));
  EXPECT_TRUE(has("a=rid:q recv"));
  EXPECT_TRUE(has("a=rid:h recv"));
  EXPECT_TRUE(has("a=rid:f recv"));
  EXPECT_TRUE(has("a=simulcast:recv q;h;f"));
  EXPECT_FALSE(has("a=simulcast:send q;h;f"));

  EXPECT_EQ(serialize(parse_ok(text)), text);
}

TEST(Answer, DirectionHelpers) {
  EXPECT_EQ(reversed(Direction::SendOnly), Direction::RecvOnly);
  EXPECT_EQ(reversed(Direction::RecvOnly), Direction::SendOnly);
  EXPECT_EQ(reversed(Direction::SendRecv), Direction::SendRecv);
  EXPECT_EQ(reversed(Direction::Inactive), Direction::Inactive);
  EXPECT_EQ(to_string(Setup::Passive), "passive");
  EXPECT_EQ(to_string(MediaKind::Application), "application");
}

}  // namespace
}  // namespace parley::sdp::test
