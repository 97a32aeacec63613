// Hostile input for every parser: every prefix of valid packets, single-byte
// corruptions of them, and random bytes from a fixed seed. Parsers must
// reject or parse safely (AddressSanitizer reports any read past the end,
// since every input is an exact-size heap copy), and what they accept must
// hold together.

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

#include "rtp/rtp.hpp"
#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::ExactCopy;
using test::hex;

bool inside(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

// Parses `bytes` as RTP and walks everything reachable; checks that every
// view stays inside the input. Returns whether it parsed.
bool exercise_rtp(std::span<std::uint8_t> bytes) {
  const auto p = RtpPacket::parse(bytes);
  if (!p) return false;
  EXPECT_LE(p->header_size() + p->padding_size(), bytes.size());
  EXPECT_TRUE(inside(p->payload(), bytes));
  EXPECT_TRUE(inside(p->extension_block(), bytes));
  for (std::size_t i = 0; i < p->csrc_count(); ++i) (void)p->csrc(i);
  std::size_t elements = 0;
  for (const auto& e : p->extensions()) {
    EXPECT_TRUE(inside(e.data, p->extension_block()));
    ++elements;
  }
  ExtensionMap map;
  for (std::uint8_t id = 1; id <= 7; ++id) map.set(id, static_cast<ExtensionKind>(id));
  (void)p->extension_values(map);
  (void)rtx_original_sequence(*p);
  const auto payload = p->payload();
  (void)Vp8Descriptor::parse(payload);
  (void)Vp9Descriptor::parse(payload);
  if (parse_h264_payload(payload)) for_each_h264_nal(payload, [](auto) {});
  (void)parse_opus_toc(payload);
  std::vector<std::uint8_t> rtx(bytes.size() + 2);
  const auto n = rtx_wrap(*p, rtx, {100, 1, 2});
  EXPECT_TRUE(n);
  if (n) {
    EXPECT_TRUE(RtpPacket::parse(std::span(rtx).first(*n)));
    EXPECT_TRUE(rtx_unwrap_in_place(std::span(rtx).first(*n), {1, 2}));
  }
  return true;
}

// Parses `bytes` as a compound RTCP packet and every packet in it as every
// type that matches.
bool exercise_rtcp(std::span<const std::uint8_t> bytes) {
  const auto compound = RtcpCompound::parse(bytes);
  if (!compound) return false;
  std::size_t total = 0;
  std::size_t count = 0;
  for (const RtcpPacket& packet : *compound) {
    EXPECT_TRUE(inside(packet.bytes(), bytes));
    EXPECT_TRUE(inside(packet.body(), packet.bytes()));
    total += packet.size();
    ++count;
    if (auto sr = SenderReport::parse(packet)) {
      for (const ReportBlock b : sr->report_blocks) (void)b;
    }
    if (auto rr = ReceiverReport::parse(packet)) {
      for (const ReportBlock b : rr->report_blocks) (void)b;
    }
    if (auto sdes = Sdes::parse(packet)) {
      std::size_t chunks = 0;
      for (const SdesChunk& chunk : *sdes) {
        EXPECT_TRUE(inside(chunk.item_bytes, packet.body()));
        for (const SdesItem& item : chunk.items()) (void)item;
        ++chunks;
      }
      EXPECT_EQ(chunks, sdes->chunk_count());
    }
    if (auto bye = Bye::parse(packet)) {
      for (const std::uint32_t s : bye->ssrcs) (void)s;
    }
    if (auto nack = Nack::parse(packet)) {
      std::array<std::uint16_t, 8> out{};
      EXPECT_LE(nack->expand(out), nack->items.size() * 17);
    }
    if (auto fir = Fir::parse(packet)) {
      for (const FirEntry e : fir->entries) (void)e;
    }
    if (auto remb = Remb::parse(packet)) {
      for (const std::uint32_t s : remb->ssrcs) (void)s;
    }
    if (auto twcc = TransportFeedback::parse(packet)) {
      std::size_t n = 0;
      std::size_t received = 0;
      for (const TwccPacket& p : *twcc) {
        ++n;
        received += p.received();
      }
      EXPECT_EQ(n, twcc->status_count());
      EXPECT_EQ(received, twcc->received_count());
    }
  }
  EXPECT_EQ(total, bytes.size());
  EXPECT_EQ(count, compound->packet_count());
  return true;
}

void exercise_all(std::span<std::uint8_t> bytes) {
  exercise_rtp(bytes);
  exercise_rtcp(bytes);
  (void)Vp8Descriptor::parse(bytes);
  (void)Vp9Descriptor::parse(bytes);
  if (parse_h264_payload(bytes)) for_each_h264_nal(bytes, [](auto) {});
  (void)parse_opus_toc(bytes);
}

// A valid RTP packet with everything: CSRCs, both kinds of extensions, VP8
// payload, padding.
Bytes rich_rtp(ExtensionForm form) {
  static const std::array<std::uint32_t, 3> csrcs = {1, 2, 3};
  static const auto tcc = encode_transport_sequence(9);
  static const auto ast = encode_abs_send_time(0x123456);
  static const Bytes mid = hex("30 31");
  const std::array<HeaderExtension, 3> exts = {HeaderExtension{1, mid}, HeaderExtension{3, tcc},
                                               HeaderExtension{14, ast}};
  static const Bytes payload = hex("b0 f0 92 34 56 a5 9c 01 2a");
  RtpPacketSpec spec;
  spec.csrcs = csrcs;
  spec.extensions = exts;
  spec.extension_form = form;
  spec.payload = payload;
  spec.padding = 5;
  Bytes out(rtp_packet_size(spec).value());
  EXPECT_TRUE(write_rtp_packet(out, spec));
  return out;
}

// A compound with one of each RTCP type.
Bytes rich_rtcp() {
  Bytes out(2048);
  std::size_t used = 0;
  auto add = [&](std::expected<std::size_t, Error> n) {
    EXPECT_TRUE(n);
    used += n.value_or(0);
  };
  const ReportBlock block{1, 2, -3, 4, 5, 6, 7};
  add(write_sender_report(std::span(out).subspan(used), 9, SenderInfo{1, 2, 3, 4},
                          std::span(&block, 1)));
  add(write_receiver_report(std::span(out).subspan(used), 9, std::span(&block, 1)));
  add(write_sdes_cname(std::span(out).subspan(used), 9, "cname"));
  const std::array<std::uint16_t, 4> lost = {1, 2, 40, 41};
  add(write_nack(std::span(out).subspan(used), 9, 10, lost));
  add(write_pli(std::span(out).subspan(used), 9, 10));
  const std::array<FirEntry, 2> fir = {FirEntry{10, 1}, FirEntry{11, 2}};
  add(write_fir(std::span(out).subspan(used), 9, fir));
  const std::array<std::uint32_t, 2> ssrcs = {10, 11};
  add(write_remb(std::span(out).subspan(used), 9, 123456789, ssrcs));
  const std::array<TwccStatus, 9> statuses = {
      TwccStatus{true, 1},  TwccStatus{},        TwccStatus{true, 300},
      TwccStatus{true, -4}, TwccStatus{true, 0}, TwccStatus{true, 255},
      TwccStatus{},         TwccStatus{},        TwccStatus{true, 2}};
  add(write_transport_feedback(std::span(out).subspan(used),
                               TransportFeedbackSpec{9, 10, 500, 77, 1, statuses}));
  add(write_bye(std::span(out).subspan(used), ssrcs, "done"));
  out.resize(used);
  return out;
}

TEST(Malformed, RichPacketsParse) {
  for (auto form : {ExtensionForm::OneByte, ExtensionForm::TwoByte}) {
    Bytes rtp = rich_rtp(form);
    ExactCopy copy(rtp, rtp.size());
    EXPECT_TRUE(exercise_rtp(copy.span()));
  }
  const Bytes rtcp = rich_rtcp();
  ExactCopy copy(rtcp, rtcp.size());
  EXPECT_TRUE(exercise_rtcp(copy.cspan()));
  EXPECT_EQ(RtcpCompound::parse(rtcp)->packet_count(), 9u);
}

TEST(Malformed, EveryPrefixOfRtp) {
  for (auto form : {ExtensionForm::OneByte, ExtensionForm::TwoByte}) {
    const Bytes rtp = rich_rtp(form);
    test::for_each_prefix(rtp, [&](std::span<std::uint8_t> prefix) {
      // The padding count is in the last byte; a cut packet reads a payload
      // byte there instead, which may or may not make sense. Anything that
      // parses must be self-consistent (checked in exercise_rtp).
      exercise_all(prefix);
    });
  }
}

TEST(Malformed, EveryPrefixOfRtcpCompound) {
  const Bytes rtcp = rich_rtcp();
  std::vector<std::size_t> boundaries;
  const auto compound = RtcpCompound::parse(rtcp);
  ASSERT_TRUE(compound);
  for (const auto& p : *compound) {
    boundaries.push_back(static_cast<std::size_t>(p.bytes().data() - rtcp.data()));
  }
  test::for_each_prefix(rtcp, [&](std::span<std::uint8_t> prefix) {
    const bool at_boundary = prefix.size() > 0 && std::find(boundaries.begin(), boundaries.end(),
                                                            prefix.size()) != boundaries.end();
    EXPECT_EQ(exercise_rtcp(prefix), at_boundary) << prefix.size();
    exercise_all(prefix);
  });
}

TEST(Malformed, EveryPrefixOfEachRtcpPacketAsItsType) {
  // Cut single packets, with their length field fixed to claim what is left
  // (rounded down to words): the typed parsers see lying counts and FCI.
  const Bytes rtcp = rich_rtcp();
  const auto compound = RtcpCompound::parse(rtcp);
  ASSERT_TRUE(compound);
  for (const auto& p : *compound) {
    const Bytes whole(p.bytes().begin(), p.bytes().end());
    for (std::size_t words = 1; words * 4 <= whole.size(); ++words) {
      Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(words * 4));
      cut[2] = static_cast<std::uint8_t>((words - 1) >> 8);
      cut[3] = static_cast<std::uint8_t>(words - 1);
      ExactCopy copy(cut, cut.size());
      const bool ok = exercise_rtcp(copy.cspan());
      EXPECT_TRUE(ok);
    }
  }
}

