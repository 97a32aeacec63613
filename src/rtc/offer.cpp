#include "rtc/offer.hpp"

#include "rtc/answer.hpp"
#include "sdp/candidate.hpp"

namespace parley::rtc {

namespace {

sdp::Codec opus() {
  sdp::Codec c;
  c.payload_type = kOfferOpusPayloadType;
  c.name = "opus";
  c.clock_rate = 48000;
  c.channels = 2;
  c.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
  c.rtcp_fb = {{"transport-cc", ""}};
  return c;
}

// RFC 2198 §5: red whose blocks are all opus (the primary and one
// redundant encoding, as Chromium offers it).
sdp::Codec red() {
  sdp::Codec c;
  c.payload_type = kOfferRedPayloadType;
  c.name = "red";
  c.clock_rate = 48000;
  c.channels = 2;
  c.fmtp_raw = std::to_string(kOfferOpusPayloadType) + "/" + std::to_string(kOfferOpusPayloadType);
  return c;
}

sdp::Codec vp8() {
  sdp::Codec c;
  c.payload_type = kOfferVp8PayloadType;
  c.name = "VP8";
  c.clock_rate = 90000;
  // RFC 4585 §4.2, RFC 5104 §7.1, draft-alvestrand-rmcat-remb §2.
  c.rtcp_fb = {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}};
  return c;
}

sdp::Codec rtx() {
  sdp::Codec c;
  c.payload_type = kOfferRtxPayloadType;
  c.name = "rtx";
  c.clock_rate = 90000;
  c.fmtp = {{"apt", std::to_string(kOfferVp8PayloadType)}};  // RFC 4588 §8.6
  return c;
}

}  // namespace

sdp::SessionDescription build_send_offer(const std::vector<OfferTrack>& tracks, const OfferOptions& options) {
  std::vector<sdp::Candidate> candidates;
  for (const auto& c : options.candidates)
    if (auto parsed = sdp::parse_candidate(ice::to_sdp_candidate(c))) candidates.push_back(std::move(*parsed));
  const auto& first = options.candidates.front();
  const bool v6 = first.address.family == stun::AddressFamily::IPv6;

  sdp::SessionDescription d;
  d.origin.session_id = std::to_string(options.session_id);
  d.origin.session_version = options.version;
  d.ice_lite = true;  // RFC 8839 §5.3
  d.extmap_allow_mixed = true;
  d.msid_semantic = sdp::MsidSemantic{"WMS", {}};
  sdp::Group bundle{"BUNDLE", {}};
  for (const auto& t : tracks) {
    sdp::MediaSection m;
    m.kind = t.kind;
    m.port = first.address.port;
    m.connection = sdp::Connection{"IN", v6 ? "IP6" : "IP4", ice::ip_to_string(first.address)};
    m.mid = t.mid;
    m.ice_ufrag = options.ice.ufrag;
    m.ice_pwd = options.ice.pwd;
    m.fingerprints.push_back({options.fingerprint.algorithm, options.fingerprint.hex()});
    m.setup = sdp::Setup::ActPass;  // RFC 8842 §5.2
    m.candidates = candidates;
    m.end_of_candidates = true;  // RFC 8840 §8.2
    m.rtcp_mux = true;
    m.rtcp_rsize = true;
    m.direction = t.active ? sdp::Direction::SendOnly : sdp::Direction::Inactive;
    if (t.kind == sdp::MediaKind::Audio) {
      m.codecs = {red(), opus()};  // red first, as in our answers (rtc/answer.hpp)
      m.extmaps.push_back({kOfferAudioLevelId, std::nullopt, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", {}});
    } else {
      m.codecs = {vp8(), rtx()};
    }
    m.extmaps.push_back(
        {kOfferAbsSendTimeId, std::nullopt, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", {}});
    m.extmaps.push_back({kOfferTransportCcId, std::nullopt,
                         "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", {}});
    m.extmaps.push_back({kOfferMidId, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", {}});
    if (t.active) {
      m.msids.push_back({t.stream_id, t.track_id});
      const std::string msid = t.stream_id + " " + t.track_id;
      if (t.rtx_ssrc) m.ssrc_groups.push_back({"FID", {t.ssrc, t.rtx_ssrc}});  // RFC 5576 §4.2
      for (const auto ssrc : {t.ssrc, t.rtx_ssrc}) {
        if (!ssrc) continue;
        m.ssrcs.push_back({ssrc, "cname", options.cname});
        m.ssrcs.push_back({ssrc, "msid", msid});
      }
    }
    bundle.mids.push_back(t.mid);
    d.media.push_back(std::move(m));
  }
  d.groups.push_back(std::move(bundle));
  return d;
}

std::expected<SendAnswer, std::string> read_send_answer(const sdp::SessionDescription& answer,
                                                        std::size_t offered_sections) {
  if (answer.media.size() != offered_sections)
    return std::unexpected("the answer has " + std::to_string(answer.media.size()) + " m= sections, we offered " +
                           std::to_string(offered_sections));
  if (answer.media.empty()) return std::unexpected("the answer has no m= section");
  const auto& m = answer.media.front();  // BUNDLE: the first section's transport
  const auto ufrag = m.ice_ufrag ? m.ice_ufrag : answer.ice_ufrag;
  const auto pwd = m.ice_pwd ? m.ice_pwd : answer.ice_pwd;
  if (!ufrag || !pwd) return std::unexpected("the answer has no a=ice-ufrag/a=ice-pwd");
  SendAnswer out;
  out.remote_ice = {*ufrag, *pwd};
  if (!ice::is_valid(out.remote_ice)) return std::unexpected("the answer's ICE credentials are invalid");
  const auto& fps = m.fingerprints.empty() ? answer.fingerprints : m.fingerprints;
  for (const auto& f : fps) {
    auto parsed = dtls::Fingerprint::parse(f.hash_function + " " + f.value);
    if (parsed && (parsed->algorithm == "sha-256" || out.remote_fingerprint.algorithm.empty()))
      out.remote_fingerprint = std::move(*parsed);
  }
  if (out.remote_fingerprint.algorithm.empty()) return std::unexpected("the answer has no usable a=fingerprint");
  const auto setup = m.setup ? m.setup : answer.setup;
  // RFC 8842 §5.3: an answer is active or passive.
  if (!setup || *setup == sdp::Setup::Active)
    out.our_dtls_role = dtls::Role::server;
  else if (*setup == sdp::Setup::Passive)
    out.our_dtls_role = dtls::Role::client;
  else
    return std::unexpected("the answer's a=setup must be active or passive");
  for (const auto& section : answer.media) {
    bool red = false;
    for (const auto& c : section.codecs) {
      if (c.has_feedback("transport-cc")) out.transport_cc = true;
      if (c.payload_type == kOfferRedPayloadType && is_red_over(c, kOfferOpusPayloadType)) red = true;
    }
    out.red.push_back(red && section.kind == sdp::MediaKind::Audio && section.port != 0);
  }
  return out;
}

}  // namespace parley::rtc
