#include "rtp/rtcp_feedback.hpp"

#include <algorithm>
#include <bit>
#include <iterator>

#include "rtp/detail/byte_io.hpp"
#include "rtp/detail/rtcp_writer.hpp"

namespace parley::rtp {

using detail::load_u16;
using detail::load_u32;
using detail::store_u16;
using detail::store_u32;

namespace {

constexpr std::size_t kFeedbackHeaderSize = kRtcpHeaderSize + 8;  // + sender and media SSRC

// Header and both SSRCs of a feedback message with an FCI of `fci_size`;
// returns where the FCI goes.
std::expected<std::uint8_t*, Error> begin_feedback(std::span<std::uint8_t> out,
                                                   std::size_t fci_size, std::uint8_t type,
                                                   std::uint8_t format, std::uint32_t sender_ssrc,
                                                   std::uint32_t media_ssrc) {
  auto p = detail::begin_rtcp(out, kFeedbackHeaderSize + fci_size, type, format);
  if (!p) return p;
  store_u32(*p + 4, sender_ssrc);
  store_u32(*p + 8, media_ssrc);
  return *p + kFeedbackHeaderSize;
}

std::expected<Feedback, Error> parse_as(const RtcpPacket& packet, std::uint8_t type,
                                        std::uint8_t format) {
  if (packet.type() != type || packet.format() != format) return std::unexpected(Error::WrongType);
  return Feedback::parse(packet);
}

}  // namespace

std::expected<Feedback, Error> Feedback::parse(const RtcpPacket& packet) {
  if (packet.type() != rtcp_type::kRtpFeedback && packet.type() != rtcp_type::kPayloadFeedback) {
    return std::unexpected(Error::WrongType);
  }
  const auto body = packet.body();
  if (body.size() < 8) return std::unexpected(Error::Truncated);
  Feedback fb;
  fb.type = packet.type();
  fb.format = packet.format();
  fb.sender_ssrc = load_u32(body.data());
  fb.media_ssrc = load_u32(body.data() + 4);
  fb.fci = body.subspan(8);
  return fb;
}

// --- NACK ----------------------------------------------------------------------------

NackItem NackItem::read(const std::uint8_t* p) {
  return {load_u16(p), load_u16(p + 2)};
}

std::expected<Nack, Error> Nack::parse(const RtcpPacket& packet) {
  auto fb = parse_as(packet, rtcp_type::kRtpFeedback, rtpfb_format::kNack);
  if (!fb) return std::unexpected(fb.error());
  // §6.2.1: one or more FCI entries of 4 bytes.
  if (fb->fci.empty()) return std::unexpected(Error::Truncated);
  if (fb->fci.size() % NackItem::kSize != 0) return std::unexpected(Error::Malformed);
  return Nack{fb->sender_ssrc, fb->media_ssrc, RecordRange<NackItem>(fb->fci)};
}

std::size_t Nack::expand(std::span<std::uint16_t> out) const {
  std::size_t n = 0;
  for_each_lost([&](std::uint16_t seq) {
    if (n < out.size()) out[n] = seq;
    ++n;
  });
  return n;
}

namespace {

// Greedy PID+BLP packing: f(item) for each item, in order.
template <typename F>
void pack_nack(std::span<const std::uint16_t> lost, F&& f) {
  if (lost.empty()) return;
  NackItem item{lost[0], 0};
  for (std::size_t i = 1; i < lost.size(); ++i) {
    const auto distance = static_cast<std::uint16_t>(lost[i] - item.pid);
    if (distance == 0) continue;
    if (distance <= 16) {
      item.blp = static_cast<std::uint16_t>(item.blp | (1u << (distance - 1)));
    } else {
      f(item);
      item = NackItem{lost[i], 0};
    }
  }
  f(item);
}

}  // namespace

std::size_t nack_item_count(std::span<const std::uint16_t> lost) {
  std::size_t n = 0;
  pack_nack(lost, [&](const NackItem&) { ++n; });
  return n;
}

std::expected<std::size_t, Error> write_nack(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                             std::uint32_t media_ssrc,
                                             std::span<const std::uint16_t> lost) {
  if (lost.empty()) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t items = nack_item_count(lost);
  auto fci = begin_feedback(out, items * NackItem::kSize, rtcp_type::kRtpFeedback,
                            rtpfb_format::kNack, sender_ssrc, media_ssrc);
  if (!fci) return std::unexpected(fci.error());
  std::uint8_t* p = *fci;
  pack_nack(lost, [&](const NackItem& item) {
    store_u16(p, item.pid);
    store_u16(p + 2, item.blp);
    p += NackItem::kSize;
  });
  return kFeedbackHeaderSize + items * NackItem::kSize;
}

std::expected<std::size_t, Error> write_nack(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                             std::uint32_t media_ssrc,
                                             std::span<const NackItem> items) {
  if (items.empty()) return std::unexpected(Error::ValueOutOfRange);
  auto fci = begin_feedback(out, items.size() * NackItem::kSize, rtcp_type::kRtpFeedback,
                            rtpfb_format::kNack, sender_ssrc, media_ssrc);
  if (!fci) return std::unexpected(fci.error());
  std::uint8_t* p = *fci;
  for (const auto& item : items) {
    store_u16(p, item.pid);
    store_u16(p + 2, item.blp);
    p += NackItem::kSize;
  }
  return kFeedbackHeaderSize + items.size() * NackItem::kSize;
}

// --- PLI -----------------------------------------------------------------------------

bool is_pli(const Feedback& feedback) {
  return feedback.type == rtcp_type::kPayloadFeedback && feedback.format == psfb_format::kPli;
}

std::expected<std::size_t, Error> write_pli(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                            std::uint32_t media_ssrc) {
  auto fci = begin_feedback(out, 0, rtcp_type::kPayloadFeedback, psfb_format::kPli, sender_ssrc,
                            media_ssrc);
  if (!fci) return std::unexpected(fci.error());
  return kFeedbackHeaderSize;
}

// --- FIR -----------------------------------------------------------------------------

FirEntry FirEntry::read(const std::uint8_t* p) {
  return {load_u32(p), p[4]};
}

std::expected<Fir, Error> Fir::parse(const RtcpPacket& packet) {
  auto fb = parse_as(packet, rtcp_type::kPayloadFeedback, psfb_format::kFir);
  if (!fb) return std::unexpected(fb.error());
  if (fb->fci.size() < FirEntry::kSize) return std::unexpected(Error::Truncated);
  if (fb->fci.size() % FirEntry::kSize != 0) return std::unexpected(Error::Malformed);
  return Fir{fb->sender_ssrc, RecordRange<FirEntry>(fb->fci)};
}

std::expected<std::size_t, Error> write_fir(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                            std::span<const FirEntry> entries) {
  if (entries.empty()) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t fci_size = entries.size() * FirEntry::kSize;
  auto fci =
      begin_feedback(out, fci_size, rtcp_type::kPayloadFeedback, psfb_format::kFir, sender_ssrc, 0);
  if (!fci) return std::unexpected(fci.error());
  std::uint8_t* p = *fci;
  for (const auto& entry : entries) {
    store_u32(p, entry.ssrc);
    store_u32(p + 4, std::uint32_t{entry.sequence_number} << 24);  // Seq nr, 24 reserved bits
    p += FirEntry::kSize;
  }
  return kFeedbackHeaderSize + fci_size;
}

// --- REMB ----------------------------------------------------------------------------

namespace {
constexpr std::uint8_t kRembId[4] = {'R', 'E', 'M', 'B'};
}

std::expected<Remb, Error> Remb::parse(const RtcpPacket& packet) {
  auto fb = parse_as(packet, rtcp_type::kPayloadFeedback, psfb_format::kAfb);
  if (!fb) return std::unexpected(fb.error());
  const auto fci = fb->fci;
  if (fci.size() < 8) return std::unexpected(Error::Truncated);
  if (!std::equal(std::begin(kRembId), std::end(kRembId), fci.begin())) {
    return std::unexpected(Error::WrongType);  // another application layer FB message
  }
  const std::size_t count = fci[4];
  if (fci.size() - 8 < 4 * count) return std::unexpected(Error::Truncated);
  const std::uint8_t exponent = fci[5] >> 2;
  const std::uint64_t mantissa = detail::load_u24(fci.data() + 5) & 0x3FFFF;
  Remb remb;
  remb.sender_ssrc = fb->sender_ssrc;
  // Saturate instead of losing high bits: mantissa has up to 18 bits.
  if (mantissa != 0 && exponent + static_cast<unsigned>(std::bit_width(mantissa)) > 64) {
    remb.bitrate_bps = ~std::uint64_t{0};
  } else {
    remb.bitrate_bps = mantissa << exponent;
  }
  remb.ssrcs = RecordRange<std::uint32_t>(fci.subspan(8, 4 * count));
  return remb;
}

RembBitrate encode_remb_bitrate(std::uint64_t bitrate_bps) {
  const unsigned width = static_cast<unsigned>(std::bit_width(bitrate_bps));
  const unsigned exponent = width > 18 ? width - 18 : 0;
  return {static_cast<std::uint8_t>(exponent), static_cast<std::uint32_t>(bitrate_bps >> exponent)};
}

std::expected<std::size_t, Error> write_remb(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                             std::uint64_t bitrate_bps,
                                             std::span<const std::uint32_t> ssrcs) {
  if (ssrcs.size() > 255) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t fci_size = 8 + 4 * ssrcs.size();
  auto fci =
      begin_feedback(out, fci_size, rtcp_type::kPayloadFeedback, psfb_format::kAfb, sender_ssrc, 0);
  if (!fci) return std::unexpected(fci.error());
  std::uint8_t* p = *fci;
  std::copy(std::begin(kRembId), std::end(kRembId), p);
  p[4] = static_cast<std::uint8_t>(ssrcs.size());
  const RembBitrate br = encode_remb_bitrate(bitrate_bps);
  detail::store_u24(p + 5, (std::uint32_t{br.exponent} << 18) | br.mantissa);
  p += 8;
  for (const auto ssrc : ssrcs) {
    store_u32(p, ssrc);
    p += 4;
  }
  return kFeedbackHeaderSize + fci_size;
}

}  // namespace parley::rtp
