#include "sfu/down_track.hpp"

#include <array>

#include "rtc/offer.hpp"
#include "rtp/header_extensions.hpp"
#include "rtp/red.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/rtx.hpp"
#include "rtp/vp8.hpp"
#include "srtp/srtp_profile.hpp"

namespace parley::sfu {

namespace {
constexpr std::size_t kPacketBuffer = 1600 + srtp::max_rtp_overhead;

std::uint64_t micros(std::chrono::steady_clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}
}  // namespace

OutgoingFormat OutgoingFormat::of_our_offer(bool audio) {
  return {.payload_type = audio ? rtc::kOfferOpusPayloadType : rtc::kOfferVp8PayloadType,
          .rtx_payload_type = audio ? std::uint8_t{0} : rtc::kOfferRtxPayloadType,
          .red_payload_type = 0,
          .abs_send_time_id = rtc::kOfferAbsSendTimeId,
          .transport_cc_id = rtc::kOfferTransportCcId,
          .audio_level_id = audio ? rtc::kOfferAudioLevelId : std::uint8_t{0}};
}

DownTrack::DownTrack(PublishedTrack& source, PacketSink& sink, std::string mid, std::uint32_t ssrc,
                     std::uint32_t rtx_ssrc, OutgoingFormat format)
    : source_(&source), sink_(&sink), mid_(std::move(mid)), ssrc_(ssrc), rtx_ssrc_(rtx_ssrc), format_(format),
      munger_(source.clock_rate) {
  paused_ = source.muted;
}

void DownTrack::set_target_layer(std::optional<std::size_t> layer) {
  if (paused_) layer.reset();
  selector_.set_target(layer);
}

void DownTrack::set_paused(bool paused) {
  if (paused == paused_) return;
  paused_ = paused;
  if (paused) {
    selector_.set_target(std::nullopt);
  } else if (source_->kind == sdp::MediaKind::Audio && munger_.source()) {
    munger_.switch_to(*munger_.source());  // a new segment: the gap is not loss
  }
}

bool DownTrack::wants_keyframe() const {
  return !paused_ && source_->kind == sdp::MediaKind::Video && selector_.needs_keyframe();
}

std::optional<DownTrack::Outgoing> DownTrack::outgoing_for(const rtp::RtpPacket& packet) const {
  const auto& red_payload_type = source_->red_payload_type;
  if (source_->kind != sdp::MediaKind::Audio || !red_payload_type || packet.payload_type() != *red_payload_type)
    return Outgoing{format_.payload_type, packet.payload(), false};
  // RFC 2198 §3: headers and block lengths must hold, and the primary must
  // be the publisher's opus, the one encoding we can name to the subscriber.
  const auto red = rtp::parse_red(packet.payload());
  if (!red || red->primary_payload_type != source_->payload_type) return std::nullopt;
  if (format_.red_payload_type && red->single_payload_type)
    return Outgoing{format_.red_payload_type, packet.payload(), true};
  return Outgoing{format_.payload_type, red->primary, false};  // the primary alone is plain opus
}

void DownTrack::forward(const rtp::RtpPacket& packet, std::size_t layer, bool keyframe,
                        std::chrono::steady_clock::time_point now) {
  if (paused_) return;
  // Decided before the munger numbers it: a dropped packet is a gap, like loss.
  const auto payload = outgoing_for(packet);
  if (!payload) return;
  if (source_->kind == sdp::MediaKind::Audio) {
    if (munger_.source() != packet.ssrc()) munger_.switch_to(packet.ssrc());  // first, or a reconnect
  } else {
    const auto before = selector_.current();
    const auto verdict = selector_.on_packet(layer, keyframe);
    if (!verdict.forward) return;
    if (verdict.switched) {
      munger_.switch_to(packet.ssrc());
      if (before && before != selector_.current()) ++stats_.layer_switches;
    } else if (munger_.source() != packet.ssrc()) {
      munger_.switch_to(packet.ssrc(), true);  // the publisher reconnected with a new SSRC
    }
  }
  const auto rewritten =
      munger_.rewrite({packet.ssrc(), packet.sequence_number(), packet.timestamp(), now, keyframe});
  if (!rewritten) return;
  std::array<std::uint8_t, kPacketBuffer> out;
  const auto transport_seq = sink_->next_transport_seq();
  const auto n = write_packet(packet, *payload, rewritten->seq, rewritten->timestamp, rewritten->segment_start,
                              out, transport_seq, now);
  if (n == 0) return;
  ++stats_.packets;
  stats_.bytes += n;
  octets_ += static_cast<std::uint32_t>(payload->payload.size());
  last_timestamp_ = rewritten->timestamp;
  last_sent_ = now;
  sink_->send_rtp(out, n, transport_seq);
}

std::size_t DownTrack::write_padding(std::span<std::uint8_t> out, std::uint8_t padding,
                                     std::uint16_t transport_seq, std::chrono::steady_clock::time_point now) {
  if (!can_pad() || padding == 0) return 0;
  const auto abs = rtp::encode_abs_send_time(rtp::abs_send_time_from_us(micros(now)));
  const auto tcc = rtp::encode_transport_sequence(transport_seq);
  std::array<rtp::HeaderExtension, 2> exts{};
  std::size_t count = 0;
  if (format_.abs_send_time_id) exts[count++] = {format_.abs_send_time_id, abs};
  if (format_.transport_cc_id) exts[count++] = {format_.transport_cc_id, tcc};
  rtp::RtpPacketSpec spec;
  spec.payload_type = format_.rtx_payload_type;
  spec.sequence_number = rtx_seq_++;
  spec.timestamp = last_timestamp_;
  spec.ssrc = rtx_ssrc_;
  spec.extensions = std::span(exts).first(count);
  spec.extension_form = rtp::ExtensionForm::OneByte;
  spec.padding = padding;
  const auto n = rtp::write_rtp_packet(out.first(out.size() - srtp::max_rtp_overhead), spec);
  return n ? *n : 0;
}

std::size_t DownTrack::write_packet(const rtp::RtpPacket& packet, const Outgoing& outgoing, std::uint16_t seq,
                                    std::uint32_t timestamp, bool segment_start, std::span<std::uint8_t> out,
                                    std::uint16_t transport_seq, std::chrono::steady_clock::time_point now) {
  const bool audio = source_->kind == sdp::MediaKind::Audio;
  const auto abs = rtp::encode_abs_send_time(rtp::abs_send_time_from_us(micros(now)));
  const auto tcc = rtp::encode_transport_sequence(transport_seq);
  std::array<rtp::HeaderExtension, 3> exts{};
  std::size_t count = 0;
  if (format_.abs_send_time_id) exts[count++] = {format_.abs_send_time_id, abs};
  if (format_.transport_cc_id) exts[count++] = {format_.transport_cc_id, tcc};
  std::array<std::uint8_t, 1> level{};
  if (audio && source_->audio_level_id && format_.audio_level_id) {
    if (auto data = packet.extension(source_->audio_level_id); data && data->size() == 1) {
      level[0] = (*data)[0];
      exts[count++] = {format_.audio_level_id, level};  // RFC 6464 §3, passed on as it is
    }
  }
  rtp::RtpPacketSpec spec;
  spec.marker = packet.marker();
  spec.payload_type = outgoing.payload_type;
  spec.sequence_number = seq;
  spec.timestamp = timestamp;
  spec.ssrc = ssrc_;
  spec.extensions = std::span(exts).first(count);
  spec.extension_form = rtp::ExtensionForm::OneByte;
  spec.payload = outgoing.payload;
  const auto n = rtp::write_rtp_packet(out.first(out.size() - srtp::max_rtp_overhead), spec);
  if (!n) return 0;
  if (outgoing.red) {
    // RFC 2198 §3: each block names its encoding by payload type, so the
    // blocks say opus the way this subscriber numbers it. The payload is
    // the packet's tail (no padding is written).
    const auto payload = out.subspan(*n - outgoing.payload.size(), outgoing.payload.size());
    if (!rtp::set_red_payload_types(payload, format_.payload_type)) return 0;
  }
  if (!audio) {
    // RFC 7741 §4.2: same-size rewrite of the payload descriptor in place.
    auto parsed = rtp::MutableRtpPacket::parse(out.first(*n));
    if (!parsed || !vp8_.rewrite(parsed->payload(), segment_start)) return 0;
  }
  return *n;
}

std::optional<DownTrack::Missing> DownTrack::retransmit(std::uint16_t seq, std::chrono::steady_clock::time_point now) {
  ++stats_.nacks_received;
  const auto origin = munger_.origin_of(seq);
  if (!origin) return std::nullopt;
  const Layer* layer = nullptr;
  for (const auto& l : source_->layers)
    if (l.ssrc == origin->ssrc) layer = &l;
  if (!layer) return std::nullopt;
  if (!nack_limiter_.allow(seq, now)) return std::nullopt;
  const auto cached = layer->cache.find(origin->seq, now);
  if (!cached) return Missing{origin->ssrc, origin->seq};
  auto original = rtp::RtpPacket::parse(*cached);
  if (!original) return std::nullopt;
  const auto payload = outgoing_for(*original);
  if (!payload) return std::nullopt;
  std::array<std::uint8_t, kPacketBuffer> plain;
  const auto transport_seq = sink_->next_transport_seq();
  const auto n = write_packet(*original, *payload, seq, original->timestamp() + origin->timestamp_offset, false,
                              plain, transport_seq, now);
  if (n == 0) return std::nullopt;
  ++stats_.retransmitted;
  if (!rtx_enabled_ || !rtx_ssrc_ || !format_.rtx_payload_type) {
    sink_->send_rtp(plain, n, transport_seq);
    return std::nullopt;
  }
  // RFC 4588 §4: OSN + original payload on the RTX SSRC and payload type.
  auto rebuilt = rtp::RtpPacket::parse(std::span<const std::uint8_t>(plain).first(n));
  if (!rebuilt) return std::nullopt;
  std::array<std::uint8_t, kPacketBuffer> wrapped;
  const auto w = rtp::rtx_wrap(*rebuilt, std::span(wrapped).first(wrapped.size() - srtp::max_rtp_overhead),
                               {format_.rtx_payload_type, rtx_ssrc_, rtx_seq_++});
  if (!w) return std::nullopt;
  sink_->send_rtp(wrapped, *w, transport_seq);
  return std::nullopt;
}

std::optional<std::uint32_t> DownTrack::rtp_timestamp_at(std::chrono::steady_clock::time_point now) const {
  if (stats_.packets == 0) return std::nullopt;
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - last_sent_).count();
  return last_timestamp_ + static_cast<std::uint32_t>(elapsed * static_cast<std::int64_t>(source_->clock_rate) /
                                                      1'000'000);
}

}  // namespace parley::sfu
