// serialize() then parse() gives the same description back; the text it
// writes has the same lines as Chromium's, CRLF-terminated.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

class FixtureRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureRoundTrip, ParseSerializeParseIsIdentity) {
  std::string text = load_fixture(GetParam());
  SessionDescription first = parse_ok(text);
  std::string written = serialize(first);
  SessionDescription second = parse_ok(written);
  EXPECT_EQ(first, second);
  EXPECT_EQ(serialize(second), written);  // stable
}

TEST_P(FixtureRoundTrip, WritesTheSameLinesWithCrlf) {
  std::string text = load_fixture(GetParam());
  std::string written = serialize(parse_ok(text));

  ASSERT_TRUE(written.ends_with("\r\n"));
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (written[i] == '\n') {
      ASSERT_GT(i, 0u);
      ASSERT_EQ(written[i - 1], '\r') << "bare LF at byte " << i;
    }
  }
  // Every line survives; only the order inside a section may differ.
  auto expected = lines_of(text);
  auto actual = lines_of(written);
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, expected);

  // Section boundaries stay where they were: the m= lines come in order and
  // the session part is before the first one.
  auto original_sections = values_with_prefix(lines_of(text), "m=");
  EXPECT_EQ(values_with_prefix(lines_of(written), "m="), original_sections);
  EXPECT_TRUE(written.starts_with("v=0\r\no="));
  for (int i = 0; i < static_cast<int>(original_sections.size()); ++i) {
    auto a = section_lines(text, i);
    auto b = section_lines(written, i);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << "section " << i;
  }
}

TEST_P(FixtureRoundTrip, LfOnlyAndNoFinalNewlineParseTheSame) {
  std::string text = load_fixture(GetParam());
  SessionDescription crlf = parse_ok(text);

  std::string lf;
  for (char c : text) {
    if (c != '\r') lf += c;
  }
  EXPECT_EQ(parse_ok(lf), crlf);

  std::string unterminated = text.substr(0, text.size() - 2);
  EXPECT_EQ(parse_ok(unterminated), crlf);
}

INSTANTIATE_TEST_SUITE_P(Chromium, FixtureRoundTrip, ::testing::ValuesIn(kFixtures),
                         [](const auto& info) {
                           std::string name = info.param;
                           name = name.substr(0, name.find('.'));
                           return name;
                         });

