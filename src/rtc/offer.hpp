#pragma once

// The SDP offer of a server that only sends: the SFU's subscriber
// connection (RFC 8829 §5.2 JSEP offers, as an ICE-lite server needs them).
//
// - One m= section per track, in a fixed order: sections are never removed
//   or reordered between offers (RFC 8829 §5.2.2); a track that went is
//   a=inactive until its section is reused for another track of the same
//   kind.
// - Fixed payload types: red/48000/2 = 63 over opus (RFC 2198 §5,
//   a=fmtp:63 111/111) listed before opus/48000/2 = 111 (useinbandfec,
//   RFC 7587 §6.1), VP8/90000 = 96 with rtx 97 (RFC 4588 §8.6) and NACK,
//   PLI, FIR, REMB and transport-cc feedback. The SFU rewrites publishers'
//   payload types to these; a publisher's RED goes out as red 63 where the
//   answer kept it, else as its primary Opus alone on 111.
// - Fixed extension ids: 1 ssrc-audio-level, 2 abs-send-time,
//   3 transport-wide-cc (what the SFU writes on every packet), 4 mid.
// - ice-lite, our ufrag/pwd, sha-256 fingerprint, setup:actpass (RFC 8842
//   §5.2: the browser answers active, we are the DTLS server), every
//   section in one BUNDLE group with our candidates, rtcp-mux, rtcp-rsize.
// - a=msid:<stream> <track> and a=ssrc cname/msid (RFC 8830 §2, RFC 5576
//   §4.1) so that the browser's ontrack names the publisher; an FID group
//   for the RTX SSRC.

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "dtls/fingerprint.hpp"
#include "dtls/srtp_keys.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"
#include "sdp/session_description.hpp"

namespace parley::rtc {

inline constexpr std::uint8_t kOfferOpusPayloadType = 111;
inline constexpr std::uint8_t kOfferRedPayloadType = 63;  // Chromium's own choice for red/48000/2
inline constexpr std::uint8_t kOfferVp8PayloadType = 96;
inline constexpr std::uint8_t kOfferRtxPayloadType = 97;
inline constexpr std::uint8_t kOfferAudioLevelId = 1;
inline constexpr std::uint8_t kOfferAbsSendTimeId = 2;
inline constexpr std::uint8_t kOfferTransportCcId = 3;
inline constexpr std::uint8_t kOfferMidId = 4;

struct OfferTrack {
  std::string mid;
  sdp::MediaKind kind = sdp::MediaKind::Audio;  // Audio or Video
  bool active = true;                           // false: a=inactive, no SSRC
  std::string stream_id;                        // msid stream (the publisher)
  std::string track_id;                         // msid track
  std::uint32_t ssrc = 0;
  std::uint32_t rtx_ssrc = 0;  // video only; 0: none
};

struct OfferOptions {
  ice::IceCredentials ice;
  dtls::Fingerprint fingerprint;
  std::vector<ice::LocalCandidate> candidates;  // at least one
  std::string cname;
  std::uint64_t session_id = 1;
  std::uint64_t version = 1;  // o= sess-version: one more per renegotiation
};

sdp::SessionDescription build_send_offer(const std::vector<OfferTrack>& tracks, const OfferOptions& options);

// What the SFU needs from the browser's answer to such an offer.
struct SendAnswer {
  ice::IceCredentials remote_ice;
  dtls::Fingerprint remote_fingerprint;
  dtls::Role our_dtls_role = dtls::Role::server;
  bool transport_cc = false;  // the answer kept transport-cc (else REMB only)
  // Per answered m= section, in order: whether it kept our red/48000/2
  // (kOfferRedPayloadType over kOfferOpusPayloadType).
  std::vector<bool> red;
};

// Checks the answer against what we offered: the same number of sections,
// ICE credentials and a usable fingerprint, a setup that is not actpass.
std::expected<SendAnswer, std::string> read_send_answer(const sdp::SessionDescription& answer,
                                                        std::size_t offered_sections);

}  // namespace parley::rtc
