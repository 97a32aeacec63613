#include "rtc/answer.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <ranges>
#include <set>

#include "sdp/candidate.hpp"

namespace parley::rtc {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The codec we take from an offered section, or null.
const sdp::Codec* choose_codec(const sdp::MediaSection& m) {
  if (m.kind == sdp::MediaKind::Audio) {
    for (const auto& c : m.codecs)
      if (c.is("opus") && c.clock_rate == 48000) return &c;
    return nullptr;
  }
  if (m.kind != sdp::MediaKind::Video) return nullptr;
  for (const auto& c : m.codecs)
    if (c.is("VP8")) return &c;
  // H.264 (RFC 6184 §8.1): packetization-mode=1 and the constrained-baseline
  // profile every browser decodes, then any packetization-mode=1, then any.
  const sdp::Codec* any_pm1 = nullptr;
  const sdp::Codec* any = nullptr;
  for (const auto& c : m.codecs) {
    if (!c.is("H264")) continue;
    if (!any) any = &c;
    if (c.fmtp_value("packetization-mode") != std::optional<std::string_view>("1")) continue;
    if (!any_pm1) any_pm1 = &c;
    const auto profile = c.fmtp_value("profile-level-id");
    if (profile && profile->size() == 6 && iequals(profile->substr(0, 4), "42e0")) return &c;
  }
  return any_pm1 ? any_pm1 : any;
}

// The offer's red/48000/2 over `opus` (RFC 2198 §5), or null.
const sdp::Codec* choose_red(const sdp::MediaSection& m, const sdp::Codec& opus) {
  for (const auto& c : m.codecs)
    if (is_red_over(c, opus.payload_type)) return &c;
  return nullptr;
}

std::optional<dtls::Fingerprint> remote_fingerprint(const sdp::SessionDescription& offer,
                                                    const sdp::MediaSection& m) {
  const auto& list = m.fingerprints.empty() ? offer.fingerprints : m.fingerprints;
  std::optional<dtls::Fingerprint> fallback;
  for (const auto& f : list) {
    auto parsed = dtls::Fingerprint::parse(f.hash_function + " " + f.value);
    if (!parsed) continue;
    if (parsed->algorithm == "sha-256") return *parsed;
    if (!fallback) fallback = *parsed;
  }
  return fallback;
}

sdp::MediaSection rejected_copy(const sdp::MediaSection& m) {
  sdp::MediaSection r;
  r.kind = m.kind;
  r.other_kind = m.other_kind;
  r.port = 0;  // RFC 3264 §6
  r.protocol = m.protocol;
  r.formats = m.formats;
  if (r.formats.empty())
    for (const auto& c : m.codecs) r.formats.push_back(std::to_string(c.payload_type));
  if (r.formats.empty()) r.formats.push_back(m.is_rtp() ? "0" : "webrtc-datachannel");
  r.mid = m.mid;
  r.direction = sdp::Direction::Inactive;
  return r;
}

}  // namespace

bool is_red_over(const sdp::Codec& red, std::uint8_t primary_payload_type) {
  if (!red.is("red") || red.clock_rate != 48000 || red.channels != 2) return false;
  std::string_view list = red.fmtp_raw;
  while (!list.empty() && list.front() == ' ') list.remove_prefix(1);
  while (!list.empty() && list.back() == ' ') list.remove_suffix(1);
  if (list.empty()) return false;
  for (const auto part : std::views::split(list, '/')) {
    const std::string_view text(part.begin(), part.end());
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value != primary_payload_type) return false;
  }
  return true;
}

