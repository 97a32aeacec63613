// Parses the real Chromium offers in fixtures/ and checks the fields against
// what the text says. Values that change at every capture (ufrag, ssrcs,
// candidates) are read from the raw lines, so the fixtures can be
// regenerated with capture.mjs; codec payload types are Chromium's stable
// defaults.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

// Checks ICE, DTLS and candidates of section `index` against its raw lines.
void expect_transport_matches_text(const MediaSection& m, std::string_view text, int index) {
  auto raw = section_lines(text, index);
  auto ufrag = values_with_prefix(raw, "a=ice-ufrag:");
  auto pwd = values_with_prefix(raw, "a=ice-pwd:");
  ASSERT_EQ(ufrag.size(), 1u);
  ASSERT_EQ(pwd.size(), 1u);
  EXPECT_EQ(m.ice_ufrag, ufrag[0]);
  EXPECT_EQ(m.ice_pwd, pwd[0]);
  EXPECT_EQ(m.ice_options, std::vector<std::string>{"trickle"});

  ASSERT_EQ(m.fingerprints.size(), 1u);
  EXPECT_EQ(m.fingerprints[0].hash_function, "sha-256");
  EXPECT_EQ(m.fingerprints[0].value.size(), 32u * 3 - 1);  // 32 hex pairs
  EXPECT_EQ("sha-256 " + m.fingerprints[0].value, values_with_prefix(raw, "a=fingerprint:")[0]);
  EXPECT_EQ(m.setup, Setup::ActPass);

  auto candidates = values_with_prefix(raw, "a=candidate:");
  ASSERT_FALSE(candidates.empty());
  ASSERT_EQ(m.candidates.size(), candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = m.candidates[i];
    EXPECT_EQ(to_string(c), "candidate:" + candidates[i]);  // nothing lost
    EXPECT_EQ(c.component, 1);  // rtcp-mux / data channel: RTP component only
    EXPECT_EQ(c.type, CandidateType::Host);
    EXPECT_GT(c.priority, 0u);
    EXPECT_FALSE(c.address.empty());
    EXPECT_EQ(c.extension("generation"), "0");
    EXPECT_TRUE(c.extension("network-id").has_value());
    if (c.is_tcp()) {
      EXPECT_EQ(c.tcp_type, "active");
      EXPECT_EQ(c.port, 9);
    } else {
      EXPECT_TRUE(c.is_udp());
      EXPECT_FALSE(c.tcp_type.has_value());
      EXPECT_NE(c.port, 0);
    }
  }
  EXPECT_FALSE(m.end_of_candidates);  // Chromium does not write it in offers
}

TEST(ChromiumAudioVideo, Session) {
  std::string text = load_fixture("chromium_audio_video.sdp");
  SessionDescription sd = parse_ok(text);

  EXPECT_EQ(sd.origin.username, "-");
  EXPECT_FALSE(sd.origin.session_id.empty());
  EXPECT_EQ(sd.origin.session_version, 2u);
  EXPECT_EQ(sd.origin.network_type, "IN");
  EXPECT_EQ(sd.origin.address_type, "IP4");
  EXPECT_EQ(sd.origin.address, "127.0.0.1");
  EXPECT_EQ(sd.session_name, "-");
  EXPECT_EQ(sd.timing, (Timing{0, 0}));
  EXPECT_FALSE(sd.ice_lite);
  EXPECT_TRUE(sd.extmap_allow_mixed);
  ASSERT_TRUE(sd.msid_semantic.has_value());
  EXPECT_EQ(sd.msid_semantic->semantic, "WMS");
  ASSERT_EQ(sd.msid_semantic->ids.size(), 1u);

  ASSERT_EQ(sd.groups.size(), 1u);
  ASSERT_NE(sd.bundle_group(), nullptr);
  EXPECT_EQ(sd.bundle_group()->mids, (std::vector<std::string>{"0", "1"}));

  ASSERT_EQ(sd.media.size(), 2u);
  EXPECT_EQ(sd.media[0].kind, MediaKind::Audio);
  EXPECT_EQ(sd.media[1].kind, MediaKind::Video);
  EXPECT_EQ(sd.media[0].mid, "0");
  EXPECT_EQ(sd.media[1].mid, "1");
  EXPECT_EQ(sd.find_media("1"), &sd.media[1]);
  EXPECT_EQ(sd.find_media("2"), nullptr);
  EXPECT_TRUE(sd.attributes.empty());
  EXPECT_TRUE(sd.lines.empty());
}