TEST(RoundTrip, EveryFieldSurvives) {
  // A hand-written description that sets something in every field.
  std::string text =
      "v=0\r\n"
      "o=alice 42 7 IN IP6 ::1\r\n"
      "s=call\r\n"
      "i=session info\r\n"
      "u=https://example.com/\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "b=CT:1000\r\n"
      "t=1 2\r\n"
      "r=604800 3600 0 90000\r\n"
      "k=prompt\r\n"
      "a=group:BUNDLE a v d\r\n"
      "a=group:LS a v\r\n"
      "a=ice-lite\r\n"
      "a=ice-ufrag:ABCD\r\n"
      "a=ice-pwd:abcdefghijklmnopqrstuv\r\n"
      "a=ice-options:trickle renomination\r\n"
      "a=fingerprint:sha-256 AB:CD:EF\r\n"
      "a=fingerprint:sha-1 01:02\r\n"
      "a=setup:passive\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=extmap:3/recvonly urn:example:session-ext\r\n"
      "a=msid-semantic: WMS s1 s2\r\n"
      "a=inactive\r\n"
      "a=end-of-candidates\r\n"
      "a=x-session-flag\r\n"
      "a=x-session-value:1 2 3\r\n"
      "m=audio 50000/2 UDP/TLS/RTP/SAVPF 111 0 101\r\n"
      "i=microphone\r\n"
      "c=IN IP4 192.0.2.1\r\n"
      "b=AS:64\r\n"
      "b=TIAS:64000\r\n"
      "a=candidate:1 1 UDP 2130706431 192.0.2.1 50000 typ host\r\n"
      "a=candidate:2 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 192.0.2.1 rport 50000 generation 0 ufrag ABCD\r\n"
      "a=candidate:3 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active\r\n"
      "a=candidate:4 1 udp 16777215 203.0.113.5 3478 typ relay raddr 198.51.100.7 rport 40000\r\n"
      "a=end-of-candidates\r\n"
      "a=ice-ufrag:EFGH\r\n"
      "a=ice-pwd:ABCDEFGHIJKLMNOPQRSTUV+/\r\n"
      "a=fingerprint:sha-256 00:11\r\n"
      "a=setup:active\r\n"
      "a=mid:a\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on\r\n"
      "a=extmap:2/sendonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
      "a=sendonly\r\n"
      "a=msid:stream track\r\n"
      "a=msid:other\r\n"
      "a=rtcp-mux\r\n"
      "a=rtcp-mux-only\r\n"
      "a=rtcp-rsize\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=rtcp-fb:111 transport-cc\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1;stereo\r\n"
      "a=rtcp-fb:0 nack\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=rtcp-fb:* ccm tmmbr smaxpr=120\r\n"
      "a=ssrc-group:FEC-FR 1 2\r\n"
      "a=ssrc:1 cname:abc\r\n"
      "a=ssrc:1 msid:stream track\r\n"
      "a=ssrc:2 flag\r\n"
      "a=x-media:value\r\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "a=mid:v\r\n"
      "a=bundle-only\r\n"
      "a=recvonly\r\n"
      "a=rtpmap:96 VP8/90000\r\n"
      "a=rtpmap:97 rtx/90000\r\n"
      "a=fmtp:97 apt=96\r\n"
      "a=rid:hi recv pt=96,97;max-width=1280;max-height=720;max-fps=30\r\n"
      "a=rid:lo recv\r\n"
      "a=rid:x send\r\n"
      "a=simulcast:recv hi,~lo send x\r\n"
      "a=ssrc-group:SIM 10 11 12\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=mid:d\r\n"
      "a=sctp-port:5000\r\n"
      "a=max-message-size:0\r\n"
      "m=text 9 RTP/AVP 98\r\n"
      "a=rtpmap:98 t140/1000\r\n";
  SessionDescription sd = parse_ok(text);
  ASSERT_EQ(sd.media.size(), 4u);

  EXPECT_EQ(sd.origin, (Origin{"alice", "42", 7, "IN", "IP6", "::1"}));
  EXPECT_EQ(sd.session_name, "call");
  EXPECT_EQ(sd.timing, (Timing{1, 2}));
  EXPECT_EQ(sd.lines, (std::vector<Line>{{'i', "session info"}, {'u', "https://example.com/"},
                                         {'r', "604800 3600 0 90000"}, {'k', "prompt"}}));
  EXPECT_EQ(sd.bandwidths, std::vector<Bandwidth>{(Bandwidth{"CT", 1000})});
  EXPECT_EQ(sd.groups.size(), 2u);
  EXPECT_EQ(sd.find_group("ls")->mids, (std::vector<std::string>{"a", "v"}));
  EXPECT_TRUE(sd.ice_lite);
  EXPECT_EQ(sd.ice_options, (std::vector<std::string>{"trickle", "renomination"}));
  EXPECT_EQ(sd.fingerprints.size(), 2u);
  EXPECT_EQ(sd.setup, Setup::Passive);
  EXPECT_EQ(sd.extmaps, std::vector<Extmap>{(Extmap{3, Direction::RecvOnly, "urn:example:session-ext", ""})});
  EXPECT_EQ(sd.msid_semantic, (MsidSemantic{"WMS", {"s1", "s2"}}));
  EXPECT_EQ(sd.direction, Direction::Inactive);
  EXPECT_TRUE(sd.end_of_candidates);
  EXPECT_EQ(sd.attributes, (std::vector<Attribute>{{"x-session-flag", std::nullopt}, {"x-session-value", "1 2 3"}}));

  const MediaSection& a = sd.media[0];
  EXPECT_EQ(a.port, 50000);
  EXPECT_EQ(a.port_count, 2);
  EXPECT_EQ(a.lines, std::vector<Line>{(Line{'i', "microphone"})});
  EXPECT_EQ(a.bandwidths, (std::vector<Bandwidth>{{"AS", 64}, {"TIAS", 64000}}));
  ASSERT_EQ(a.candidates.size(), 4u);
  EXPECT_EQ(a.candidates[1].type, CandidateType::ServerReflexive);
  EXPECT_EQ(a.candidates[3].type, CandidateType::Relayed);
  EXPECT_TRUE(a.end_of_candidates);
  EXPECT_EQ(a.ice_ufrag, "EFGH");
  EXPECT_EQ(a.setup, Setup::Active);
  EXPECT_EQ(a.extmaps[0].attributes, "vad=on");
  EXPECT_EQ(a.extmaps[1].direction, Direction::SendOnly);
  EXPECT_EQ(a.direction, Direction::SendOnly);
  EXPECT_EQ(a.msids, (std::vector<Msid>{{"stream", "track"}, {"other", ""}}));
  EXPECT_TRUE(a.rtcp_mux_only);
  ASSERT_EQ(a.codecs.size(), 3u);
  EXPECT_EQ(a.codecs[1].name, "PCMU");  // static, no rtpmap, but feedback
  EXPECT_EQ(a.codecs[1].rtcp_fb, std::vector<RtcpFeedback>{(RtcpFeedback{"nack", ""})});
  EXPECT_EQ(a.codecs[0].fmtp.back(), (Parameter{"stereo", ""}));
  EXPECT_EQ(a.rtcp_fb_all, std::vector<RtcpFeedback>{(RtcpFeedback{"ccm", "tmmbr smaxpr=120"})});
  EXPECT_EQ(a.ssrc_groups[0].semantics, "FEC-FR");
  EXPECT_EQ(a.ssrc_attribute(2, "flag"), "");
  EXPECT_EQ(a.attributes, std::vector<Attribute>{(Attribute{"x-media", "value"})});

  const MediaSection& v = sd.media[1];
  EXPECT_EQ(v.port, 0);
  EXPECT_TRUE(v.bundle_only);
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[0].payload_types, (std::vector<std::uint8_t>{96, 97}));
  EXPECT_EQ(v.rids[0].params, (std::vector<Parameter>{{"max-width", "1280"}, {"max-height", "720"}, {"max-fps", "30"}}));
  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->recv, (std::vector<SimulcastAlternatives>{{{"hi", false}, {"lo", true}}}));
  EXPECT_EQ(v.simulcast->send, (std::vector<SimulcastAlternatives>{{{"x", false}}}));
  EXPECT_EQ(v.find_ssrc_group("SIM")->ssrcs, (std::vector<std::uint32_t>{10, 11, 12}));

  EXPECT_EQ(sd.media[2].max_message_size, 0u);
  EXPECT_EQ(sd.media[3].kind, MediaKind::Other);
  EXPECT_EQ(sd.media[3].kind_name(), "text");

  std::string written = serialize(sd);
  EXPECT_EQ(parse_ok(written), sd) << written;
}