TEST(Malformed, SingleByteCorruptions) {
  std::vector<Bytes> seeds = {rich_rtp(ExtensionForm::OneByte), rich_rtp(ExtensionForm::TwoByte),
                              rich_rtcp()};
  static constexpr std::array<std::uint8_t, 8> kValues = {0x00, 0x01, 0x7f, 0x80,
                                                          0xff, 0x0f, 0xf0, 0x10};
  for (const Bytes& seed : seeds) {
    for (std::size_t i = 0; i < seed.size(); ++i) {
      for (std::uint8_t v : kValues) {
        Bytes bytes = seed;
        bytes[i] = v;
        ExactCopy copy(bytes, bytes.size());
        exercise_all(copy.span());
      }
    }
  }
}

TEST(Malformed, RandomBytes) {
  std::mt19937_64 rng(20240229);
  for (int round = 0; round < 20000; ++round) {
    const std::size_t size = rng() % 96;
    Bytes bytes(size);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    // Half the time make it look like RTP/RTCP version 2 to get past the
    // first check.
    if (size > 0 && rng() % 2 == 0) bytes[0] = static_cast<std::uint8_t>(0x80 | (bytes[0] & 0x3f));
    if (size > 1 && rng() % 4 == 0) bytes[1] = static_cast<std::uint8_t>(200 + rng() % 8);
    if (size > 3 && rng() % 4 == 0) {  // an RTCP length that tells the truth
      bytes.resize(size & ~std::size_t{3});
      const std::size_t words = bytes.size() / 4;
      if (words > 0) {
        bytes[2] = 0;
        bytes[3] = static_cast<std::uint8_t>(words - 1);
      }
    }
    ExactCopy copy(bytes, bytes.size());
    exercise_all(copy.span());
  }
}

TEST(Malformed, RewritesOnHostileInputStayInBounds) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 5000; ++round) {
    Bytes bytes(rng() % 12);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    if (!bytes.empty()) bytes[0] |= 0x80;  // X bits for VP8, I for VP9
    ExactCopy a(bytes, bytes.size());
    (void)vp8_set_picture_id(a.span(), 0x7fff);
    (void)vp8_set_tl0_pic_idx(a.span(), 1);
    ExactCopy b(bytes, bytes.size());
    (void)vp9_set_picture_id(b.span(), 0x7fff);
    (void)vp9_set_tl0_pic_idx(b.span(), 1);
    ExactCopy c(bytes, bytes.size());
    (void)rtx_unwrap_in_place(c.span(), {1, 2});
  }
}

}  // namespace
}  // namespace parley::rtp