std::expected<Answer, std::string> answer_for(const sdp::SessionDescription& offer,
                                              const AnswerOptions& options) {
  if (options.candidates.empty()) return std::unexpected("no local candidate to offer");
  if (offer.media.empty()) return std::unexpected("the offer has no m= section");

  std::mt19937 rng(options.ssrc_seed ? options.ssrc_seed : std::random_device{}());
  std::set<std::uint32_t> used_ssrcs;
  for (const auto& m : offer.media)
    for (const auto& s : m.ssrcs) used_ssrcs.insert(s.ssrc);
  auto new_ssrc = [&] {
    for (;;) {
      const std::uint32_t s = rng();
      if (s != 0 && used_ssrcs.insert(s).second) return s;
    }
  };

  // RFC 8843 §7.3: the answer's BUNDLE group is taken from the offer's; with
  // no group, only one transport can be set up, so only the first RTP
  // section can be accepted.
  const sdp::Group* offered_bundle = offer.bundle_group();
  bool first_rtp_taken = false;
  auto bundleable = [&](const sdp::MediaSection& m) {
    if (offered_bundle)
      return m.mid && std::ranges::find(offered_bundle->mids, *m.mid) != offered_bundle->mids.end();
    if (first_rtp_taken) return false;
    return true;
  };

  std::vector<sdp::Candidate> candidates;
  for (const auto& c : options.candidates) {
    auto parsed = sdp::parse_candidate(ice::to_sdp_candidate(c));
    if (!parsed) return std::unexpected("bad local candidate: " + parsed.error().to_string());
    candidates.push_back(std::move(*parsed));
  }
  const auto& first = options.candidates.front();
  const bool first_v6 = first.address.family == stun::AddressFamily::IPv6;
  const sdp::Connection connection{"IN", first_v6 ? "IP6" : "IP4", ice::ip_to_string(first.address)};

  Answer out;
  auto& d = out.description;
  d.origin.session_id = std::to_string(options.session_id);
  d.origin.session_version = 2;
  d.ice_lite = true;  // RFC 8839 §5.3
  d.extmap_allow_mixed = offer.extmap_allow_mixed;
  d.msid_semantic = sdp::MsidSemantic{"WMS", {options.stream_id}};
  sdp::Group bundle{"BUNDLE", {}};

  const sdp::MediaSection* transport_section = nullptr;  // where remote ICE/DTLS comes from
  std::optional<sdp::Setup> our_setup;
  auto take_transport = [&](const sdp::MediaSection& m) -> std::optional<std::string> {
    if (transport_section) return std::nullopt;
    transport_section = &m;
    // RFC 8842 §5.2/§5.3: the answerer to actpass picks; passive makes us
    // the DTLS server, which needs no timer before the browser's
    // ClientHello. To an active offer we are passive too; to a passive one
    // we must be active.
    const auto setup = m.setup ? m.setup : offer.setup;
    if (!setup || *setup == sdp::Setup::ActPass || *setup == sdp::Setup::Active)
      our_setup = sdp::Setup::Passive;
    else if (*setup == sdp::Setup::Passive)
      our_setup = sdp::Setup::Active;
    else
      return "a=setup:holdconn is not supported";
    return std::nullopt;
  };
  // ICE, DTLS and candidates: the same in every accepted (bundled) section.
  auto transport_attributes = [&](const sdp::MediaSection& m) {
    sdp::MediaSection a;
    a.kind = m.kind;
    a.other_kind = m.other_kind;
    a.port = first.address.port;
    a.connection = connection;
    a.mid = m.mid;
    a.ice_ufrag = options.ice.ufrag;
    a.ice_pwd = options.ice.pwd;
    a.fingerprints.push_back({options.fingerprint.algorithm, options.fingerprint.hex()});
    a.setup = our_setup;
    a.candidates = candidates;
    a.end_of_candidates = true;  // RFC 8840 §8.2: no trickle from us
    return a;
  };

  for (const auto& m : offer.media) {
    AnsweredSection info;
    info.mid = m.mid.value_or("");
    info.kind = m.kind;
    const sdp::Codec* codec = nullptr;
    if (m.port == 0) {
      info.reject_reason = "rejected in the offer";
    } else if (m.kind == sdp::MediaKind::Application) {
      // RFC 8841 §4: UDP/DTLS/SCTP (or TCP/DTLS/SCTP) with webrtc-datachannel.
      if (!m.protocol.ends_with("DTLS/SCTP") ||
          std::ranges::find(m.formats, "webrtc-datachannel") == m.formats.end())
        info.reject_reason = "protocol " + m.protocol + " is not supported";
      else if (!m.mid)
        info.reject_reason = "no a=mid";
      else if (!bundleable(m))
        info.reject_reason = "not in the BUNDLE group";
      if (!info.reject_reason.empty()) {
        d.media.push_back(rejected_copy(m));
        out.sections.push_back(std::move(info));
        continue;
      }
      first_rtp_taken = true;
      if (auto err = take_transport(m)) return std::unexpected(*err);
      sdp::MediaSection a = transport_attributes(m);
      a.protocol = m.protocol;
      a.formats = {"webrtc-datachannel"};
      a.sctp_port = kSctpPort;                // RFC 8841 §5
      a.max_message_size = kMaxMessageSize;  // RFC 8841 §6
      info.accepted = true;
      info.direction = sdp::Direction::SendRecv;
      info.remote_sctp_port = m.sctp_port.value_or(kSctpPort);
      // RFC 8841 §6.1: no attribute means 64 KiB; 0 means no limit.
      info.remote_max_message_size = m.max_message_size.value_or(65536);
      bundle.mids.push_back(*m.mid);
      d.media.push_back(std::move(a));
      out.sections.push_back(std::move(info));
      continue;
    } else if (!m.is_rtp() || !m.protocol.contains("SAVPF")) {
      info.reject_reason = "protocol " + m.protocol + " is not supported";
    } else if (!m.mid) {
      info.reject_reason = "no a=mid";
    } else if (!bundleable(m)) {
      info.reject_reason = "not in the BUNDLE group";
    } else if (!(codec = choose_codec(m))) {
      info.reject_reason = "no common codec";
    }
    if (!codec) {
      d.media.push_back(rejected_copy(m));
      out.sections.push_back(std::move(info));
      continue;
    }
    first_rtp_taken = true;
    if (auto err = take_transport(m)) return std::unexpected(*err);

    sdp::MediaSection a = transport_attributes(m);
    a.protocol = m.protocol;
    a.rtcp_mux = true;
    a.rtcp_rsize = m.rtcp_rsize;

    for (const auto& e : m.extmaps) {
      const bool sfu_extension =
          (options.sfu_publisher && (e.uri == kUriRid || e.uri == kUriRepairedRid || e.uri == kUriTransportCc)) ||
          (options.sfu_subscriber && e.uri == kUriTransportCc);
      if (e.uri != kUriMid && e.uri != kUriAudioLevel && e.uri != kUriAbsSendTime && !sfu_extension) continue;
      if (e.uri == kUriAudioLevel && m.kind != sdp::MediaKind::Audio) continue;
      if ((e.uri == kUriRid || e.uri == kUriRepairedRid) && m.kind != sdp::MediaKind::Video) continue;
      a.extmaps.push_back({e.id, std::nullopt, e.uri, {}});
      info.extensions.push_back(a.extmaps.back());
      if (e.uri == kUriMid && e.id >= 1 && e.id <= 255)
        info.mid_extension_id = static_cast<std::uint8_t>(e.id);
    }

    sdp::Codec c = *codec;
    c.rtcp_fb.clear();
    if (m.kind == sdp::MediaKind::Video) {
      // RFC 4585 §4.2: NACK, PLI (§6.3.1) and FIR (RFC 5104 §7.1) are what
      // the echo handles. The SFU also estimates the publisher's uplink for
      // it (transport-cc) and tells it (goog-remb).
      for (const auto& fb : codec->rtcp_fb)
        if ((fb.type == "nack" && (fb.parameter.empty() || fb.parameter == "pli")) ||
            (fb.type == "ccm" && fb.parameter == "fir") ||
            ((options.sfu_publisher || options.sfu_subscriber) &&
             (fb.type == "transport-cc" || fb.type == "goog-remb")))
          c.rtcp_fb.push_back(fb);
    } else if (options.sfu_publisher || options.sfu_subscriber) {
      for (const auto& fb : codec->rtcp_fb)
        if (fb.type == "transport-cc") c.rtcp_fb.push_back(fb);
    }
    a.codecs.push_back(std::move(c));
    if ((options.sfu_publisher || options.sfu_subscriber) && m.kind == sdp::MediaKind::Audio) {
      // Audio redundancy (RFC 2198) passes through the SFU. It goes first:
      // Chromium's voice engine uses red only when it precedes the send codec.
      if (const sdp::Codec* red = choose_red(m, *codec)) {
        sdp::Codec r = *red;
        r.rtcp_fb.clear();
        a.codecs.insert(a.codecs.begin(), std::move(r));
        info.red_payload_type = red->payload_type;
      }
    }
    if ((options.sfu_publisher || options.sfu_subscriber) && m.kind == sdp::MediaKind::Video) {
      // RFC 4588 §8.6: the rtx payload type that repairs the chosen codec.
      for (const auto& rtx : m.codecs)
        if (rtx.is("rtx") && rtx.apt() == codec->payload_type) {
          a.codecs.push_back(rtx);
          info.rtx_payload_type = rtx.payload_type;
          break;
        }
      // RFC 8853 §5.3: accept every offered simulcast stream as recv.
      if (options.sfu_publisher && m.simulcast && !m.simulcast->send.empty()) {
        sdp::Simulcast accepted;
        for (const auto& alternatives : m.simulcast->send) {
          if (alternatives.empty()) continue;
          const auto& stream = alternatives.front();
          auto rid = std::ranges::find_if(m.rids, [&](const sdp::Rid& r) {
            return r.id == stream.rid && r.direction == sdp::RidDirection::Send;
          });
          if (rid == m.rids.end()) continue;
          a.rids.push_back(sdp::Rid{rid->id, sdp::RidDirection::Recv, {}, {}});
          accepted.recv.push_back({sdp::SimulcastStream{rid->id, false}});
          info.rids.push_back(rid->id);
        }
        if (!accepted.recv.empty()) a.simulcast = std::move(accepted);
      }
    }

    auto dir = sdp::reversed(m.effective_direction());  // RFC 3264 §6.1
    if (options.sfu_publisher)
      dir = (dir == sdp::Direction::RecvOnly || dir == sdp::Direction::SendRecv) ? sdp::Direction::RecvOnly
                                                                                : sdp::Direction::Inactive;
    a.direction = dir;
    info.accepted = true;
    info.payload_type = codec->payload_type;
    info.codec = codec->name;
    info.clock_rate = codec->clock_rate;
    info.direction = dir;
    if (dir == sdp::Direction::SendRecv || dir == sdp::Direction::SendOnly) {
      const std::uint32_t ssrc = new_ssrc();
      info.local_ssrc = ssrc;
      const std::string track = options.stream_id + "-" + *m.mid;
      a.msids.push_back({options.stream_id, track});  // RFC 8830 §2
      a.ssrcs.push_back({ssrc, "cname", options.cname});  // RFC 5576 §4.1
      a.ssrcs.push_back({ssrc, "msid", options.stream_id + " " + track});
      if (options.sfu_subscriber && info.rtx_payload_type) {
        const std::uint32_t rtx = new_ssrc();
        info.local_rtx_ssrc = rtx;
        a.ssrc_groups.push_back({"FID", {ssrc, rtx}});  // RFC 5576 §4.2
        a.ssrcs.push_back({rtx, "cname", options.cname});
        a.ssrcs.push_back({rtx, "msid", options.stream_id + " " + track});
      }
    }
    // The browser's primary SSRCs: those not second in an FID group (RTX).
    std::set<std::uint32_t> repair;
    for (const auto& g : m.ssrc_groups)
      if (g.semantics == "FID" && g.ssrcs.size() >= 2) repair.insert(g.ssrcs[1]);
    for (const auto& s : m.ssrcs)
      if (!repair.contains(s.ssrc) &&
          std::ranges::find(info.remote_ssrcs, s.ssrc) == info.remote_ssrcs.end())
        info.remote_ssrcs.push_back(s.ssrc);

    bundle.mids.push_back(*m.mid);
    d.media.push_back(std::move(a));
    out.sections.push_back(std::move(info));
  }

  if (!transport_section) {
    std::string why = "no acceptable m= section";
    for (const auto& s : out.sections)
      why += "; " + std::string(sdp::to_string(s.kind)) + " mid " + s.mid + ": " + s.reject_reason;
    return std::unexpected(why);
  }
  const auto& t = *transport_section;
  const auto ufrag = t.ice_ufrag ? t.ice_ufrag : offer.ice_ufrag;
  const auto pwd = t.ice_pwd ? t.ice_pwd : offer.ice_pwd;
  if (!ufrag || !pwd) return std::unexpected("the offer has no a=ice-ufrag/a=ice-pwd");
  out.remote_ice = {*ufrag, *pwd};
  if (!ice::is_valid(out.remote_ice)) return std::unexpected("the offer's ICE credentials are invalid");
  auto fp = remote_fingerprint(offer, t);
  if (!fp) return std::unexpected("the offer has no usable a=fingerprint");
  out.remote_fingerprint = std::move(*fp);
  out.dtls_role = our_setup == sdp::Setup::Active ? dtls::Role::client : dtls::Role::server;
  d.groups.push_back(std::move(bundle));
  return out;
}

}  // namespace parley::rtc
