#include "rtp/rtcp_feedback.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

RtcpPacket packet(const Bytes& bytes) {
  auto p = RtcpPacket::parse(bytes);
  EXPECT_TRUE(p) << p.error();
  return *p;
}

Bytes first(const std::array<std::uint8_t, 256>& out, std::size_t n) {
  return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
}

std::vector<std::uint16_t> lost_of(const Nack& nack) {
  std::vector<std::uint16_t> seqs;
  nack.for_each_lost([&](std::uint16_t s) { seqs.push_back(s); });
  return seqs;
}

// RFC 4585 §6.2.1: PID 100, BLP 0b101 -> 100, 101, 103 lost.
const Bytes kNack = hex("81 cd 00 03  00 00 00 01  00 00 00 02  00 64 00 05");

TEST(Nack, ParsesAndExpandsPidBlp) {
  const auto nack = Nack::parse(packet(kNack));
  ASSERT_TRUE(nack) << nack.error();
  EXPECT_EQ(nack->sender_ssrc, 1u);
  EXPECT_EQ(nack->media_ssrc, 2u);
  ASSERT_EQ(nack->items.size(), 1u);
  EXPECT_EQ(nack->items[0], (NackItem{100, 5}));
  EXPECT_EQ(lost_of(*nack), (std::vector<std::uint16_t>{100, 101, 103}));
}

TEST(Nack, FullBlpAndWrap) {
  const Bytes bytes = hex("81 cd 00 04  00 00 00 01  00 00 00 02  00 64 ff ff  ff ff 00 01");
  const auto nack = Nack::parse(packet(bytes));
  ASSERT_TRUE(nack);
  std::vector<std::uint16_t> expected;
  for (std::uint16_t s = 100; s <= 116; ++s) expected.push_back(s);
  expected.push_back(0xffff);
  expected.push_back(0);  // PID 65535 + 1 wraps
  EXPECT_EQ(lost_of(*nack), expected);

  std::array<std::uint16_t, 4> small{};
  EXPECT_EQ(nack->expand(small), 19u);  // all counted, four written
  EXPECT_EQ(small, (std::array<std::uint16_t, 4>{100, 101, 102, 103}));
  std::array<std::uint16_t, 40> big{};
  ASSERT_EQ(nack->expand(big), 19u);
  EXPECT_EQ(big[18], 0);
}

TEST(Nack, BuildExactBytes) {
  const std::array<std::uint16_t, 3> lost = {100, 101, 103};
  std::array<std::uint8_t, 256> out{};
  const auto n = write_nack(out, 1, 2, lost);
  ASSERT_TRUE(n);
  EXPECT_EQ(first(out, *n), kNack);
}

TEST(Nack, BuildPacksAcrossWrap) {
  const std::array<std::uint16_t, 6> lost = {65534, 65535, 0, 1, 1, 20};
  EXPECT_EQ(nack_item_count(lost), 2u);
  std::array<std::uint8_t, 256> out{};
  const auto n = write_nack(out, 7, 8, lost);
  ASSERT_TRUE(n);
  const Bytes bytes = first(out, *n);
  const auto nack = Nack::parse(packet(bytes));
  ASSERT_TRUE(nack);
  ASSERT_EQ(nack->items.size(), 2u);
  EXPECT_EQ(nack->items[0], (NackItem{65534, 0x0007}));
  EXPECT_EQ(nack->items[1], (NackItem{20, 0}));
  EXPECT_EQ(lost_of(*nack), (std::vector<std::uint16_t>{65534, 65535, 0, 1, 20}));
}

TEST(Nack, BuildRoundTripLongList) {
  // Every third packet of 300, starting just before a wrap.
  std::vector<std::uint16_t> lost;
  for (int i = 0; i < 300; i += 3) lost.push_back(static_cast<std::uint16_t>(65500 + i));
  std::array<std::uint8_t, 256> out{};
  const auto n = write_nack(out, 1, 2, lost);
  ASSERT_TRUE(n);
  const Bytes bytes = first(out, *n);
  const auto nack = Nack::parse(packet(bytes));
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->items.size(), nack_item_count(lost));
  EXPECT_EQ(nack->items.size(), 17u);  // 6 per item (PID + 5 BLP bits at 3, 6, ..., 15)
  EXPECT_EQ(lost_of(*nack), lost);
}

