#include "rtp/header_extensions.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

#include "rtp/rtp_packet.hpp"
#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(ExtensionMap, KnowsTheWebRtcUris) {
  EXPECT_EQ(extension_kind_from_uri("urn:ietf:params:rtp-hdrext:sdes:mid"), ExtensionKind::Mid);
  EXPECT_EQ(extension_kind_from_uri("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
            ExtensionKind::Rid);
  EXPECT_EQ(extension_kind_from_uri("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"),
            ExtensionKind::RepairedRid);
  EXPECT_EQ(extension_kind_from_uri("http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
            ExtensionKind::AbsSendTime);
  EXPECT_EQ(extension_kind_from_uri(
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
            ExtensionKind::TransportWideCc);
  EXPECT_EQ(extension_kind_from_uri("urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
            ExtensionKind::AudioLevel);
  EXPECT_EQ(extension_kind_from_uri("urn:3gpp:video-orientation"), ExtensionKind::VideoOrientation);
  EXPECT_EQ(extension_kind_from_uri("urn:ietf:params:rtp-hdrext:toffset"), ExtensionKind::None);
  for (std::size_t k = 1; k < kExtensionKindCount; ++k) {
    const auto kind = static_cast<ExtensionKind>(k);
    EXPECT_EQ(extension_kind_from_uri(extension_uri(kind)), kind);
  }
  EXPECT_TRUE(extension_uri(ExtensionKind::None).empty());
}

TEST(ExtensionMap, SetLookupRemap) {
  ExtensionMap map;
  EXPECT_EQ(map.set(4, "urn:ietf:params:rtp-hdrext:sdes:mid"), ExtensionKind::Mid);
  EXPECT_EQ(map.set(10, "urn:unknown"), ExtensionKind::None);
  EXPECT_FALSE(map.set(0, ExtensionKind::Rid));
  EXPECT_FALSE(map.set(3, ExtensionKind::None));
  EXPECT_EQ(map.kind(4), ExtensionKind::Mid);
  EXPECT_EQ(map.kind(10), ExtensionKind::None);
  EXPECT_EQ(map.id_of(ExtensionKind::Mid), 4);
  EXPECT_FALSE(map.id_of(ExtensionKind::Rid));

  // The same id given to another kind.
  EXPECT_TRUE(map.set(4, ExtensionKind::Rid));
  EXPECT_EQ(map.kind(4), ExtensionKind::Rid);
  EXPECT_FALSE(map.id_of(ExtensionKind::Mid));
  // The same kind moved to another id (two-byte range too).
  EXPECT_TRUE(map.set(200, ExtensionKind::Rid));
  EXPECT_EQ(map.kind(4), ExtensionKind::None);
  EXPECT_EQ(map.id_of(ExtensionKind::Rid), 200);
  map.erase(200);
  EXPECT_FALSE(map.id_of(ExtensionKind::Rid));
  map.set(1, ExtensionKind::AudioLevel);
  map.clear();
  EXPECT_EQ(map.kind(1), ExtensionKind::None);
  EXPECT_FALSE(map.id_of(ExtensionKind::AudioLevel));
}

TEST(ExtensionValues, AbsSendTime) {
  // 6.18 fixed point: 1.5 s is 0x060000.
  EXPECT_EQ(abs_send_time_from_us(1'500'000), 0x060000u);
  EXPECT_EQ(abs_send_time_to_us(0x060000), 1'500'000u);
  EXPECT_EQ(abs_send_time_from_us(64'000'000), 0u);  // wraps every 64 s
  EXPECT_EQ(read_abs_send_time(hex("06 00 00")), 0x060000u);
  EXPECT_FALSE(read_abs_send_time(hex("06 00")));
  EXPECT_EQ(encode_abs_send_time(0x1abcdef), (std::array<std::uint8_t, 3>{0xab, 0xcd, 0xef}));
}

TEST(ExtensionValues, AudioLevelRfc6464) {
  // §3: V=1, level 0x21 (-33 dBov).
  EXPECT_EQ(read_audio_level(hex("a1")), (AudioLevel{true, 33}));
  EXPECT_EQ(read_audio_level(hex("7f")), (AudioLevel{false, 127}));
  EXPECT_FALSE(read_audio_level({}));
  EXPECT_EQ(encode_audio_level({true, 33})[0], 0xa1);
}

TEST(ExtensionValues, VideoOrientation) {
  const auto v = read_video_orientation(hex("0d"));  // C=1 F=1 R=01
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->back_camera);
  EXPECT_TRUE(v->flip);
  EXPECT_EQ(v->rotation, 1);
  EXPECT_EQ(v->degrees(), 90u);
  EXPECT_EQ(read_video_orientation(hex("03"))->degrees(), 270u);
  EXPECT_EQ(encode_video_orientation(*v)[0], 0x0d);
}

TEST(ExtensionValues, TransportSequenceAndStrings) {
  EXPECT_EQ(read_transport_sequence(hex("12 34")), 0x1234);
  EXPECT_EQ(read_transport_sequence(hex("12 34 80 01")), 0x1234);  // -02 layout
  EXPECT_FALSE(read_transport_sequence(hex("12")));
  EXPECT_EQ(read_string_extension(as_bytes("q")), "q");
  EXPECT_FALSE(read_string_extension({}));
}

TEST(ExtensionValues, AllInOnePass) {
  ExtensionMap map;
  map.set(1, ExtensionKind::Mid);
  map.set(2, ExtensionKind::Rid);
  map.set(3, ExtensionKind::RepairedRid);
  map.set(4, ExtensionKind::AbsSendTime);
  map.set(5, ExtensionKind::TransportWideCc);
  map.set(6, ExtensionKind::AudioLevel);
  map.set(7, ExtensionKind::VideoOrientation);
  const auto ast = encode_abs_send_time(0x123456);
  const auto tcc = encode_transport_sequence(777);
  const auto level = encode_audio_level({false, 90});
  const auto cvo = encode_video_orientation({false, false, 2});
  const std::array<HeaderExtension, 8> exts = {
      HeaderExtension{1, as_bytes("0")}, HeaderExtension{2, as_bytes("h")},
      HeaderExtension{3, as_bytes("l")}, HeaderExtension{4, ast},
      HeaderExtension{5, tcc},           HeaderExtension{6, level},
      HeaderExtension{7, cvo},           HeaderExtension{8, as_bytes("unmapped")}};
  RtpPacketSpec spec;
  spec.extensions = exts;
  std::array<std::uint8_t, 128> buffer{};
  const auto size = write_rtp_packet(buffer, spec);
  ASSERT_TRUE(size);
  const auto p = RtpPacket::parse(std::span(buffer).first(*size));
  ASSERT_TRUE(p);
  const ExtensionValues v = p->extension_values(map);
  EXPECT_EQ(v.mid, "0");
  EXPECT_EQ(v.rid, "h");
  EXPECT_EQ(v.repaired_rid, "l");
  EXPECT_EQ(v.abs_send_time, 0x123456u);
  EXPECT_EQ(v.transport_sequence, 777);
  EXPECT_EQ(v.audio_level, (AudioLevel{false, 90}));
  EXPECT_EQ(v.video_orientation->degrees(), 180u);

  // Nothing mapped: nothing read.
  const ExtensionValues none = p->extension_values(ExtensionMap{});
  EXPECT_FALSE(none.mid || none.rid || none.abs_send_time || none.transport_sequence ||
               none.audio_level || none.video_orientation);
}

TEST(ExtensionBlock, WriteExactBytesOneByte) {
  // Same as the RFC 8285 §4.2 figure but without the padding bytes in the
  // middle: elements back to back, zero padding at the end.
  const Bytes a = hex("aa"), b = hex("bb bb"), c = hex("cc cc cc cc");
  const std::array<HeaderExtension, 3> exts = {HeaderExtension{1, a}, HeaderExtension{2, b},
                                               HeaderExtension{3, c}};
  std::array<std::uint8_t, 16> out{};
  const auto n = write_extension_block(out, exts, ExtensionForm::OneByte);
  ASSERT_TRUE(n);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)),
            hex("be de 00 03  10 aa 21 bb  bb 33 cc cc  cc cc 00 00"));
  EXPECT_EQ(write_extension_block(std::span(out).first(15), exts, ExtensionForm::OneByte).error(),
            Error::BufferTooSmall);
}

