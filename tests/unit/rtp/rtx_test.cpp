#include "rtp/rtx.hpp"

#include <gtest/gtest.h>

#include <array>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

Bytes build(const RtpPacketSpec& spec) {
  Bytes out(rtp_packet_size(spec).value());
  EXPECT_TRUE(write_rtp_packet(out, spec));
  return out;
}

RtpPacketSpec original_spec(const Bytes& payload, std::span<const HeaderExtension> exts,
                            std::uint8_t padding) {
  RtpPacketSpec spec;
  spec.marker = true;
  spec.payload_type = 96;
  spec.sequence_number = 0xabcd;
  spec.timestamp = 90000;
  spec.ssrc = 0x1111;
  spec.extensions = exts;
  spec.payload = payload;
  spec.padding = padding;
  return spec;
}

TEST(Rtx, WrapAndUnwrapRoundTrip) {
  const Bytes payload = hex("10 20 30 40 50");
  const auto tcc = encode_transport_sequence(42);
  const std::array<HeaderExtension, 1> exts = {HeaderExtension{5, tcc}};
  const Bytes original = build(original_spec(payload, exts, 3));
  const auto parsed = RtpPacket::parse(original);
  ASSERT_TRUE(parsed);

  std::array<std::uint8_t, 100> out{};
  const auto n = rtx_wrap(*parsed, out, {97, 0x2222, 7});
  ASSERT_TRUE(n) << n.error();
  EXPECT_EQ(*n, parsed->header_size() + 2 + payload.size());
  const auto rtx = RtpPacket::parse(std::span(out).first(*n));
  ASSERT_TRUE(rtx) << rtx.error();
  EXPECT_EQ(rtx->payload_type(), 97);
  EXPECT_EQ(rtx->ssrc(), 0x2222u);
  EXPECT_EQ(rtx->sequence_number(), 7);
  EXPECT_TRUE(rtx->marker());
  EXPECT_EQ(rtx->timestamp(), 90000u);
  EXPECT_FALSE(rtx->has_padding());
  EXPECT_EQ(read_transport_sequence(*rtx->extension(5)), 42);
  EXPECT_EQ(rtx_original_sequence(*rtx), 0xabcd);
  EXPECT_EQ(Bytes(rtx->payload().begin() + 2, rtx->payload().end()), payload);

  // Unwrap in place: the original without its padding.
  const auto size = rtx_unwrap_in_place(std::span(out).first(*n), {96, 0x1111});
  ASSERT_TRUE(size) << size.error();
  const Bytes expected = build(original_spec(payload, exts, 0));
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*size)), expected);
}

TEST(Rtx, WrapInPlace) {
  // The original at the start of a larger buffer; the RTX packet replaces it.
  const Bytes payload = hex("01 02 03 04 05 06 07 08");
  Bytes buffer = build(original_spec(payload, {}, 0));
  const std::size_t original_size = buffer.size();
  buffer.resize(original_size + 2);
  const auto parsed = RtpPacket::parse(std::span(buffer).first(original_size));
  ASSERT_TRUE(parsed);
  const auto n = rtx_wrap(*parsed, buffer, {97, 0x2222, 1});
  ASSERT_TRUE(n);
  const auto rtx = RtpPacket::parse(std::span(buffer).first(*n));
  ASSERT_TRUE(rtx);
  EXPECT_EQ(rtx_original_sequence(*rtx), 0xabcd);
  EXPECT_EQ(Bytes(rtx->payload().begin() + 2, rtx->payload().end()), payload);
}

TEST(Rtx, Errors) {
  const Bytes payload = hex("01");
  const Bytes original = build(original_spec(payload, {}, 0));
  const auto parsed = RtpPacket::parse(original);
  ASSERT_TRUE(parsed);
  std::array<std::uint8_t, 14> small{};
  EXPECT_EQ(rtx_wrap(*parsed, small, {97, 1, 1}).error(), Error::BufferTooSmall);
  std::array<std::uint8_t, 32> out{};
  EXPECT_EQ(rtx_wrap(*parsed, out, {128, 1, 1}).error(), Error::ValueOutOfRange);

  // An RTX padding-only probe has no OSN.
  Bytes probe = hex("a0 61 00 01  00 00 00 02  00 00 00 03  00 00 00 04");
  EXPECT_FALSE(rtx_original_sequence(*RtpPacket::parse(probe)));
  EXPECT_EQ(rtx_unwrap_in_place(probe, {96, 1}).error(), Error::Truncated);
  Bytes one_byte = hex("80 61 00 01  00 00 00 02  00 00 00 03  ff");
  EXPECT_EQ(rtx_unwrap_in_place(one_byte, {96, 1}).error(), Error::Truncated);
  Bytes garbage = hex("00 01 02");
  EXPECT_EQ(rtx_unwrap_in_place(garbage, {96, 1}).error(), Error::Truncated);
  // OSN only: unwraps to an empty payload.
  Bytes osn_only = hex("80 61 00 01  00 00 00 02  00 00 00 03  12 34");
  const auto n = rtx_unwrap_in_place(osn_only, {96, 9});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 12u);
  const auto p = RtpPacket::parse(std::span(osn_only).first(*n));
  EXPECT_EQ(p->sequence_number(), 0x1234);
  EXPECT_EQ(p->ssrc(), 9u);
  EXPECT_EQ(p->payload_type(), 96);
}

}  // namespace
}  // namespace parley::rtp