TEST(Nack, BuildFromItemsAndErrors) {
  const std::array<NackItem, 2> items = {NackItem{1, 0x8000}, NackItem{40, 0}};
  std::array<std::uint8_t, 256> out{};
  const auto n = write_nack(out, 1, 2, std::span<const NackItem>(items));
  ASSERT_TRUE(n);
  const Bytes bytes = first(out, *n);
  EXPECT_EQ(lost_of(*Nack::parse(packet(bytes))), (std::vector<std::uint16_t>{1, 17, 40}));
  EXPECT_EQ(write_nack(out, 1, 2, std::span<const std::uint16_t>{}).error(),
            Error::ValueOutOfRange);
  const std::array<std::uint16_t, 1> one = {5};
  EXPECT_EQ(write_nack(std::span(out).first(15), 1, 2, one).error(), Error::BufferTooSmall);
}

TEST(Nack, Malformed) {
  // No FCI.
  EXPECT_EQ(Nack::parse(packet(hex("81 cd 00 02  00 00 00 01  00 00 00 02"))).error(),
            Error::Truncated);
  // Only the sender SSRC.
  EXPECT_EQ(Nack::parse(packet(hex("81 cd 00 01  00 00 00 01"))).error(), Error::Truncated);
  // A PLI is not a NACK.
  EXPECT_EQ(Nack::parse(packet(hex("81 ce 00 02  00 00 00 01  00 00 00 02"))).error(),
            Error::WrongType);
  // Partial FCI item (with padding making the body 14 bytes).
  EXPECT_EQ(
      Nack::parse(packet(hex("a1 cd 00 04  00 00 00 01  00 00 00 02  00 64 00 05  00 64 00 02")))
          .error(),
      Error::Malformed);
}

TEST(Pli, ExactBytesAndParse) {
  std::array<std::uint8_t, 256> out{};
  const auto n = write_pli(out, 0x11223344, 0x55667788);
  ASSERT_TRUE(n);
  const Bytes bytes = first(out, *n);
  EXPECT_EQ(bytes, hex("81 ce 00 02  11 22 33 44  55 66 77 88"));
  const auto fb = Feedback::parse(packet(bytes));
  ASSERT_TRUE(fb);
  EXPECT_TRUE(is_pli(*fb));
  EXPECT_EQ(fb->sender_ssrc, 0x11223344u);
  EXPECT_EQ(fb->media_ssrc, 0x55667788u);
  EXPECT_TRUE(fb->fci.empty());
  EXPECT_FALSE(is_pli(*Feedback::parse(packet(kNack))));
  EXPECT_EQ(Feedback::parse(packet(hex("80 c9 00 01  00 00 00 01"))).error(), Error::WrongType);
}

// RFC 5104 §4.3.1: FIR with one entry for SSRC 0x0a0b0c0d, seq nr 7.
const Bytes kFir = hex("84 ce 00 04  11 22 33 44  00 00 00 00  0a 0b 0c 0d  07 00 00 00");

TEST(Fir, ExactBytesAndRoundTrip) {
  const std::array<FirEntry, 1> entries = {FirEntry{0x0a0b0c0d, 7}};
  std::array<std::uint8_t, 256> out{};
  const auto n = write_fir(out, 0x11223344, entries);
  ASSERT_TRUE(n);
  EXPECT_EQ(first(out, *n), kFir);
  const auto fir = Fir::parse(packet(kFir));
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->sender_ssrc, 0x11223344u);
  ASSERT_EQ(fir->entries.size(), 1u);
  EXPECT_EQ(fir->entries[0], entries[0]);

  const std::array<FirEntry, 3> many = {FirEntry{1, 0}, FirEntry{2, 255}, FirEntry{3, 128}};
  const auto m = write_fir(out, 9, many);
  ASSERT_TRUE(m);
  const Bytes bytes = first(out, *m);
  const auto parsed = Fir::parse(packet(bytes));
  ASSERT_TRUE(parsed);
  std::vector<FirEntry> got(parsed->entries.begin(), parsed->entries.end());
  EXPECT_EQ(got, std::vector<FirEntry>(many.begin(), many.end()));
  EXPECT_EQ(write_fir(out, 9, {}).error(), Error::ValueOutOfRange);
}

