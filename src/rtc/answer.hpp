#pragma once

// The SDP answer of a WebRTC endpoint that is an ICE-lite server (RFC 8829
// §5.3 JSEP answers, as far as a server that does not trickle needs them).
//
// For each m= section of the offer:
// - audio: opus; video: VP8, else H.264 (packetization-mode=1 preferred).
//   The offer's payload type is kept, so RTP needs no PT mapping between the
//   browser and us. No common codec: the section is rejected (port 0,
//   RFC 8829 §5.3.1 / RFC 3264 §6).
// - the SFU (sfu_publisher / sfu_subscriber) also keeps audio redundancy:
//   the offer's red/48000/2 whose fmtp names only the chosen opus (RFC 2198
//   §5, "a=fmtp:63 111/111"), listed BEFORE opus: Chromium sends RED only
//   when red precedes its send codec in the answer. The echo stays opus only.
// - application (data channels, RFC 8841): UDP/DTLS/SCTP webrtc-datachannel
//   accepted with our a=sctp-port:5000 and a=max-message-size:262144.
// - mid kept; every accepted section joins one BUNDLE group (RFC 8843 §7.3).
// - rtcp-mux (RFC 5761 §5.1.3, required by RFC 8829 §5.3.1), rtcp-rsize when
//   offered; ice-lite at session level (RFC 8839 §5.3); our ufrag/pwd, the
//   sha-256 fingerprint (RFC 8122 §5), setup (RFC 8842 §5.3: passive to an
//   actpass or active offer, active to a passive one), our candidates and
//   a=end-of-candidates (RFC 8840 §8.2) in every accepted section.
// - extmap: mid, ssrc-audio-level and abs-send-time, with the offer's ids,
//   when offered (RFC 8285 §7).
// - direction mirrored (RFC 3264 §6.1); our own SSRC with cname and msid on
//   every section we send on.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "dtls/fingerprint.hpp"
#include "dtls/srtp_keys.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"
#include "sdp/session_description.hpp"

namespace parley::rtc {

inline constexpr std::string_view kUriMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kUriAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kUriAbsSendTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kUriRid = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kUriRepairedRid =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kUriTransportCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

inline constexpr std::uint16_t kSctpPort = 5000;            // RFC 8841 §5
inline constexpr std::uint64_t kMaxMessageSize = 262144;     // RFC 8841 §6

struct AnswerOptions {
  ice::IceCredentials ice;
  dtls::Fingerprint fingerprint;                // ours, sha-256
  std::vector<ice::LocalCandidate> candidates;  // at least one
  std::string cname;                            // RTCP CNAME of our streams
  std::string stream_id;                        // msid stream of our tracks
  std::uint64_t session_id = 1;                 // o= sess-id
  // Our SSRCs are drawn from here; tests fix them.
  std::uint32_t ssrc_seed = 0;  // 0: random
  // The SFU's publisher connection: we only receive (recvonly), and accept
  // simulcast (RFC 8853 §5.3: a=rid:<id> recv and a=simulcast:recv for the
  // offered send list), RTX (RFC 4588 §8.6), transport-cc and goog-remb
  // feedback, and the rid / repaired-rid / transport-wide-cc extensions.
  bool sfu_publisher = false;
  // The SFU answering a WHEP viewer's recvonly offer: we send, so we keep
  // what we write on each packet (transport-wide-cc, abs-send-time,
  // audio level), RTX with an SSRC of its own (FID group, RFC 5576 §4.2),
  // and the feedback we answer (NACK, PLI, FIR, transport-cc, goog-remb).
  bool sfu_subscriber = false;
};

// What was decided for one m= section, in offer order.
struct AnsweredSection {
  std::string mid;
  sdp::MediaKind kind = sdp::MediaKind::Other;
  bool accepted = false;
  std::string reject_reason;  // when not accepted
  std::uint8_t payload_type = 0;
  std::string codec;          // "opus", "VP8", "H264"
  std::uint32_t clock_rate = 0;
  sdp::Direction direction = sdp::Direction::Inactive;  // ours
  std::optional<std::uint32_t> local_ssrc;   // when we send on it
  std::vector<std::uint32_t> remote_ssrcs;   // the offer's a=ssrc values (primary first)
  std::optional<std::uint8_t> mid_extension_id;
  std::vector<sdp::Extmap> extensions;            // accepted, the offer's ids
  std::vector<std::string> rids;                  // simulcast recv, in the offer's order
  std::optional<std::uint8_t> rtx_payload_type;   // sfu_publisher/subscriber, when offered
  std::optional<std::uint8_t> red_payload_type;   // sfu_publisher/subscriber: RED over opus, when offered
  std::optional<std::uint32_t> local_rtx_ssrc;     // sfu_subscriber, with rtx_payload_type
  // Application sections: the offer's a=sctp-port (default 5000) and
  // a=max-message-size (default 65536, 0: no limit).
  std::optional<std::uint16_t> remote_sctp_port;
  std::uint64_t remote_max_message_size = 0;
};

struct Answer {
  sdp::SessionDescription description;
  std::vector<AnsweredSection> sections;
  ice::IceCredentials remote_ice;
  dtls::Fingerprint remote_fingerprint;
  dtls::Role dtls_role = dtls::Role::server;  // ours
};

// Whether `red` is audio redundancy (RFC 2198) made only of
// `primary_payload_type` blocks: red/48000/2 whose fmtp lists that payload
// type and no other (RFC 2198 §5: "a=fmtp:63 111/111", primary first, then
// the redundant encodings).
bool is_red_over(const sdp::Codec& red, std::uint8_t primary_payload_type);

// Why an offer cannot be answered at all: missing ICE credentials or
// fingerprint, an offer that is not BUNDLE-able, nothing acceptable.
std::expected<Answer, std::string> answer_for(const sdp::SessionDescription& offer,
                                              const AnswerOptions& options);

}  // namespace parley::rtc
