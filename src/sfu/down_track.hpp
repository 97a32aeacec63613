#pragma once

// One published track as one subscriber receives it: an m= section of the
// subscriber connection with our own SSRC (and RTX SSRC for video). The
// subscriber sees one continuous stream whatever happens upstream:
//
//   LayerSelector  which simulcast layer, switching at keyframes
//   RtpMunger      SSRC, sequence number and timestamp continuity (RFC 3550 §5.1)
//   Vp8Munger      picture id / TL0PICIDX continuity (RFC 7741 §4.2)
//
// Each forwarded packet is written anew for this subscriber: our payload
// type, our header extensions (abs-send-time, a transport-wide sequence
// number for its bandwidth estimate, the audio level), the publisher's
// payload. NACKed packets come back from the publisher's cache, as RTX
// (RFC 4588 §4) when the answer kept it.
//
// Audio redundancy (RFC 2198): a publisher's RED packet goes out as RED
// under the subscriber's red payload type when its SDP kept red, else as the
// primary Opus block alone under its opus payload type; plain Opus always
// goes out as opus. Malformed RED is dropped.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sfu/layer_selector.hpp"
#include "sfu/packet_cache.hpp"
#include "sfu/published_track.hpp"
#include "sfu/rtp_munger.hpp"
#include "sfu/vp8_munger.hpp"

namespace parley::rtp {
class RtpPacket;
}

namespace parley::sfu {

// Where a down track writes its packets: the subscriber's connection.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // A whole RTP packet in `buffer` [0, len) with room for SRTP growth after
  // it; `transport_seq` is the transport-wide number written into it.
  virtual void send_rtp(std::span<std::uint8_t> buffer, std::size_t len, std::uint16_t transport_seq) = 0;
  // The next transport-wide sequence number of the connection.
  virtual std::uint16_t next_transport_seq() = 0;
};

// Payload types and extension ids as the subscriber's SDP has them: ours
// (rtc/offer.hpp) when we offered, the viewer's when we answered (WHEP).
// An id of 0 leaves that extension out.
struct OutgoingFormat {
  std::uint8_t payload_type = 0;  // 0: opus 111 / VP8 96 of our offer
  std::uint8_t rtx_payload_type = 0;
  std::uint8_t red_payload_type = 0;  // audio: red over payload_type (RFC 2198); 0: not negotiated
  std::uint8_t abs_send_time_id = 0;
  std::uint8_t transport_cc_id = 0;
  std::uint8_t audio_level_id = 0;
  // Without red: whether the subscriber kept it is known from its answer
  // (DownTrack::set_red_payload_type); opus alone is safe until then.
  static OutgoingFormat of_our_offer(bool audio);
};

struct DownTrackStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t retransmitted = 0;
  std::uint64_t layer_switches = 0;
  std::uint64_t nacks_received = 0;
  std::uint64_t plis_received = 0;
  // From the subscriber's receiver reports (RFC 3550 §6.4.1).
  double fraction_lost = 0;
  std::uint32_t jitter = 0;  // timestamp units
  std::optional<double> rtt_ms;
};

class DownTrack {
 public:
  DownTrack(PublishedTrack& source, PacketSink& sink, std::string mid, std::uint32_t ssrc, std::uint32_t rtx_ssrc,
            OutgoingFormat format);

  // The packet of `layer` of the source arrived (already in its cache).
  // `keyframe`: it starts a keyframe.
  void forward(const rtp::RtpPacket& packet, std::size_t layer, bool keyframe,
               std::chrono::steady_clock::time_point now);
  // A subscriber NACK for our sequence number `seq` (RFC 4585 §6.2.1).
  // When the packet is not in the source's cache, the source packet to ask
  // the publisher for.
  struct Missing {
    std::uint32_t ssrc = 0;
    std::uint16_t seq = 0;
  };
  std::optional<Missing> retransmit(std::uint16_t seq, std::chrono::steady_clock::time_point now);

