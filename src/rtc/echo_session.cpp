#include "rtc/echo_session.hpp"

#include <algorithm>
#include <array>

#include "rtp/rtcp_feedback.hpp"
#include "rtp/rtcp_packet.hpp"
#include "rtp/rtcp_reports.hpp"
#include "rtp/rtp_packet.hpp"
#include "srtp/srtp_profile.hpp"

namespace parley::rtc {

namespace {
constexpr std::size_t kRtcpBuffer = 1500;
}

EchoSession::EchoSession(WebRtcTransport& transport, const Answer& answer, std::string cname,
                         boost::asio::any_io_executor executor)
    : transport_(&transport), cname_(std::move(cname)) {
  for (const auto& s : answer.sections) {
    if (!s.accepted) continue;
    if (s.kind == sdp::MediaKind::Application) {
      if (sctp_) continue;  // one SCTP association per transport (RFC 8841 §5)
      SctpConfig sc;
      sc.local_port = kSctpPort;
      sc.remote_port = s.remote_sctp_port.value_or(kSctpPort);
      sc.remote_max_message_size = s.remote_max_message_size;
      sctp_ = std::make_unique<SctpAssociation>(
          executor, sc, [this](std::span<const std::uint8_t> p) { transport_->send_app_data(p); });
      sctp_->on_message([this](std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> d) {
        if (sctp_->send(stream, ppid, d)) ++messages_echoed_;
      });
      transport_->on_app_data([this](std::span<const std::uint8_t> p) { sctp_->handle_packet(p); });
      continue;
    }
    Track t;
    t.mid = s.mid;
    t.kind = s.kind;
    t.payload_type = s.payload_type;
    t.local_ssrc = s.local_ssrc.value_or(0);
    t.offered_ssrcs = s.remote_ssrcs;
    t.mid_extension_id = s.mid_extension_id.value_or(0);
    if (s.clock_rate) t.clock_rate = s.clock_rate;
    tracks_.push_back(std::move(t));
  }
  transport_->on_rtp([this](std::span<std::uint8_t> b, std::size_t n) { handle_rtp(b, n); });
  transport_->on_rtcp([this](std::span<std::uint8_t> b, std::size_t n) { handle_rtcp(b, n); });
}

EchoSession::~EchoSession() {
  transport_->on_app_data(nullptr);
  transport_->on_rtp(nullptr);
  transport_->on_rtcp(nullptr);
  sctp_.reset();
}

void EchoSession::on_tick(std::chrono::steady_clock::time_point now) {
  // RFC 8831 §6.2: both ends initiate the association once DTLS is up.
  if (sctp_ && transport_->state() == TransportState::Connected) sctp_->start();
  send_reports(now);
}

EchoSession::Track* EchoSession::track_for(std::uint32_t ssrc, std::uint8_t payload_type,
                                           std::optional<std::span<const std::uint8_t>> mid) {
  for (auto& t : tracks_)
    if (t.remote_ssrc == ssrc) return &t;
  Track* found = nullptr;
  for (auto& t : tracks_)
    if (std::ranges::find(t.offered_ssrcs, ssrc) != t.offered_ssrcs.end()) found = &t;
  if (!found && mid) {
    const std::string_view value(reinterpret_cast<const char*>(mid->data()), mid->size());
    for (auto& t : tracks_)
      if (t.mid == value) found = &t;
  }
  if (!found)
    for (auto& t : tracks_)
      if (t.payload_type == payload_type && t.remote_ssrc == 0) found = &t;
  // One source per section: a new SSRC (e.g. after a track replacement)
  // takes over, as RFC 3550 §8.2 would see a new participant.
  if (found && found->payload_type == payload_type) {
    found->remote_ssrc = ssrc;
    if (found->kind == sdp::MediaKind::Video && found->local_ssrc) send_pli(*found);
    return found;
  }
  return nullptr;
}

EchoSession::Track* EchoSession::track_by_local(std::uint32_t ssrc) {
  for (auto& t : tracks_)
    if (t.local_ssrc == ssrc && ssrc != 0) return &t;
  return nullptr;
}

void EchoSession::handle_rtp(std::span<std::uint8_t> buffer, std::size_t len) {
  auto packet = rtp::MutableRtpPacket::parse(buffer.first(len));
  if (!packet) return;
  const auto& view = packet->view();
  Track* track = nullptr;
  for (auto& t : tracks_)
    if (t.remote_ssrc == view.ssrc()) track = &t;
  if (!track) {
    std::optional<std::span<const std::uint8_t>> mid;
    for (const auto& t : tracks_)
      if (t.mid_extension_id != 0 && !mid) mid = view.extension(t.mid_extension_id);
    track = track_for(view.ssrc(), view.payload_type(), mid);
  }
  if (!track || track->local_ssrc == 0 || view.payload_type() != track->payload_type) return;
  // RFC 3550 A.1: extended highest sequence number of the browser's stream.
  const std::uint16_t seq = view.sequence_number();
  if (!track->seq_started) {
    track->seq_started = true;
    track->max_seq = seq;
  } else if (static_cast<std::uint16_t>(seq - track->max_seq) < 0x8000) {
    if (seq < track->max_seq) track->cycles += 0x10000;
    track->max_seq = seq;
  }
  const auto payload_size = static_cast<std::uint32_t>(view.payload().size());
  const std::uint32_t timestamp = view.timestamp();
  packet->set_ssrc(track->local_ssrc);
  if (transport_->send_rtp(buffer, len)) {
    ++echoed_;
    ++track->packets_sent;
    track->octets_sent += payload_size;
    track->last_timestamp = timestamp;
    track->last_sent = std::chrono::steady_clock::now();
  }
}

void EchoSession::send_pli(const Track& track) {
  std::array<std::uint8_t, 64> out{};
  auto n = rtp::write_pli(out, track.local_ssrc, track.remote_ssrc);  // RFC 4585 §6.3.1
  if (n) transport_->send_rtcp(out, *n);
}

void EchoSession::handle_rtcp(std::span<std::uint8_t> buffer, std::size_t len) {
  auto compound = rtp::RtcpCompound::parse(buffer.first(len));
  if (!compound) return;
  std::array<std::uint8_t, kRtcpBuffer + srtp::max_rtcp_overhead> out{};
  std::size_t used = 0;
  std::vector<rtp::NackItem> items;
  for (const auto& p : *compound) {
    if (p.type() == rtp::rtcp_type::kSenderReport) {
      // Remember it for LSR/DLSR in our report block (RFC 3550 §6.4.1).
      if (auto sr = rtp::SenderReport::parse(p))
        for (auto& t : tracks_)
          if (t.remote_ssrc == sr->sender_ssrc) {
            t.last_sr = rtp::compact_ntp(sr->info.ntp_timestamp);
            t.last_sr_at = std::chrono::steady_clock::now();
          }
      continue;
    }
    if (p.type() != rtp::rtcp_type::kPayloadFeedback && p.type() != rtp::rtcp_type::kRtpFeedback)
      continue;  // RR/SDES/BYE of the browser: nothing to turn around
    auto fb = rtp::Feedback::parse(p);
    if (!fb) continue;
    const std::span<std::uint8_t> room = std::span(out).first(kRtcpBuffer).subspan(used);
    if (rtp::is_pli(*fb)) {
      const Track* t = track_by_local(fb->media_ssrc);
      if (!t || !t->remote_ssrc) continue;
      if (auto n = rtp::write_pli(room, t->local_ssrc, t->remote_ssrc)) used += *n;
    } else if (fb->type == rtp::rtcp_type::kPayloadFeedback && fb->format == rtp::psfb_format::kFir) {
      auto fir = rtp::Fir::parse(p);
      if (!fir) continue;
      for (const auto entry : fir->entries) {
        const Track* t = track_by_local(entry.ssrc);
        if (!t || !t->remote_ssrc) continue;
        // A FIR for our stream is a decoder refresh of the browser's: ask
        // its encoder with a PLI (RFC 5104 §4.3.1.2 lets a translator do so).
        if (auto n = rtp::write_pli(std::span(out).first(kRtcpBuffer).subspan(used), t->local_ssrc,
                                    t->remote_ssrc))
          used += *n;
      }
    } else if (fb->type == rtp::rtcp_type::kRtpFeedback && fb->format == rtp::rtpfb_format::kNack) {
      auto nack = rtp::Nack::parse(p);
      if (!nack) continue;
      const Track* t = track_by_local(nack->media_ssrc);
      if (!t || !t->remote_ssrc) continue;
      items.clear();
      for (const rtp::NackItem item : nack->items) items.push_back(item);
      if (auto n = rtp::write_nack(room, t->local_ssrc, t->remote_ssrc,
                                   std::span<const rtp::NackItem>(items)))
        used += *n;
    }
  }
  if (used > 0) transport_->send_rtcp(out, used);  // RFC 5506 reduced-size is fine (rtcp-rsize)
}

void EchoSession::send_reports(std::chrono::steady_clock::time_point now) {
  if (transport_->state() != TransportState::Connected) return;
  const std::uint64_t ntp = rtp::ntp_time(std::chrono::system_clock::now());

  for (const auto& t : tracks_) {
    if (!t.local_ssrc || !t.packets_sent) continue;
    std::array<std::uint8_t, 256 + srtp::max_rtcp_overhead> out{};
    const std::span<std::uint8_t> room = std::span(out).first(256);
    rtp::SenderInfo info;
    info.ntp_timestamp = ntp;
    // The RTP time of `now` on our stream's clock: the last echoed
    // timestamp advanced by the time since it went out.
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - t.last_sent).count();
    info.rtp_timestamp = t.last_timestamp + static_cast<std::uint32_t>(
                                                static_cast<std::uint64_t>(elapsed) * t.clock_rate / 1000000);
    info.packet_count = t.packets_sent;
    info.octet_count = t.octets_sent;
    std::array<rtp::ReportBlock, 1> blocks{};
    std::span<const rtp::ReportBlock> report;
    if (t.remote_ssrc && t.seq_started) {
      auto& b = blocks[0];
      b.ssrc = t.remote_ssrc;
      b.extended_highest_sequence = t.cycles + t.max_seq;
      if (t.last_sr) {
        b.last_sr = t.last_sr;
        const auto dlsr = std::chrono::duration_cast<std::chrono::microseconds>(now - t.last_sr_at).count();
        b.delay_since_last_sr = static_cast<std::uint32_t>(static_cast<std::uint64_t>(dlsr) * 65536 / 1000000);
      }
      report = blocks;
    }
    auto sr = rtp::write_sender_report(room, t.local_ssrc, info, report);
    if (!sr) continue;
    auto sdes = rtp::write_sdes_cname(room.subspan(*sr), t.local_ssrc, cname_);  // RFC 3550 §6.1
    if (!sdes) continue;
    transport_->send_rtcp(out, *sr + *sdes);
  }
}

}  // namespace parley::rtc