TEST(ExtensionBlock, WriteExactBytesTwoByte) {
  const Bytes none, b = hex("bb"), c = hex("cc cc cc cc");
  const std::array<HeaderExtension, 3> exts = {HeaderExtension{1, none}, HeaderExtension{2, b},
                                               HeaderExtension{3, c}};
  EXPECT_EQ(choose_extension_form(exts), ExtensionForm::TwoByte);
  std::array<std::uint8_t, 16> out{};
  const auto n = write_extension_block(out, exts, ExtensionForm::TwoByte);
  ASSERT_TRUE(n);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)),
            hex("10 00 00 03  01 00 02 01  bb 03 04 cc  cc cc cc 00"));
}

TEST(ExtensionBlock, TooLongForTwoByte) {
  const Bytes big(256, 1);
  const std::array<HeaderExtension, 1> exts = {HeaderExtension{1, big}};
  EXPECT_EQ(extension_block_size(exts, ExtensionForm::TwoByte).error(), Error::ValueOutOfRange);
}

TEST(ExtensionBlock, IteratorIsSafeOnUnvalidatedBlocks) {
  // Lying lengths stop the walk and flag it.
  const Bytes block = hex("1f aa");
  ExtensionIterator it(ExtensionForm::OneByte, block);
  EXPECT_TRUE(it == std::default_sentinel);
  EXPECT_TRUE(it.malformed());
  EXPECT_EQ(validate_extension_block(kOneByteExtensionProfile, block).error(), Error::BadExtension);
  EXPECT_TRUE(validate_extension_block(0x1234, block));  // opaque profile
  // Padding only.
  const Bytes pad = hex("00 00 00 00");
  EXPECT_TRUE(ExtensionIterator(ExtensionForm::TwoByte, pad) == std::default_sentinel);
  EXPECT_TRUE(validate_extension_block(kTwoByteExtensionProfile, pad));
}

}  // namespace
}  // namespace parley::rtp
