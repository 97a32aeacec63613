#pragma once
// A simulated participant of an SFU room (docs/protocol.md, "Rooms"), built
// on Parley's own WebRTC client: what `parley loadtest` runs N of.
//
//   signaling  a WebSocket to /ws?token=...: join {room}, then
//              offer {pc:'publisher', sdp, tracks} and the SFU's answer;
//              each offer {pc:'subscriber'} answered with answer {pc:'subscriber'}.
//   publisher  one WebRtcClient that offers (we are ICE controlling and the
//              DTLS client): audio (opus/111, ssrc-audio-level,
//              transport-wide-cc, mid) and VP8/96 + rtx/97 video, sendonly,
//              simulcast by rid (RFC 8853: a=rid:q/h/f send, a=simulcast:send
//              q;h;f; rid, repaired-rid, transport-wide-cc and mid
//              extensions).
//   subscriber one WebRtcClient in answerer mode for the SFU's offers.
//
// With neither audio nor video it only subscribes, as a webinar attendee
// does: no publisher offer and no publisher connection; the SFU offers the
// subscriber connection once someone publishes.
//
// Media (synthetic, no codec): 50 audio packets/s of ~80 bytes; three
// simulcast layers of VP8 at `layer_kbps`, 30 fps, each its own SSRC, with
// RFC 7741 payload descriptors (X=1, 15-bit picture id, TL0PICIDX, S bit,
// keyframes every `keyframe_interval` and on PLI/FIR, the payload header's
// P bit 0 for keyframes), packets of at most 1200 bytes, marker at frame
// ends. Every packet carries a transport-wide sequence number, and its send
// time (steady clock, µs, 8 bytes) at a fixed offset after the descriptor
// (kVideoTimeOffset; audio: kAudioTimeOffset) so receivers can measure
// forwarding latency. NACKs from the SFU are answered from a send history
// (RTX with the OSN when negotiated, RFC 4588 §4, else the packet again).
//
// Receiving: packets and bytes per inbound SSRC, sequence gaps per SSRC
// (NACKed to the SFU, RFC 4585 §6.2.1, retried), packets that filled a gap
// later (repaired), gaps never filled (lost), latency from the embedded
// send time to the kernel's arrival stamp on the subscriber socket, and
// RTCP receiver reports once a second (RFC 3550 §6.4.2). The loop sleeps up
// to 10 ms between receives and takes what came meanwhile in one go.
//
// One thread drives one participant (run()); blocking, not thread-safe,
// except progress() which any thread may read.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "rtc/client/signaling_client.hpp"
#include "rtc/client/webrtc_client.hpp"

namespace parley::rtc {

inline constexpr std::size_t kAudioTimeOffset = 1;   // after the Opus TOC byte
inline constexpr std::size_t kVideoTimeOffset = 10;  // after the descriptor: room for the VP8 header
inline constexpr std::size_t kMaxRtpPacket = 1200;

struct SfuParticipantConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string token;
  std::string room;
  std::string display_name;
  bool audio = true;  // publish a microphone
  bool video = true;  // publish a simulcast camera
  std::array<std::uint32_t, 3> layer_kbps{150, 500, 1500};  // q, h, f
  int fps = 30;
  std::chrono::milliseconds keyframe_interval{2000};
  // Fraction (0-1) of outgoing RTP (retransmissions too) dropped before it
  // is sent: a lossy uplink the SFU must repair.
  double uplink_loss = 0;
  // Subscriber: NACK gaps; publisher: answer the SFU's NACKs.
  bool nack = true;
  bool rtx = true;  // offer RTX on the publisher, keep it in subscriber answers
  // Subscriber: a REMB (draft-alvestrand-rmcat-remb) with this estimate once
  // a second; 0: none, the SFU keeps its own estimate.
  std::uint64_t remb_bps = 0;
  std::chrono::milliseconds connect_timeout{10000};
  std::uint32_t seed = 0;  // 0: random
};

// Forwarding latency histogram: 10 µs buckets up to 1 s, then one overflow.
struct LatencyHistogram {
  static constexpr std::size_t kBuckets = 100'000;
  std::vector<std::uint32_t> buckets = std::vector<std::uint32_t>(kBuckets + 1);
  std::uint64_t count = 0;
  void add(std::int64_t micros);
  void merge(const LatencyHistogram& other);
  // The q-quantile (0-1) in milliseconds; 0 when empty.
  double quantile_ms(double q) const;
};

struct InboundStream {
  std::uint32_t ssrc = 0;
  std::string kind;            // "audio" / "video" (by payload type until the offer names it)
  std::string participant_id;  // the publisher, from a=msid
  std::uint64_t packets = 0;   // distinct media packets (not counting duplicates)
  std::uint64_t bytes = 0;
  std::uint64_t gaps = 0;      // sequence numbers found missing
  std::uint64_t repaired = 0;  // missing ones that came later
  std::uint64_t lost = 0;      // missing ones that never came
  std::uint64_t duplicates = 0;
  std::uint64_t rtx = 0;       // RTX packets received for it
  std::uint64_t nacked = 0;    // sequence numbers NACKed (each attempt)
  std::chrono::steady_clock::time_point last_packet{};  // of the newest media packet
};

