#include "rtp/rtcp_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/rtcp_feedback.hpp"
#include "rtp/rtcp_reports.hpp"
#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

// RR (no blocks) + SDES CNAME "user" + BYE: a compound as RFC 3550 §6.1 wants.
const Bytes kCompound =
    hex("80 c9 00 01  11 22 33 44"
        "81 ca 00 03  11 22 33 44  01 04 75 73  65 72 00 00"
        "81 cb 00 01  11 22 33 44");

TEST(RtcpPacket, ParsesCommonHeader) {
  const auto p = RtcpPacket::parse(kCompound);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->version(), 2);
  EXPECT_FALSE(p->has_padding());
  EXPECT_EQ(p->count(), 0);
  EXPECT_EQ(p->type(), rtcp_type::kReceiverReport);
  EXPECT_EQ(p->size(), 8u);  // just the first packet
  EXPECT_EQ(p->body().size(), 4u);
}

TEST(RtcpCompound, IteratesPackets) {
  const auto c = RtcpCompound::parse(kCompound);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->packet_count(), 3u);
  std::vector<std::uint8_t> types;
  for (const auto& p : *c) types.push_back(p.type());
  EXPECT_EQ(types, (std::vector<std::uint8_t>{201, 202, 203}));
}

TEST(RtcpCompound, ReducedSizeSinglePacket) {
  // RFC 5506: a lone PLI, no RR or SR in front of it.
  const Bytes pli = hex("81 ce 00 02  00 00 00 01  00 00 00 02");
  const auto c = RtcpCompound::parse(pli);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->packet_count(), 1u);
  const auto fb = Feedback::parse(*c->begin());
  ASSERT_TRUE(fb);
  EXPECT_TRUE(is_pli(*fb));
}

TEST(RtcpCompound, LengthThatLies) {
  Bytes bytes = kCompound;
  bytes[3] = 0x09;  // first packet claims 40 bytes; the datagram has 36
  EXPECT_EQ(RtcpCompound::parse(bytes).error(), Error::BadLength);
  bytes = kCompound;
  bytes[11] = 0x02;  // SDES claims 12 bytes instead of 16: the rest misparses
  EXPECT_FALSE(RtcpCompound::parse(bytes));
  bytes = kCompound;
  bytes.push_back(0x80);  // trailing byte after the last packet
  EXPECT_EQ(RtcpCompound::parse(bytes).error(), Error::BadLength);
  bytes = kCompound;
  bytes.insert(bytes.end(), {0x80, 0xc9, 0x00, 0x01});  // header of a packet that is not there
  EXPECT_EQ(RtcpCompound::parse(bytes).error(), Error::BadLength);
}

TEST(RtcpCompound, RejectsBadVersionAnywhere) {
  Bytes bytes = kCompound;
  bytes[8] = 0x41;
  EXPECT_EQ(RtcpCompound::parse(bytes).error(), Error::BadVersion);
  EXPECT_EQ(RtcpCompound::parse({}).error(), Error::Truncated);
  EXPECT_EQ(RtcpCompound::parse(hex("80 c9 00")).error(), Error::Truncated);
}

TEST(RtcpPacket, Padding) {
  // RR with 4 bytes of padding (RFC 3550 §6.4.1: P bit, count in last byte).
  const Bytes bytes = hex("a0 c9 00 02  11 22 33 44  00 00 00 04");
  const auto p = RtcpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->has_padding());
  EXPECT_EQ(p->padding_size(), 4u);
  EXPECT_EQ(p->body().size(), 4u);
  EXPECT_EQ(RtcpPacket::parse(hex("a0 c9 00 01  11 22 33 00")).error(), Error::BadPadding);
  EXPECT_EQ(RtcpPacket::parse(hex("a0 c9 00 01  11 22 33 05")).error(), Error::BadPadding);
  EXPECT_EQ(RtcpPacket::parse(hex("a0 c9 00 00")).error(), Error::BadPadding);
  // Padding eating the whole body is allowed, but then an RR is truncated.
  const Bytes all_padding = hex("a0 c9 00 01  00 00 00 04");
  const auto all = RtcpPacket::parse(all_padding);
  ASSERT_TRUE(all);
  EXPECT_EQ(ReceiverReport::parse(*all).error(), Error::Truncated);
}

TEST(RtcpPacket, WriteGeneric) {
  // An APP packet (RFC 3550 §6.7): subtype 1, SSRC, name "test".
  const Bytes body = hex("11 22 33 44  74 65 73 74");
  std::array<std::uint8_t, 16> out{};
  const auto n = write_rtcp_packet(out, rtcp_type::kApp, 1, body);
  ASSERT_TRUE(n);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)),
            hex("81 cc 00 02  11 22 33 44  74 65 73 74"));
  EXPECT_EQ(write_rtcp_packet(out, rtcp_type::kApp, 1, hex("01")).error(), Error::ValueOutOfRange);
  EXPECT_EQ(write_rtcp_packet(out, rtcp_type::kApp, 32, body).error(), Error::ValueOutOfRange);
  EXPECT_EQ(write_rtcp_packet(std::span(out).first(11), rtcp_type::kApp, 1, body).error(),
            Error::BufferTooSmall);
}

TEST(RtcpCompound, BuildCompoundFromBuilders) {
  std::array<std::uint8_t, 256> buffer{};
  std::size_t used = 0;
  auto add = [&](std::expected<std::size_t, Error> n) {
    ASSERT_TRUE(n) << n.error();
    used += *n;
  };
  const ReportBlock block{0x0a0b0c0d, 12, -3, 70000, 5, 0x11112222, 65536};
  add(write_receiver_report(std::span(buffer).subspan(used), 0x1234, std::span(&block, 1)));
  add(write_sdes_cname(std::span(buffer).subspan(used), 0x1234, "parley"));
  const std::array<std::uint16_t, 3> lost = {5, 6, 9};
  add(write_nack(std::span(buffer).subspan(used), 0x1234, 0x5678, lost));
  add(write_pli(std::span(buffer).subspan(used), 0x1234, 0x5678));

  const auto c = RtcpCompound::parse(std::span(buffer).first(used));
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->packet_count(), 4u);
  auto it = c->begin();
  EXPECT_EQ(ReceiverReport::parse(*it)->report_blocks[0], block);
  ++it;
  EXPECT_EQ(Sdes::parse(*it)->begin()->cname(), "parley");
  ++it;
  std::vector<std::uint16_t> seqs;
  Nack::parse(*it)->for_each_lost([&](std::uint16_t s) { seqs.push_back(s); });
  EXPECT_EQ(seqs, (std::vector<std::uint16_t>{5, 6, 9}));
  ++it;
  EXPECT_TRUE(is_pli(*Feedback::parse(*it)));
  ++it;
  EXPECT_TRUE(it == std::default_sentinel);
}

}  // namespace
}  // namespace parley::rtp
