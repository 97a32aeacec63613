#include "rtp/rtcp_reports.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
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

// §6.4.1 figure: SR with one report block, fields chosen to be recognisable.
const Bytes kSenderReport =
    hex("81 c8 00 0c  11 22 33 44"               // V=2 RC=1 PT=200 length=12, SSRC of sender
        "e8 00 00 00  80 00 00 00"               // NTP timestamp 0xe8000000.80000000
        "00 01 e2 40  00 00 00 64  00 00 27 10"  // RTP ts 123456, 100 packets, 10000 octets
        "01 02 03 04  40 ff ff fe"               // block: SSRC_1, fraction 1/4, cumulative -2
        "00 01 00 05  00 00 00 10"               // ext. highest seq 65541, jitter 16
        "00 00 80 00  00 01 80 00");             // LSR, DLSR 1.5 s

TEST(SenderReport, ParsesRfc3550Layout) {
  const auto sr = SenderReport::parse(packet(kSenderReport));
  ASSERT_TRUE(sr) << sr.error();
  EXPECT_EQ(sr->sender_ssrc, 0x11223344u);
  EXPECT_EQ(sr->info.ntp_timestamp, 0xe800000080000000ull);
  EXPECT_EQ(sr->info.rtp_timestamp, 123456u);
  EXPECT_EQ(sr->info.packet_count, 100u);
  EXPECT_EQ(sr->info.octet_count, 10000u);
  ASSERT_EQ(sr->report_blocks.size(), 1u);
  const ReportBlock b = sr->report_blocks[0];
  EXPECT_EQ(b.ssrc, 0x01020304u);
  EXPECT_EQ(b.fraction_lost, 0x40);
  EXPECT_EQ(b.cumulative_lost, -2);
  EXPECT_EQ(b.extended_highest_sequence, 65541u);
  EXPECT_EQ(b.jitter, 16u);
  EXPECT_EQ(b.last_sr, 0x8000u);
  EXPECT_EQ(b.delay_since_last_sr, 0x18000u);
  EXPECT_TRUE(sr->profile_extension.empty());
  EXPECT_EQ(compact_ntp(sr->info.ntp_timestamp), 0x00008000u);
}

TEST(SenderReport, RoundTripAndExactBytes) {
  const ReportBlock block{0x01020304, 0x40, -2, 65541, 16, 0x8000, 0x18000};
  const SenderInfo info{0xe800000080000000ull, 123456, 100, 10000};
  std::array<std::uint8_t, 64> out{};
  const auto n = write_sender_report(out, 0x11223344, info, std::span(&block, 1));
  ASSERT_TRUE(n);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)), kSenderReport);
  EXPECT_EQ(write_sender_report(std::span(out).first(51), 1, info, std::span(&block, 1)).error(),
            Error::BufferTooSmall);
}

TEST(SenderReport, TruncatedAndWrongType) {
  Bytes bytes = kSenderReport;
  bytes[0] = 0x82;  // RC=2 but only one block present
  EXPECT_EQ(SenderReport::parse(packet(bytes)).error(), Error::Truncated);
  EXPECT_EQ(ReceiverReport::parse(packet(kSenderReport)).error(), Error::WrongType);
}

TEST(ReceiverReport, RoundTripManyBlocks) {
  std::vector<ReportBlock> blocks;
  for (std::uint32_t i = 0; i < 31; ++i) {
    blocks.push_back({i, static_cast<std::uint8_t>(i), -static_cast<std::int32_t>(i) * 1000,
                      i << 16, i * 3, i * 5, i * 7});
  }
  std::vector<std::uint8_t> out(8 + 31 * 24);
  const auto n = write_receiver_report(out, 0xabcdef01, blocks);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, out.size());
  const auto rr = ReceiverReport::parse(packet(out));
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc, 0xabcdef01u);
  ASSERT_EQ(rr->report_blocks.size(), 31u);
  std::size_t i = 0;
  for (const ReportBlock b : rr->report_blocks) EXPECT_EQ(b, blocks[i++]);
  blocks.push_back({});
  EXPECT_EQ(write_receiver_report(out, 1, blocks).error(), Error::ValueOutOfRange);
}

TEST(ReceiverReport, CumulativeLostIsClampedTo24Bits) {
  const ReportBlock big{1, 0, 10'000'000, 0, 0, 0, 0};
  const ReportBlock small{1, 0, -10'000'000, 0, 0, 0, 0};
  std::array<std::uint8_t, 32> out{};
  ASSERT_TRUE(write_receiver_report(out, 1, std::span(&big, 1)));
  EXPECT_EQ(ReceiverReport::parse(packet(Bytes(out.begin(), out.end())))
                ->report_blocks[0]
                .cumulative_lost,
            0x7FFFFF);
  ASSERT_TRUE(write_receiver_report(out, 1, std::span(&small, 1)));
  EXPECT_EQ(ReceiverReport::parse(packet(Bytes(out.begin(), out.end())))
                ->report_blocks[0]
                .cumulative_lost,
            -0x800000);
}

TEST(ReceiverReport, ProfileExtensionKept) {
  const Bytes bytes = hex("80 c9 00 02  11 22 33 44  de ad be ef");
  const auto rr = ReceiverReport::parse(packet(bytes));
  ASSERT_TRUE(rr);
  EXPECT_TRUE(rr->report_blocks.empty());
  EXPECT_EQ(rr->profile_extension.size(), 4u);
}

