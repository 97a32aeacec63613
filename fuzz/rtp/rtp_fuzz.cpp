// libFuzzer target for the RTP/RTCP codecs (src/rtp): every input is tried
// as an RTP packet, as a compound RTCP packet (as given, and with its length
// fields repaired so that mutations reach the typed parsers), as each payload
// descriptor and as a RED payload (RFC 2198). Beyond "no crash, no
// out-of-bounds read", whatever parses must hold together: views stay inside
// the input, builders re-encode what was parsed to something that parses to
// the same values, and in-place rewrites change only what they should.
//
// Built as `rtp_fuzz` with Clang (libFuzzer) and as `rtp_fuzz_replay` with
// any compiler (../replay_main.cpp), which runs as a unit test.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <span>
#include <vector>

#include "rtp/rtp.hpp"

namespace {

using namespace parley::rtp;
using Bytes = std::vector<std::uint8_t>;

// A broken invariant is a codec bug: abort so that libFuzzer (or the replay
// test) reports the input.
void require(bool ok, const char* what,
             std::source_location where = std::source_location::current()) {
  if (ok) return;
  std::fprintf(stderr, "rtp_fuzz: invariant failed: %s (%s:%u)\n", what, where.file_name(),
               static_cast<unsigned>(where.line()));
  std::abort();
}

bool inside(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::ranges::equal(a, b);
}

// --- RTP ---------------------------------------------------------------------------

void check_same_header(const RtpPacket& a, const RtpPacket& b) {
  require(a.marker() == b.marker(), "marker survives");
  require(a.payload_type() == b.payload_type(), "payload type survives");
  require(a.sequence_number() == b.sequence_number(), "sequence number survives");
  require(a.timestamp() == b.timestamp(), "timestamp survives");
  require(a.ssrc() == b.ssrc(), "ssrc survives");
  require(a.csrc_count() == b.csrc_count(), "csrc count survives");
  for (std::size_t i = 0; i < a.csrc_count(); ++i) require(a.csrc(i) == b.csrc(i), "csrc survives");
}

void fuzz_rtp(std::span<const std::uint8_t> data) {
  const auto p = RtpPacket::parse(data);
  if (!p) return;
  require(p->header_size() + p->padding_size() <= data.size(), "header and padding fit");
  require(inside(p->payload(), data) && inside(p->extension_block(), data), "views inside");

  // Elements: inside the block; re-encode them and the whole packet.
  std::vector<HeaderExtension> elements;
  for (const auto& e : p->extensions()) {
    require(inside(e.data, p->extension_block()), "element inside block");
    elements.push_back(e);
  }
  const auto form = extension_form(p->extension_profile());
  std::vector<std::uint32_t> csrcs;
  for (std::size_t i = 0; i < p->csrc_count(); ++i) csrcs.push_back(p->csrc(i));
  RtpPacketSpec spec;
  spec.marker = p->marker();
  spec.payload_type = p->payload_type();
  spec.sequence_number = p->sequence_number();
  spec.timestamp = p->timestamp();
  spec.ssrc = p->ssrc();
  spec.csrcs = csrcs;
  if (form) {
    spec.extensions = elements;
    spec.extension_form = *form;
  }
  spec.payload = p->payload();
  spec.padding = static_cast<std::uint8_t>(p->padding_size());
  Bytes rebuilt(rtp_packet_size(spec).value_or(0));
  const auto n = write_rtp_packet(rebuilt, spec);
  require(n.has_value() && *n == rebuilt.size(), "parsed packet re-encodes");
  const auto q = RtpPacket::parse(rebuilt);
  require(q.has_value(), "re-encoded packet parses");
  check_same_header(*p, *q);
  require(same(p->payload(), q->payload()), "payload survives");
  require(p->padding_size() == q->padding_size(), "padding survives");
  std::size_t k = 0;
  for (const auto& e : q->extensions()) {
    require(k < elements.size() && e.id == elements[k].id && same(e.data, elements[k].data),
            "extension elements survive");
    ++k;
  }
  require(k == (form ? elements.size() : 0), "extension element count survives");

  ExtensionMap map;
  for (std::uint8_t id = 1; id < kExtensionKindCount; ++id) {
    map.set(id, static_cast<ExtensionKind>(id));
  }
  (void)p->extension_values(map);

  // In-place rewrites on a copy change exactly those fields.
  Bytes copy(data.begin(), data.end());
  auto m = MutableRtpPacket::rebind(copy, *p);
  require(m.has_value(), "rebind to an equal-size copy");
  m->set_sequence_number(static_cast<std::uint16_t>(p->sequence_number() + 1));
  m->set_timestamp(p->timestamp() + 3000);
  m->set_ssrc(~p->ssrc());
  m->set_marker(!p->marker());
  m->set_payload_type(static_cast<std::uint8_t>(p->payload_type() ^ 1));
  for (const auto& e : elements) {
    Bytes value(e.data.size(), 0xA5);
    require(m->set_extension(e.id, value).has_value(), "present element is writable");
    break;
  }
  const auto r = RtpPacket::parse(copy);
  require(r.has_value(), "rewritten packet parses");
  require(r->sequence_number() == static_cast<std::uint16_t>(p->sequence_number() + 1) &&
              r->timestamp() == p->timestamp() + 3000 && r->ssrc() == ~p->ssrc() &&
              r->marker() != p->marker() && r->payload_type() == (p->payload_type() ^ 1),
          "rewrites land");
  require(same(r->payload(), p->payload()) && r->header_size() == p->header_size(),
          "rewrites touch nothing else");

  // RTX wrap, unwrap: back to the original without padding.
  Bytes rtx(data.size() + kRtxOsnSize);
  const auto wrapped = rtx_wrap(*p, rtx, {97, 0x5678, 9});
  require(wrapped.has_value(), "any parsed packet wraps");
  rtx.resize(*wrapped);
  const auto w = RtpPacket::parse(rtx);
  require(w.has_value() && rtx_original_sequence(*w) == p->sequence_number(), "rtx carries OSN");
  const auto unwrapped = rtx_unwrap_in_place(rtx, {p->payload_type(), p->ssrc()});
  require(unwrapped.has_value(), "rtx unwraps");
  const auto u = RtpPacket::parse(std::span(rtx).first(*unwrapped));
  require(u.has_value(), "unwrapped packet parses");
  check_same_header(*p, *u);
  require(same(u->payload(), p->payload()) && u->padding_size() == 0, "unwrap restores payload");
}

// --- RTCP --------------------------------------------------------------------------

void fuzz_rtcp_packet(const RtcpPacket& packet) {
  std::array<std::uint8_t, 2048> out{};
  if (auto sr = SenderReport::parse(packet)) {
    std::vector<ReportBlock> blocks(sr->report_blocks.begin(), sr->report_blocks.end());
    const auto n = write_sender_report(out, sr->sender_ssrc, sr->info, blocks);
    require(n.has_value(), "SR re-encodes");
    const auto again = SenderReport::parse(*RtcpPacket::parse(std::span(out).first(*n)));
    require(again.has_value() && again->info == sr->info &&
                std::ranges::equal(again->report_blocks, blocks),
            "SR round trip");
  }
  if (auto rr = ReceiverReport::parse(packet)) {
    std::vector<ReportBlock> blocks(rr->report_blocks.begin(), rr->report_blocks.end());
    const auto n = write_receiver_report(out, rr->sender_ssrc, blocks);
    require(n.has_value(), "RR re-encodes");
    const auto again = ReceiverReport::parse(*RtcpPacket::parse(std::span(out).first(*n)));
    require(again.has_value() && std::ranges::equal(again->report_blocks, blocks), "RR round trip");
  }
  if (auto sdes = Sdes::parse(packet)) {
    std::size_t chunks = 0;
    for (const SdesChunk& chunk : *sdes) {
      require(inside(chunk.item_bytes, packet.body()), "SDES items inside");
      for (const SdesItem& item : chunk.items()) require(item.type != 0, "SDES item type");
      ++chunks;
    }
    require(chunks == sdes->chunk_count(), "SDES chunk count");
  }
  if (auto bye = Bye::parse(packet)) {
    std::vector<std::uint32_t> ssrcs(bye->ssrcs.begin(), bye->ssrcs.end());
    const auto n = write_bye(out, ssrcs, bye->reason.value_or(""));
    require(n.has_value(), "BYE re-encodes");
    const auto again = Bye::parse(*RtcpPacket::parse(std::span(out).first(*n)));
    require(again.has_value() && std::ranges::equal(again->ssrcs, ssrcs) &&
                again->reason.value_or("") == bye->reason.value_or(""),
            "BYE round trip");
  }
  if (auto nack = Nack::parse(packet)) {
    std::vector<NackItem> items(nack->items.begin(), nack->items.end());
    std::vector<std::uint16_t> lost;
    nack->for_each_lost([&](std::uint16_t s) { lost.push_back(s); });
    std::array<std::uint16_t, 16> some{};
    require(nack->expand(some) == lost.size(), "NACK expand count");
    Bytes big(16 + 4 * lost.size());
    const auto n = write_nack(big, nack->sender_ssrc, nack->media_ssrc, lost);
    require(n.has_value(), "NACK re-encodes from its list");
    const auto again = Nack::parse(*RtcpPacket::parse(std::span(big).first(*n)));
    require(again.has_value(), "re-encoded NACK parses");
    // Same set of sequence numbers (packing may differ in order and grouping).
    std::vector<std::uint16_t> a = lost, b;
    again->for_each_lost([&](std::uint16_t s) { b.push_back(s); });
    std::ranges::sort(a);
    std::ranges::sort(b);
    a.erase(std::unique(a.begin(), a.end()), a.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    require(a == b, "NACK round trip keeps the lost set");
  }
  if (auto fb = Feedback::parse(packet)) {
    require(inside(fb->fci, packet.body()), "FCI inside");
    (void)is_pli(*fb);
  }
  if (auto fir = Fir::parse(packet)) {
    std::vector<FirEntry> entries(fir->entries.begin(), fir->entries.end());
    Bytes big(12 + 8 * entries.size());
    const auto n = write_fir(big, fir->sender_ssrc, entries);
    require(n.has_value(), "FIR re-encodes");
    const auto again = Fir::parse(*RtcpPacket::parse(std::span(big).first(*n)));
    require(again.has_value() && std::ranges::equal(again->entries, entries), "FIR round trip");
  }
  if (auto remb = Remb::parse(packet)) {
    std::vector<std::uint32_t> ssrcs(remb->ssrcs.begin(), remb->ssrcs.end());
    const auto n = write_remb(out, remb->sender_ssrc, remb->bitrate_bps, ssrcs);
    require(n.has_value(), "REMB re-encodes");
    const auto again = Remb::parse(*RtcpPacket::parse(std::span(out).first(*n)));
    require(again.has_value() && std::ranges::equal(again->ssrcs, ssrcs), "REMB round trip");
    if (remb->bitrate_bps != ~std::uint64_t{0}) {
      require(again->bitrate_bps == remb->bitrate_bps, "REMB bitrate round trip");
    }
  }
  if (auto twcc = TransportFeedback::parse(packet)) {
    std::vector<TwccStatus> statuses;
    std::size_t received = 0;
    for (const TwccPacket& p : *twcc) {
      require(
          p.sequence_number == static_cast<std::uint16_t>(twcc->base_sequence() + statuses.size()),
          "TWCC sequence numbers");
      statuses.push_back({p.received(), p.delta});
      received += p.received();
    }
    require(statuses.size() == twcc->status_count(), "TWCC status count");
    require(received == twcc->received_count(), "TWCC received count");
    if (!statuses.empty()) {
      const TransportFeedbackSpec spec{twcc->sender_ssrc(),    twcc->media_ssrc(),
                                       twcc->base_sequence(),  twcc->reference_time(),
                                       twcc->feedback_count(), statuses};
      Bytes big(transport_feedback_size(spec).value_or(0));
      const auto n = write_transport_feedback(big, spec);
      require(n.has_value(), "TWCC re-encodes");
      const auto again = TransportFeedback::parse(*RtcpPacket::parse(big));
      require(again.has_value() && again->reference_time() == twcc->reference_time(),
              "re-encoded TWCC parses");
      std::size_t i = 0;
      for (const TwccPacket& p : *again) {
        require(i < statuses.size() && p.received() == statuses[i].received &&
                    (!p.received() || p.delta == statuses[i].delta),
                "TWCC round trip");
        ++i;
      }
      require(i == statuses.size(), "TWCC round trip count");
    }
  }
}

void fuzz_rtcp(std::span<const std::uint8_t> data) {
  const auto compound = RtcpCompound::parse(data);
  if (!compound) return;
  std::size_t total = 0;
  std::size_t count = 0;
  for (const RtcpPacket& packet : *compound) {
    require(inside(packet.bytes(), data) && inside(packet.body(), packet.bytes()),
            "RTCP views inside");
    total += packet.size();
    ++count;
    fuzz_rtcp_packet(packet);
  }
  require(total == data.size() && count == compound->packet_count(), "RTCP lengths add up");
}

// Makes the RTCP common headers of a copy tell the truth: version 2, and
// each length no larger than what is left, so that mutated inputs get past
// the framing to the typed parsers.
Bytes repair_rtcp(std::span<const std::uint8_t> data) {
  Bytes bytes(data.begin(), data.end() - static_cast<std::ptrdiff_t>(data.size() % 4));
  std::size_t at = 0;
  while (at + 4 <= bytes.size()) {
    bytes[at] = static_cast<std::uint8_t>(0x80 | (bytes[at] & 0x3F));
    const std::size_t left_words = (bytes.size() - at) / 4;
    std::size_t words = ((std::size_t{bytes[at + 2]} << 8) | bytes[at + 3]) + 1;
    if (words > left_words) words = left_words;
    bytes[at + 2] = static_cast<std::uint8_t>((words - 1) >> 8);
    bytes[at + 3] = static_cast<std::uint8_t>(words - 1);
    at += words * 4;
  }
  return bytes;
}

// --- Payload descriptors -------------------------------------------------------------

void fuzz_vp8(std::span<const std::uint8_t> data) {
  const auto d = Vp8Descriptor::parse(data);
  if (!d) return;
  require(d->size < data.size(), "VP8 payload follows the descriptor");
  std::array<std::uint8_t, 8> out{};
  const auto n = write_vp8_descriptor(out, *d);
  require(n.has_value() && *n <= d->size, "VP8 descriptor re-encodes");
  out[*n] = data[d->size];
  const auto again = Vp8Descriptor::parse(std::span(out).first(*n + 1));
  require(again.has_value() && again->picture_id == d->picture_id &&
              again->tl0_pic_idx == d->tl0_pic_idx && again->tid == d->tid &&
              again->key_idx == d->key_idx && again->keyframe == d->keyframe &&
              again->long_picture_id == d->long_picture_id,
          "VP8 round trip");

  Bytes copy(data.begin(), data.end());
  const bool has_id = vp8_set_picture_id(copy, 0x1234).has_value();
  const bool has_tl0 = vp8_set_tl0_pic_idx(copy, 0x56).has_value();
  require(has_id == d->picture_id.has_value() && has_tl0 == d->tl0_pic_idx.has_value(),
          "VP8 rewrite finds the fields");
  const auto r = Vp8Descriptor::parse(copy);
  require(r.has_value() && r->size == d->size && r->tid == d->tid && r->key_idx == d->key_idx &&
              same(std::span(copy).subspan(d->size), data.subspan(d->size)),
          "VP8 rewrite keeps the rest");
  if (has_id) require(*r->picture_id == (d->long_picture_id ? 0x1234 : 0x34), "VP8 picture id");
  if (has_tl0) require(*r->tl0_pic_idx == 0x56, "VP8 TL0PICIDX");
}

void fuzz_vp9(std::span<const std::uint8_t> data) {
  const auto d = Vp9Descriptor::parse(data);
  if (!d) return;
  require(d->size < data.size(), "VP9 data follows the descriptor");
  std::array<Vp9GroupPicture, 255> pictures{};
  std::size_t np = 0;
  if (d->ss) {
    require(inside(d->ss->group, data), "VP9 group inside");
    np = d->ss->pictures(pictures);
    require(np == d->ss->group_size || !d->ss->has_group, "VP9 group decodes");
  }
  Bytes out(d->size + 1);
  const auto n = write_vp9_descriptor(out, *d, std::span(pictures).first(np));
  // Everything that parsed re-encodes to the same layout (reserved bits of
  // the SS may differ) and the same values.
  require(n.has_value() && *n == d->size, "VP9 re-encodes");
  out[*n] = data[d->size];
  const auto again = Vp9Descriptor::parse(out);
  require(again.has_value() && again->size == d->size && again->picture_id == d->picture_id &&
              again->long_picture_id == d->long_picture_id && again->tid == d->tid &&
              again->sid == d->sid && again->switching_up == d->switching_up &&
              again->inter_layer_dependent == d->inter_layer_dependent &&
              again->tl0_pic_idx == d->tl0_pic_idx && again->num_ref_pics == d->num_ref_pics &&
              again->p_diff == d->p_diff && again->keyframe == d->keyframe &&
              again->ss.has_value() == d->ss.has_value(),
          "VP9 round trip");
  if (d->ss) {
    require(again->ss->spatial_layers == d->ss->spatial_layers &&
                again->ss->width == d->ss->width && again->ss->height == d->ss->height &&
                again->ss->group_size == d->ss->group_size,
            "VP9 SS round trip");
  }

  Bytes copy(data.begin(), data.end());
  const bool has_id = vp9_set_picture_id(copy, 0x4321).has_value();
  const bool has_tl0 = vp9_set_tl0_pic_idx(copy, 0x65).has_value();
  require(has_id == d->picture_id.has_value() && has_tl0 == d->tl0_pic_idx.has_value(),
          "VP9 rewrite finds the fields");
  const auto r = Vp9Descriptor::parse(copy);
  require(r.has_value() && r->size == d->size, "VP9 rewrite keeps the layout");
}

void fuzz_h264(std::span<const std::uint8_t> data) {
  const auto info = parse_h264_payload(data);
  if (!info) return;
  std::size_t units = 0;
  for_each_h264_nal(data, [&](std::span<const std::uint8_t> nal) {
    require(!nal.empty() && inside(nal, data), "H.264 NAL unit inside");
    ++units;
  });
  const bool fragmented = info->packetization == H264Packetization::FuA ||
                          info->packetization == H264Packetization::FuB;
  require(fragmented ? units == 0 : units == info->nal_count, "H.264 NAL unit count");
}

// RFC 2198 redundant audio: the primary is the payload's tail, and the
// in-place payload type rewrite takes exactly what parses and moves nothing.
void fuzz_red(std::span<const std::uint8_t> data) {
  const auto red = parse_red(data);
  Bytes copy(data.begin(), data.end());
  const bool rewritten = set_red_payload_types(copy, 0x55).has_value();
  require(rewritten == red.has_value(), "RED rewrite takes what parses");
  if (!red) {
    require(same(copy, data), "refused RED left untouched");
    return;
  }
  require(inside(red->primary, data) && red->primary.data() + red->primary.size() == data.data() + data.size(),
          "RED primary is the payload's tail");
  require(red->redundant_blocks * kRedBlockHeaderSize + kRedPrimaryHeaderSize + red->primary.size() <= data.size(),
          "RED headers and primary fit");
  const auto again = parse_red(copy);
  require(again.has_value() && again->primary_payload_type == 0x55 &&
              again->redundant_blocks == red->redundant_blocks && again->single_payload_type &&
              same(std::span(copy).last(again->primary.size()), red->primary),
          "RED rewrite keeps the layout");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  fuzz_rtp(input);
  fuzz_rtcp(input);
  const Bytes repaired = repair_rtcp(input);
  fuzz_rtcp(repaired);
  fuzz_vp8(input);
  fuzz_vp9(input);
  fuzz_h264(input);
  (void)parse_opus_toc(input);
  fuzz_red(input);
  // Payload descriptors behind an RTP header, as the SFU sees them.
  if (const auto p = RtpPacket::parse(input)) {
    fuzz_vp8(p->payload());
    fuzz_vp9(p->payload());
    fuzz_h264(p->payload());
    (void)parse_opus_toc(p->payload());
    fuzz_red(p->payload());
  }
  return 0;
}