struct SfuParticipantStats {
  // Publishing.
  std::uint64_t rtp_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t dropped = 0;          // by uplink_loss
  std::uint64_t nacks_received = 0;   // NACK messages
  std::uint64_t nack_seqs_received = 0;
  std::uint64_t retransmissions = 0;  // answered NACKed packets (sent or dropped)
  std::uint64_t nack_misses = 0;      // NACKed packets no longer in the history
  std::uint64_t plis_received = 0;
  std::uint64_t keyframes = 0;
  // Receiving (all inbound streams).
  std::uint64_t rtp_received = 0;  // incl. RTX and duplicates
  std::uint64_t bytes_received = 0;
  std::uint64_t nacks_sent = 0;    // NACK messages
  std::uint64_t subscriber_offers = 0;
  std::vector<InboundStream> streams;  // filled by finish()
  LatencyHistogram latency;
};

class SfuParticipant {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SfuParticipant(SfuParticipantConfig config);
  ~SfuParticipant();
  SfuParticipant(const SfuParticipant&) = delete;
  SfuParticipant& operator=(const SfuParticipant&) = delete;

  // Before join(): the access token (e.g. of a user registered meanwhile).
  void set_token(std::string token) { config_.token = std::move(token); }
  // WebSocket, join, the publisher's offer/answer, ICE and DTLS on it (a
  // participant that does not publish stops after join).
  std::expected<void, std::string> join();
  // Receives and answers signaling until `start_send`, publishes from then
  // until `stop_send`, and keeps receiving (repairs still come) until
  // `stop_receive`. Errors on the way (a lost connection) end it early.
  std::expected<void, std::string> run(Clock::time_point start_send, Clock::time_point stop_send,
                                       Clock::time_point stop_receive);
  // subscribe {participant_id, quality} for each of `participants` but us
  // ("low", "medium" or "high").
  void subscribe(const std::vector<std::string>& participants, const std::string& quality);
  // Answers the SFU's offers (and receives) until `until`, sending nothing.
  std::expected<void, std::string> pump(Clock::time_point until) { return run(until, until, until); }
  // Gaps still open become lost; streams copied into stats(). Then leaves.
  void finish();

  const std::string& participant_id() const { return participant_id_; }
  bool publishes() const { return config_.audio || config_.video; }
  const SfuParticipantStats& stats() const { return stats_; }
  // For progress lines from another thread: packets and bytes received.
  std::uint64_t progress_packets() const { return progress_packets_.load(std::memory_order_relaxed); }
  std::uint64_t progress_bytes() const { return progress_bytes_.load(std::memory_order_relaxed); }
  // m= sections of the last subscriber offer answered and applied by the
  // SFU (any thread): a room with k other publishers is settled at 2k.
  std::size_t answered_sections() const { return answered_sections_.load(std::memory_order_relaxed); }

 private:
  struct SentPacket;
  struct Layer;
  struct Inbound;

  std::string publisher_offer();
  std::expected<void, std::string> handle_signaling();
  std::expected<void, std::string> on_subscriber_offer(const std::string& sdp);
  void send_audio(Clock::time_point now);
  void send_video_frame(Layer& layer, Clock::time_point now);
  void send_packet(std::span<const std::uint8_t> packet);
  std::size_t build_packet(std::span<std::uint8_t> out, std::uint8_t pt, std::uint16_t seq, std::uint32_t ts,
                           std::uint32_t ssrc, bool marker, std::span<const std::uint8_t> payload,
                           const std::string& rid, bool repaired, bool audio);
  void on_publisher_rtcp(std::span<const std::uint8_t> compound);
  void on_subscriber_rtp(const rtp::RtpPacket& packet);
  void on_subscriber_rtcp(std::span<const std::uint8_t> compound);
  void retransmit(std::uint32_t ssrc, std::uint16_t seq);
  void send_nacks(Clock::time_point now);
  void send_settle_probe(std::size_t sections);
  void send_reports(Clock::time_point now);
  Inbound& inbound(std::uint32_t ssrc, std::uint8_t payload_type);

  SfuParticipantConfig config_;
  std::mt19937 rng_;
  std::unique_ptr<SignalingClient> signaling_;
  std::unique_ptr<WebRtcClient> pub_;
  std::unique_ptr<WebRtcClient> sub_;
  std::string participant_id_;
  std::string mid_audio_ = "0", mid_video_ = "1";

  // Publishing.
  std::uint32_t audio_ssrc_ = 0;
  std::uint16_t audio_seq_ = 0;
  std::uint32_t audio_ts_ = 0;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::uint16_t transport_seq_ = 0;
  bool rtx_negotiated_ = false;
  std::uint8_t rtx_pt_ = 97;

  // Receiving.
  std::map<std::uint32_t, std::unique_ptr<Inbound>> inbound_;
  std::map<std::uint32_t, std::uint32_t> rtx_to_media_;   // FID groups of the offers
  std::map<std::uint32_t, std::pair<std::string, std::string>> offered_;  // ssrc -> kind, participant
  std::uint32_t rtcp_ssrc_ = 0;
  std::uint64_t probe_seq_ = 0;
  std::size_t probe_sections_ = 0;

  SfuParticipantStats stats_;
  std::atomic<std::uint64_t> progress_packets_{0};
  std::atomic<std::uint64_t> progress_bytes_{0};
  std::atomic<std::size_t> answered_sections_{0};
};

}  // namespace parley::rtc