// §6.5 figure: SDES with CNAME "user" for 0x11223344.
const Bytes kSdes = hex("81 ca 00 03  11 22 33 44  01 04 75 73  65 72 00 00");

TEST(Sdes, ParsesCname) {
  const auto sdes = Sdes::parse(packet(kSdes));
  ASSERT_TRUE(sdes) << sdes.error();
  EXPECT_EQ(sdes->chunk_count(), 1u);
  const SdesChunk chunk = *sdes->begin();
  EXPECT_EQ(chunk.ssrc, 0x11223344u);
  EXPECT_EQ(chunk.cname(), "user");
  EXPECT_FALSE(chunk.find(sdes_type::kTool));
}

TEST(Sdes, ExactBytes) {
  std::array<std::uint8_t, 16> out{};
  const auto n = write_sdes_cname(out, 0x11223344, "user");
  ASSERT_TRUE(n);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)), kSdes);
}

TEST(Sdes, RoundTripSeveralChunksAndItems) {
  const std::array<SdesItem, 2> a = {SdesItem{sdes_type::kCname, "alice@example"},
                                     SdesItem{sdes_type::kTool, "parley"}};
  const std::array<SdesItem, 1> b = {SdesItem{sdes_type::kCname, "bob"}};
  const std::string long_note(255, 'n');
  const std::array<SdesItem, 2> c = {SdesItem{sdes_type::kNote, long_note},
                                     SdesItem{sdes_type::kCname, ""}};
  const std::array<SdesChunkSpec, 4> chunks = {SdesChunkSpec{1, a}, SdesChunkSpec{2, b},
                                               SdesChunkSpec{3, c}, SdesChunkSpec{4, {}}};
  std::array<std::uint8_t, 512> out{};
  const auto n = write_sdes(out, chunks);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n % 4, 0u);
  const Bytes bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  const auto sdes = Sdes::parse(packet(bytes));
  ASSERT_TRUE(sdes) << sdes.error();
  std::vector<std::uint32_t> ssrcs;
  std::vector<SdesItem> items;
  for (const SdesChunk& chunk : *sdes) {
    ssrcs.push_back(chunk.ssrc);
    for (const SdesItem& item : chunk.items()) items.push_back(item);
  }
  EXPECT_EQ(ssrcs, (std::vector<std::uint32_t>{1, 2, 3, 4}));
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0], a[0]);
  EXPECT_EQ(items[1], a[1]);
  EXPECT_EQ(items[2], b[0]);
  EXPECT_EQ(items[3].value.size(), 255u);
  EXPECT_EQ(items[4], c[1]);
}

TEST(Sdes, Malformed) {
  // Item length runs past the packet.
  EXPECT_EQ(Sdes::parse(packet(hex("81 ca 00 02  11 22 33 44  01 09 75 73"))).error(),
            Error::Truncated);
  // No null terminator.
  EXPECT_EQ(Sdes::parse(packet(hex("81 ca 00 02  11 22 33 44  01 02 75 73"))).error(),
            Error::Truncated);
  // SC says two chunks; one present.
  Bytes bytes = kSdes;
  bytes[0] = 0x82;
  EXPECT_EQ(Sdes::parse(packet(bytes)).error(), Error::Truncated);
  // Item type 0 is not writable; values over 255 bytes neither.
  const std::array<SdesItem, 1> bad = {SdesItem{0, "x"}};
  const SdesChunkSpec chunk{1, bad};
  std::array<std::uint8_t, 64> out{};
  EXPECT_EQ(write_sdes(out, std::span(&chunk, 1)).error(), Error::ValueOutOfRange);
}

TEST(Bye, ParsesAndBuilds) {
  const Bytes plain = hex("81 cb 00 01  11 22 33 44");
  auto bye = Bye::parse(packet(plain));
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->ssrcs.size(), 1u);
  EXPECT_EQ(bye->ssrcs[0], 0x11223344u);
  EXPECT_FALSE(bye->reason);

  const Bytes with_reason = hex("82 cb 00 04  11 22 33 44  55 66 77 88  03 62 79 65  00 00 00 00");
  bye = Bye::parse(packet(with_reason));
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->ssrcs.size(), 2u);
  EXPECT_EQ(bye->reason, "bye");

  std::array<std::uint8_t, 32> out{};
  const std::array<std::uint32_t, 2> ssrcs = {0x11223344, 0x55667788};
  const auto n = write_bye(out, ssrcs, "bye");
  ASSERT_TRUE(n);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)),
            hex("82 cb 00 03  11 22 33 44  55 66 77 88  03 62 79 65"));
  const auto m = write_bye(out, std::span(ssrcs).first(1));
  ASSERT_TRUE(m);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*m)), plain);
}

TEST(Bye, Malformed) {
  EXPECT_EQ(Bye::parse(packet(hex("82 cb 00 01  11 22 33 44"))).error(), Error::Truncated);
  EXPECT_EQ(Bye::parse(packet(hex("81 cb 00 02  11 22 33 44  05 61 62 63"))).error(),
            Error::Truncated);
  EXPECT_EQ(Bye::parse(packet(kSdes)).error(), Error::WrongType);
}

}  // namespace
}  // namespace parley::rtp