TEST(ChromiumAudioVideo, Audio) {
  std::string text = load_fixture("chromium_audio_video.sdp");
  SessionDescription sd = parse_ok(text);
  ASSERT_EQ(sd.media.size(), 2u);
  const MediaSection& a = sd.media[0];

  EXPECT_EQ(a.kind_name(), "audio");
  EXPECT_EQ(a.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(a.is_rtp());
  EXPECT_EQ(a.formats, (std::vector<std::string>{"111", "63", "9", "0", "8", "13", "110", "126"}));
  ASSERT_TRUE(a.connection.has_value());
  EXPECT_EQ(a.connection->network_type, "IN");
  EXPECT_EQ(a.direction, Direction::SendRecv);
  EXPECT_TRUE(a.rtcp_mux);
  EXPECT_TRUE(a.rtcp_rsize);
  EXPECT_FALSE(a.rtcp_mux_only);
  EXPECT_FALSE(a.bundle_only);
  expect_transport_matches_text(a, text, 0);

  // Codecs are in m= order, one per format.
  ASSERT_EQ(a.codecs.size(), a.formats.size());
  for (std::size_t i = 0; i < a.codecs.size(); ++i) {
    EXPECT_EQ(std::to_string(a.codecs[i].payload_type), a.formats[i]);
  }
  const Codec* opus = a.find_codec("opus");
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus, a.find_codec(std::uint8_t{111}));
  EXPECT_EQ(opus->name, "opus");
  EXPECT_EQ(opus->clock_rate, 48000u);
  EXPECT_EQ(opus->channels, 2u);
  EXPECT_EQ(opus->fmtp, (std::vector<Parameter>{{"minptime", "10"}, {"useinbandfec", "1"}}));
  EXPECT_EQ(opus->fmtp_raw, "minptime=10;useinbandfec=1");
  EXPECT_EQ(opus->fmtp_value("useinbandfec"), "1");
  EXPECT_EQ(opus->rtcp_fb, (std::vector<RtcpFeedback>{{"transport-cc", ""}}));
  EXPECT_TRUE(opus->has_feedback("transport-cc"));

  const Codec* red = a.find_codec("red");
  ASSERT_NE(red, nullptr);
  EXPECT_EQ(red->fmtp, (std::vector<Parameter>{{"111/111", ""}}));
  EXPECT_EQ(red->fmtp_text(), "111/111");

  const Codec* pcmu = a.find_codec("PCMU");
  ASSERT_NE(pcmu, nullptr);
  EXPECT_EQ(pcmu->payload_type, 0);
  EXPECT_EQ(pcmu->clock_rate, 8000u);
  EXPECT_EQ(pcmu->channels, 0u);
  EXPECT_EQ(a.find_codec(std::uint8_t{126})->name, "telephone-event");
  EXPECT_EQ(a.find_codec(std::uint8_t{126})->clock_rate, 8000u);
  EXPECT_EQ(a.find_codec("VP8"), nullptr);
  EXPECT_FALSE(a.rtx_payload_type(111).has_value());

  EXPECT_EQ(a.extmap_id("urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
  EXPECT_EQ(a.extmap_id("urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
  EXPECT_EQ(a.extmaps.size(), 4u);

  ASSERT_EQ(a.msids.size(), 1u);
  EXPECT_EQ(a.msids[0].stream_id, sd.msid_semantic->ids[0]);
  EXPECT_FALSE(a.msids[0].track_id.empty());

  ASSERT_EQ(a.ssrcs.size(), 2u);
  std::uint32_t ssrc = a.ssrcs[0].ssrc;
  EXPECT_EQ(a.ssrcs[1].ssrc, ssrc);
  EXPECT_EQ(a.ssrcs[0].attribute, "cname");
  EXPECT_EQ(a.ssrcs[1].attribute, "msid");
  EXPECT_EQ(a.ssrc_attribute(ssrc, "msid"), a.msids[0].stream_id + " " + a.msids[0].track_id);
  EXPECT_TRUE(a.ssrc_groups.empty());

  // a=rtcp and a=rtcp-xr have no field: kept in order.
  ASSERT_EQ(a.attributes.size(), 2u);
  EXPECT_EQ(a.attributes[0], (Attribute{"rtcp", "9 IN IP4 0.0.0.0"}));
  EXPECT_EQ(a.attributes[1], (Attribute{"rtcp-xr", "rcvr-rtt=all"}));
  EXPECT_FALSE(a.sctp_port.has_value());
}

TEST(ChromiumAudioVideo, Video) {
  std::string text = load_fixture("chromium_audio_video.sdp");
  SessionDescription sd = parse_ok(text);
  ASSERT_EQ(sd.media.size(), 2u);
  const MediaSection& v = sd.media[1];

  EXPECT_EQ(v.direction, Direction::SendRecv);
  EXPECT_TRUE(v.rtcp_mux);
  EXPECT_TRUE(v.rtcp_rsize);
  expect_transport_matches_text(v, text, 1);
  // BUNDLE: same transport in both sections.
  EXPECT_EQ(v.ice_ufrag, sd.media[0].ice_ufrag);
  EXPECT_EQ(v.fingerprints, sd.media[0].fingerprints);

  ASSERT_EQ(v.codecs.size(), v.formats.size());
  const Codec* vp8 = v.find_codec("vp8");  // case-insensitive
  ASSERT_NE(vp8, nullptr);
  EXPECT_EQ(vp8->payload_type, 96);
  EXPECT_EQ(vp8->name, "VP8");
  EXPECT_EQ(vp8->clock_rate, 90000u);
  EXPECT_EQ(vp8->channels, 0u);
  EXPECT_TRUE(vp8->fmtp.empty());
  EXPECT_EQ(vp8->rtcp_fb, (std::vector<RtcpFeedback>{
                              {"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}}));
  EXPECT_TRUE(vp8->has_feedback("nack", "pli"));
  EXPECT_FALSE(vp8->has_feedback("nack", "sli"));

  // rtx apt mapping (RFC 4588 §8.6).
  EXPECT_EQ(v.rtx_payload_type(96), 97);
  const Codec* rtx = v.find_codec(std::uint8_t{97});
  ASSERT_NE(rtx, nullptr);
  EXPECT_TRUE(rtx->is("rtx"));
  EXPECT_EQ(rtx->apt(), 96);
  int h264 = 0;
  for (const Codec& c : v.codecs) {
    if (c.is("rtx")) {
      ASSERT_TRUE(c.apt().has_value()) << int(c.payload_type);
      EXPECT_NE(v.find_codec(*c.apt()), nullptr);
      continue;
    }
    if (c.is("red") || c.is("ulpfec")) continue;
    // Every real codec has an rtx and the full feedback set.
    EXPECT_TRUE(v.rtx_payload_type(c.payload_type).has_value()) << c.name;
    EXPECT_TRUE(c.has_feedback("nack", "pli")) << c.name;
    if (c.is("H264")) {
      ++h264;
      EXPECT_TRUE(c.fmtp_value("profile-level-id").has_value());
      EXPECT_TRUE(c.fmtp_value("packetization-mode").has_value());
      EXPECT_EQ(c.fmtp_value("level-asymmetry-allowed"), "1");
    }
  }
  EXPECT_GE(h264, 2);
  const Codec* h = v.find_codec(std::uint8_t{102});
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->fmtp, (std::vector<Parameter>{
                         {"level-asymmetry-allowed", "1"}, {"packetization-mode", "1"}, {"profile-level-id", "42001f"}}));
  EXPECT_EQ(v.rtx_payload_type(102), 103);
  ASSERT_NE(v.find_codec("VP9"), nullptr);
  EXPECT_EQ(v.find_codec("VP9")->fmtp_value("profile-id"), "0");
  ASSERT_NE(v.find_codec("AV1"), nullptr);

  EXPECT_EQ(v.extmap_id("urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
  EXPECT_EQ(v.extmap_id("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"), 3);
  EXPECT_EQ(v.extmap_id("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);
  EXPECT_EQ(v.extmap_id("urn:ietf:params:rtp-hdrext:toffset"), 14);
  for (const auto& e : v.extmaps) EXPECT_FALSE(e.direction.has_value());

  // a=ssrc-group:FID <primary> <rtx>, each with cname and msid.
  ASSERT_EQ(v.ssrc_groups.size(), 1u);
  const SsrcGroup* fid = v.find_ssrc_group("FID");
  ASSERT_NE(fid, nullptr);
  ASSERT_EQ(fid->ssrcs.size(), 2u);
  EXPECT_NE(fid->ssrcs[0], fid->ssrcs[1]);
  auto raw_group = values_with_prefix(section_lines(text, 1), "a=ssrc-group:");
  ASSERT_EQ(raw_group.size(), 1u);
  EXPECT_EQ(raw_group[0], "FID " + std::to_string(fid->ssrcs[0]) + " " + std::to_string(fid->ssrcs[1]));
  for (std::uint32_t ssrc : fid->ssrcs) {
    auto cname = v.ssrc_attribute(ssrc, "cname");
    ASSERT_TRUE(cname.has_value());
    EXPECT_EQ(*cname, *sd.media[0].ssrc_attribute(sd.media[0].ssrcs[0].ssrc, "cname"));
    EXPECT_TRUE(v.ssrc_attribute(ssrc, "msid").has_value());
  }
  EXPECT_EQ(v.ssrcs.size(), 4u);
  EXPECT_TRUE(v.rids.empty());
  EXPECT_FALSE(v.simulcast.has_value());
}

TEST(ChromiumSimulcast, RidsAndSimulcast) {
  std::string text = load_fixture("chromium_simulcast.sdp");
  SessionDescription sd = parse_ok(text);
  ASSERT_EQ(sd.media.size(), 1u);
  ASSERT_NE(sd.bundle_group(), nullptr);
  EXPECT_EQ(sd.bundle_group()->mids, std::vector<std::string>{"0"});
  const MediaSection& v = sd.media[0];

  EXPECT_EQ(v.kind, MediaKind::Video);
  EXPECT_EQ(v.mid, "0");
  EXPECT_EQ(v.direction, Direction::SendOnly);
  expect_transport_matches_text(v, text, 0);

  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[0], (Rid{"q", RidDirection::Send, {}, {}}));
  EXPECT_EQ(v.rids[1], (Rid{"h", RidDirection::Send, {}, {}}));
  EXPECT_EQ(v.rids[2], (Rid{"f", RidDirection::Send, {}, {}}));
  EXPECT_NE(v.find_rid("h"), nullptr);
  EXPECT_EQ(v.find_rid("x"), nullptr);

  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->send, (std::vector<SimulcastAlternatives>{{{"q", false}}, {{"h", false}}, {{"f", false}}}));
  EXPECT_TRUE(v.simulcast->recv.empty());
  EXPECT_EQ(to_string(*v.simulcast), "send q;h;f");
  EXPECT_EQ(values_with_prefix(section_lines(text, 0), "a=simulcast:"), std::vector<std::string>{"send q;h;f"});

  // The header extensions an SFU needs to demultiplex simulcast by rid.
  EXPECT_TRUE(v.extmap_id("urn:ietf:params:rtp-hdrext:sdes:mid").has_value());
  EXPECT_TRUE(v.extmap_id("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id").has_value());
  EXPECT_TRUE(v.extmap_id("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id").has_value());

  ASSERT_NE(v.find_codec("VP8"), nullptr);
  EXPECT_EQ(v.rtx_payload_type(v.find_codec("VP8")->payload_type), 97);
  // Chromium signals simulcast with rids only: any ssrc lines would belong to SIM groups.
  for (const auto& g : v.ssrc_groups) EXPECT_TRUE(g.semantics == "SIM" || g.semantics == "FID");
}

TEST(ChromiumDataChannel, Sctp) {
  std::string text = load_fixture("chromium_datachannel.sdp");
  SessionDescription sd = parse_ok(text);
  ASSERT_EQ(sd.media.size(), 1u);
  ASSERT_NE(sd.bundle_group(), nullptr);
  EXPECT_EQ(sd.bundle_group()->mids, std::vector<std::string>{"0"});
  ASSERT_TRUE(sd.msid_semantic.has_value());
  EXPECT_TRUE(sd.msid_semantic->ids.empty());

  const MediaSection& d = sd.media[0];
  EXPECT_EQ(d.kind, MediaKind::Application);
  EXPECT_EQ(d.kind_name(), "application");
  EXPECT_EQ(d.protocol, "UDP/DTLS/SCTP");
  EXPECT_FALSE(d.is_rtp());
  EXPECT_EQ(d.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(d.mid, "0");
  EXPECT_EQ(d.sctp_port, 5000);
  EXPECT_EQ(d.max_message_size, 262144u);
  EXPECT_TRUE(d.codecs.empty());
  EXPECT_FALSE(d.direction.has_value());
  EXPECT_EQ(d.effective_direction(), Direction::SendRecv);
  EXPECT_FALSE(d.rtcp_mux);
  EXPECT_TRUE(d.attributes.empty());
  expect_transport_matches_text(d, text, 0);
}

}  // namespace
}  // namespace parley::sdp::test