TEST(RoundTrip, FormatsDefaultToCodecPayloadTypes) {
  SessionDescription sd;
  MediaSection m;
  m.kind = MediaKind::Video;
  m.mid = "0";
  Codec vp8;
  vp8.payload_type = 96;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  Codec rtx;
  rtx.payload_type = 97;
  rtx.name = "rtx";
  rtx.clock_rate = 90000;
  rtx.fmtp = {{"apt", "96"}};
  m.codecs = {vp8, rtx};
  sd.media.push_back(m);
  std::string text = serialize(sd);
  EXPECT_NE(text.find("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=fmtp:97 apt=96\r\n"), std::string::npos) << text;
  SessionDescription back = parse_ok(text);
  ASSERT_EQ(back.media.size(), 1u);
  EXPECT_EQ(back.media[0].formats, (std::vector<std::string>{"96", "97"}));
  EXPECT_EQ(back.media[0].rtx_payload_type(96), 97);
}

TEST(RoundTrip, WriterDropsLineBreaksInValues) {
  SessionDescription sd;
  sd.session_name = "evil\r\na=ice-lite";
  sd.attributes.push_back({"x", std::string("1\n2")});
  std::string text = serialize(sd);
  EXPECT_NE(text.find("s=evila=ice-lite\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=x:12\r\n"), std::string::npos) << text;
  EXPECT_FALSE(parse_ok(text).ice_lite);
}

}  // namespace
}  // namespace parley::sdp::test