TEST(Fir, Malformed) {
  EXPECT_EQ(Fir::parse(packet(hex("84 ce 00 02  11 22 33 44  00 00 00 00"))).error(),
            Error::Truncated);
  EXPECT_EQ(Fir::parse(packet(hex("84 ce 00 03  11 22 33 44  00 00 00 00  0a 0b 0c 0d"))).error(),
            Error::Truncated);
  EXPECT_EQ(Fir::parse(packet(hex("84 ce 00 05  11 22 33 44  00 00 00 00  0a 0b 0c 0d  07 00 00 00"
                                  "0a 0b 0c 0d")))
                .error(),
            Error::Malformed);
}

// draft-alvestrand-rmcat-remb §2.2: 1 Mbps = 250000 << 2, one SSRC.
const Bytes kRemb =
    hex("8f ce 00 05  11 22 33 44  00 00 00 00"
        "52 45 4d 42  01 0b d0 90  55 66 77 88");

TEST(Remb, ExactBytesAndRoundTrip) {
  const std::array<std::uint32_t, 1> ssrcs = {0x55667788};
  std::array<std::uint8_t, 256> out{};
  const auto n = write_remb(out, 0x11223344, 1'000'000, ssrcs);
  ASSERT_TRUE(n);
  EXPECT_EQ(first(out, *n), kRemb);
  const auto remb = Remb::parse(packet(kRemb));
  ASSERT_TRUE(remb) << remb.error();
  EXPECT_EQ(remb->sender_ssrc, 0x11223344u);
  EXPECT_EQ(remb->bitrate_bps, 1'000'000u);
  ASSERT_EQ(remb->ssrcs.size(), 1u);
  EXPECT_EQ(remb->ssrcs[0], 0x55667788u);
}

TEST(Remb, BitrateEncoding) {
  EXPECT_EQ(encode_remb_bitrate(0).mantissa, 0u);
  EXPECT_EQ(encode_remb_bitrate(0x3FFFF).exponent, 0);
  const auto e = encode_remb_bitrate(0x40000);
  EXPECT_EQ(e.exponent, 1);
  EXPECT_EQ(e.mantissa, 0x20000u);
  const auto max = encode_remb_bitrate(~std::uint64_t{0});
  EXPECT_EQ(max.exponent, 46);
  EXPECT_EQ(max.mantissa, 0x3FFFFu);
  // Rounds down: 2^18 + 1 loses its low bit.
  std::array<std::uint8_t, 256> out{};
  std::vector<std::uint32_t> ssrcs(255);
  for (std::uint32_t i = 0; i < 255; ++i) ssrcs[i] = i;
  std::vector<std::uint8_t> big(20 + 4 * 255);
  const auto n = write_remb(big, 1, 0x40001, ssrcs);
  ASSERT_TRUE(n);
  const auto remb = Remb::parse(packet(big));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, 0x40000u);
  EXPECT_EQ(remb->ssrcs.size(), 255u);
  EXPECT_EQ(remb->ssrcs[254], 254u);
  ssrcs.push_back(0);
  EXPECT_EQ(write_remb(out, 1, 1, ssrcs).error(), Error::ValueOutOfRange);
}

TEST(Remb, SaturatesHugeExponent) {
  // Exponent 63, mantissa 0x3FFFF: far beyond 64 bits.
  const Bytes bytes = hex("8f ce 00 04  11 22 33 44  00 00 00 00  52 45 4d 42  00 ff ff ff");
  const auto remb = Remb::parse(packet(bytes));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, ~std::uint64_t{0});
  // Exponent 46 with the full mantissa is exactly representable.
  const Bytes edge = hex("8f ce 00 04  11 22 33 44  00 00 00 00  52 45 4d 42  00 bb ff ff");
  EXPECT_EQ(Remb::parse(packet(edge))->bitrate_bps, std::uint64_t{0x3FFFF} << 46);
}

TEST(Remb, Malformed) {
  // Another AFB message.
  EXPECT_EQ(
      Remb::parse(packet(hex("8f ce 00 04  11 22 33 44  00 00 00 00  41 42 43 44  00 00 00 00")))
          .error(),
      Error::WrongType);
  // Num SSRC 2, one present.
  EXPECT_EQ(Remb::parse(packet(hex("8f ce 00 05  11 22 33 44  00 00 00 00  52 45 4d 42  02 0b d0 90"
                                   "55 66 77 88")))
                .error(),
            Error::Truncated);
  // FCI shorter than the fixed part.
  EXPECT_EQ(Remb::parse(packet(hex("8f ce 00 03  11 22 33 44  00 00 00 00  52 45 4d 42"))).error(),
            Error::Truncated);
}

}  // namespace
}  // namespace parley::rtp