  // What the subscriber wants and what the allocator grants; the selector
  // moves at the next keyframe.
  void set_quality(Quality quality) { quality_ = quality; }
  Quality quality() const { return quality_; }
  void set_target_layer(std::optional<std::size_t> layer);
  // Which layers the publisher sends now (the selector leaves a layer that stopped).
  void set_layers(const Layers& layers) { selector_.set_layers(layers); }
  // The publisher muted/unmuted: stop at once / resume as a new segment.
  void set_paused(bool paused);
  // The source stopped for a while without being paused here (large-room
  // audio gating): its next packet starts a new segment, so the gap is not
  // seen as loss.
  void restart_segment() {
    if (munger_.source()) munger_.switch_to(*munger_.source());
  }
  bool wants_keyframe() const;
  std::optional<std::size_t> current_layer() const { return selector_.current(); }
  std::optional<std::size_t> target_layer() const { return selector_.target(); }

  PublishedTrack& source() { return *source_; }
  const PublishedTrack& source() const { return *source_; }
  const std::string& mid() const { return mid_; }
  std::uint32_t ssrc() const { return ssrc_; }
  std::uint32_t rtx_ssrc() const { return rtx_ssrc_; }
  void set_rtx(bool enabled) { rtx_enabled_ = enabled; }
  // Bandwidth probes (probe_cluster.hpp): a packet of nothing but `padding`
  // bytes (1-255) on our RTX stream (RFC 3550 §5.1, RFC 4588 §4), written
  // into `out`; its size, or 0 when this track has no RTX. Receivers count
  // it in their transport-wide feedback and drop it.
  bool can_pad() const { return rtx_enabled_ && rtx_ssrc_ != 0 && format_.rtx_payload_type != 0; }
  std::size_t write_padding(std::span<std::uint8_t> out, std::uint8_t padding, std::uint16_t transport_seq,
                            std::chrono::steady_clock::time_point now);
  // The subscriber's answer kept red under this payload type (0: it did not).
  void set_red_payload_type(std::uint8_t payload_type) { format_.red_payload_type = payload_type; }
  DownTrackStats& stats() { return stats_; }
  const DownTrackStats& stats() const { return stats_; }

  // For our sender report (RFC 3550 §6.4.1): the RTP timestamp that
  // corresponds to `now`, extrapolated from the last packet sent.
  std::optional<std::uint32_t> rtp_timestamp_at(std::chrono::steady_clock::time_point now) const;
  std::uint32_t packets_sent() const { return static_cast<std::uint32_t>(stats_.packets); }
  std::uint32_t octets_sent() const { return octets_; }

 private:
  // What a source packet becomes for this subscriber: payload type and
  // payload (RED passed on, or stripped to its primary block).
  struct Outgoing {
    std::uint8_t payload_type = 0;
    std::span<const std::uint8_t> payload;
    bool red = false;  // a RED payload: its block headers get our opus payload type
  };
  std::optional<Outgoing> outgoing_for(const rtp::RtpPacket& packet) const;
  std::size_t write_packet(const rtp::RtpPacket& packet, const Outgoing& outgoing, std::uint16_t seq,
                           std::uint32_t timestamp, bool segment_start, std::span<std::uint8_t> out,
                           std::uint16_t transport_seq, std::chrono::steady_clock::time_point now);

  PublishedTrack* source_;
  PacketSink* sink_;
  std::string mid_;
  std::uint32_t ssrc_;
  std::uint32_t rtx_ssrc_;
  OutgoingFormat format_;
  bool rtx_enabled_ = true;
  std::uint16_t rtx_seq_ = 0;
  Quality quality_ = Quality::High;
  bool paused_ = false;
  LayerSelector selector_;
  RtpMunger munger_;
  Vp8Munger vp8_;
  NackRateLimiter nack_limiter_{std::chrono::milliseconds(100)};
  DownTrackStats stats_;
  std::uint32_t octets_ = 0;
  std::uint32_t last_timestamp_ = 0;
  std::chrono::steady_clock::time_point last_sent_{};
};

}  // namespace parley::sfu
