#include "rtp/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "test_util.hpp"

namespace parley::rtp {
namespace {

using test::Bytes;
using test::hex;

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// RFC 3550 §5.1 fixed header: V=2 P=0 X=0 CC=0 | M=1 PT=96 | seq 0x1234,
// timestamp 123456, SSRC 0xdeadbeef, then two payload bytes.
const Bytes kSimple = hex("80 e0 12 34  00 01 e2 40  de ad be ef  ab cd");

TEST(RtpPacket, ParsesFixedHeader) {
  const auto p = RtpPacket::parse(kSimple);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->version(), 2);
  EXPECT_FALSE(p->has_padding());
  EXPECT_FALSE(p->has_extension());
  EXPECT_EQ(p->csrc_count(), 0);
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 96);
  EXPECT_EQ(p->sequence_number(), 0x1234);
  EXPECT_EQ(p->timestamp(), 123456u);
  EXPECT_EQ(p->ssrc(), 0xdeadbeefu);
  EXPECT_EQ(p->header_size(), 12u);
  EXPECT_EQ(Bytes(p->payload().begin(), p->payload().end()), hex("ab cd"));
  EXPECT_EQ(p->padding_size(), 0u);
  EXPECT_EQ(p->extension_profile(), 0);
  EXPECT_TRUE(p->extension_block().empty());
  EXPECT_FALSE(p->extension(1).has_value());
}

TEST(RtpPacket, ParsesCsrcs) {
  const Bytes bytes = hex("82 00 00 01  00 00 00 02  00 00 00 03  11 11 11 11  22 22 22 22  ff");
  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->csrc_count(), 2);
  EXPECT_EQ(p->csrc(0), 0x11111111u);
  EXPECT_EQ(p->csrc(1), 0x22222222u);
  EXPECT_EQ(p->csrc(2), 0u);  // out of range reads nothing
  EXPECT_EQ(p->header_size(), 20u);
  EXPECT_EQ(p->payload().size(), 1u);
}

TEST(RtpPacket, CsrcCountBeyondPacketIsTruncated) {
  // CC=15 needs 60 bytes of CSRCs.
  const Bytes bytes = hex("8f 00 00 01  00 00 00 02  00 00 00 03  11 11 11 11");
  EXPECT_EQ(RtpPacket::parse(bytes).error(), Error::Truncated);
}

TEST(RtpPacket, RejectsOtherVersions) {
  Bytes bytes = kSimple;
  for (std::uint8_t v : {0, 1, 3}) {
    bytes[0] = static_cast<std::uint8_t>((v << 6) | (kSimple[0] & 0x3F));
    EXPECT_EQ(RtpPacket::parse(bytes).error(), Error::BadVersion);
  }
}

TEST(RtpPacket, ShorterThanFixedHeaderIsTruncated) {
  for (std::size_t n = 0; n < 12; ++n) {
    EXPECT_EQ(RtpPacket::parse(std::span(kSimple).first(n)).error(), Error::Truncated);
  }
  EXPECT_TRUE(RtpPacket::parse(std::span(kSimple).first(12)));  // empty payload is fine
}

TEST(RtpPacket, Padding) {
  // P bit; 3 padding bytes, the last holding the count.
  const Bytes bytes = hex("a0 60 00 01  00 00 00 02  00 00 00 03  aa bb  00 00 03");
  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->has_padding());
  EXPECT_EQ(p->padding_size(), 3u);
  EXPECT_EQ(Bytes(p->payload().begin(), p->payload().end()), hex("aa bb"));
}

TEST(RtpPacket, PaddingOnlyPacket) {
  // Bandwidth probes: all padding, no payload.
  const Bytes bytes = hex("a0 60 00 01  00 00 00 02  00 00 00 03  00 00 00 04");
  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->payload().empty());
  EXPECT_EQ(p->padding_size(), 4u);
}

TEST(RtpPacket, BadPadding) {
  // Count 0.
  EXPECT_EQ(RtpPacket::parse(hex("a0 60 00 01  00 00 00 02  00 00 00 03  aa 00")).error(),
            Error::BadPadding);
  // Count larger than what follows the header.
  EXPECT_EQ(RtpPacket::parse(hex("a0 60 00 01  00 00 00 02  00 00 00 03  aa 03")).error(),
            Error::BadPadding);
  EXPECT_EQ(RtpPacket::parse(hex("a0 60 00 01  00 00 00 02  00 00 00 03  aa ff")).error(),
            Error::BadPadding);
  // Padding bit with nothing after the header at all: the count byte would
  // be the SSRC's last byte.
  EXPECT_EQ(RtpPacket::parse(hex("a0 60 00 01  00 00 00 02  00 00 00 01")).error(),
            Error::BadPadding);
  // Padding cannot reach into the extension block.
  EXPECT_EQ(RtpPacket::parse(hex("b0 60 00 01  00 00 00 02  00 00 00 03  be de 00 01 "
                                 "10 aa 00 05"))
                .error(),
            Error::BadPadding);
}

// RFC 8285 §4.2 figure: ID 1 with L=0 (1 byte), ID 2 with L=1 (2 bytes), two
// padding bytes, ID 3 with L=3 (4 bytes); length 3 words.
const Bytes kOneByteExample =
    hex("90 60 00 01  00 00 00 02  00 00 00 03"
        "be de 00 03  10 aa 21 bb  bb 00 00 33  cc cc cc cc"
        "01 02");

TEST(RtpPacket, OneByteExtensionsFromRfc8285) {
  const auto p = RtpPacket::parse(kOneByteExample);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->extension_profile(), kOneByteExtensionProfile);
  EXPECT_EQ(p->extension_block().size(), 12u);
  EXPECT_EQ(p->header_size(), 28u);
  std::vector<std::pair<int, Bytes>> seen;
  for (const auto& e : p->extensions())
    seen.emplace_back(e.id, Bytes(e.data.begin(), e.data.end()));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::pair<int, Bytes>{1, hex("aa")}));
  EXPECT_EQ(seen[1], (std::pair<int, Bytes>{2, hex("bb bb")}));
  EXPECT_EQ(seen[2], (std::pair<int, Bytes>{3, hex("cc cc cc cc")}));
  ASSERT_TRUE(p->extension(2));
  EXPECT_EQ(p->extension(2)->size(), 2u);
  EXPECT_FALSE(p->extension(4));
  EXPECT_FALSE(p->extension(0));
  EXPECT_EQ(Bytes(p->payload().begin(), p->payload().end()), hex("01 02"));
}

// RFC 8285 §4.3 figure: ID 1 with length 0, ID 2 with length 1, a padding
// byte, ID 3 with length 4.
const Bytes kTwoByteExample =
    hex("90 60 00 01  00 00 00 02  00 00 00 03"
        "10 00 00 03  01 00 02 01  bb 00 03 04  cc cc cc cc");

TEST(RtpPacket, TwoByteExtensionsFromRfc8285) {
  const auto p = RtpPacket::parse(kTwoByteExample);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(extension_form(p->extension_profile()), ExtensionForm::TwoByte);
  std::vector<std::pair<int, std::size_t>> seen;
  for (const auto& e : p->extensions()) seen.emplace_back(e.id, e.data.size());
  EXPECT_EQ(seen, (std::vector<std::pair<int, std::size_t>>{{1, 0}, {2, 1}, {3, 4}}));
  EXPECT_TRUE(p->payload().empty());
}

TEST(RtpPacket, TwoByteAppBitsAccepted) {
  Bytes bytes = kTwoByteExample;
  bytes[13] = 0x0F;  // profile 0x100F
  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->extension(3));
}

TEST(RtpPacket, OneByteId15StopsProcessing) {
  const Bytes bytes =
      hex("90 60 00 01  00 00 00 02  00 00 00 03  be de 00 02  10 aa f3 ff  20 bb 00 00");
  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->extension(1));
  EXPECT_FALSE(p->extension(2));  // after the id 15 byte
}

TEST(RtpPacket, ExtensionBlockOverrunsPacket) {
  // Length says 4 words; only 1 is there.
  const Bytes bytes = hex("90 60 00 01  00 00 00 02  00 00 00 03  be de 00 04  10 aa 00 00");
  EXPECT_EQ(RtpPacket::parse(bytes).error(), Error::BadExtension);
  // X bit but not even the block header.
  EXPECT_EQ(RtpPacket::parse(hex("90 60 00 01  00 00 00 02  00 00 00 03  be de")).error(),
            Error::Truncated);
}

TEST(RtpPacket, ExtensionElementOverrunsBlock) {
  // One-byte element ID 1 L=3 (4 bytes) with 3 left in the block.
  EXPECT_EQ(RtpPacket::parse(hex("90 60 00 01  00 00 00 02  00 00 00 03  be de 00 01  13 aa bb cc"))
                .error(),
            Error::BadExtension);
  // Two-byte element: id 1 length 9 in a 4-byte block.
  EXPECT_EQ(RtpPacket::parse(hex("90 60 00 01  00 00 00 02  00 00 00 03  10 00 00 01  01 09 aa bb"))
                .error(),
            Error::BadExtension);
  // Two-byte form: an id byte with no length byte after it.
  EXPECT_EQ(RtpPacket::parse(hex("90 60 00 01  00 00 00 02  00 00 00 03  10 00 00 01  00 00 00 07"))
                .error(),
            Error::BadExtension);
}

TEST(RtpPacket, OtherProfilesAreOpaque) {
  const Bytes bytes = hex("90 60 00 01  00 00 00 02  00 00 00 03  ab cd 00 01  ff ff ff ff  99");
  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->extension_profile(), 0xabcd);
  EXPECT_EQ(p->extension_block().size(), 4u);
  EXPECT_TRUE(p->extensions().begin() == std::default_sentinel);
  EXPECT_FALSE(p->extension(15));
  EXPECT_EQ(p->payload().size(), 1u);
}

TEST(RtpPacket, BuildParseRoundTrip) {
  const std::array<std::uint32_t, 2> csrcs = {0x01020304, 0xa0b0c0d0};
  const auto tcc = encode_transport_sequence(0xbeef);
  const auto level = encode_audio_level({true, 42});
  const std::string_view mid = "audio0";
  const std::array<HeaderExtension, 3> exts = {HeaderExtension{3, tcc}, HeaderExtension{1, level},
                                               HeaderExtension{9, as_bytes(mid)}};
  const Bytes payload = hex("01 02 03 04 05");
  RtpPacketSpec spec;
  spec.marker = true;
  spec.payload_type = 111;
  spec.sequence_number = 65535;
  spec.timestamp = 0xfffffff0;
  spec.ssrc = 0x12345678;
  spec.csrcs = csrcs;
  spec.extensions = exts;
  spec.payload = payload;
  spec.padding = 7;

  std::array<std::uint8_t, 200> buffer{};
  const auto size = write_rtp_packet(buffer, spec);
  ASSERT_TRUE(size) << size.error();
  EXPECT_EQ(*size, rtp_packet_size(spec).value());
  // 12 + 8 CSRC + (4 + 3 + 2 + 7 -> 12 padded -> 16) + 5 + 7
  EXPECT_EQ(*size, 12u + 8 + 16 + 5 + 7);

  const auto p = RtpPacket::parse(std::span(buffer).first(*size));
  ASSERT_TRUE(p) << p.error();
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 111);
  EXPECT_EQ(p->sequence_number(), 65535);
  EXPECT_EQ(p->timestamp(), 0xfffffff0u);
  EXPECT_EQ(p->ssrc(), 0x12345678u);
  EXPECT_EQ(p->csrc_count(), 2);
  EXPECT_EQ(p->csrc(1), 0xa0b0c0d0u);
  EXPECT_EQ(p->extension_profile(), kOneByteExtensionProfile);
  EXPECT_EQ(read_transport_sequence(*p->extension(3)), 0xbeef);
  EXPECT_EQ(read_audio_level(*p->extension(1)), (AudioLevel{true, 42}));
  EXPECT_EQ(read_string_extension(*p->extension(9)), mid);
  EXPECT_EQ(Bytes(p->payload().begin(), p->payload().end()), payload);
  EXPECT_EQ(p->padding_size(), 7u);
}

TEST(RtpPacket, BuildChoosesTwoByteFormWhenNeeded) {
  const Bytes big(17, 0x5a);
  const Bytes none;
  const Bytes one = hex("01");
  const Bytes two = hex("aa bb");
  for (const auto& exts :
       {std::vector<HeaderExtension>{{15, one}}, std::vector<HeaderExtension>{{1, big}},
        std::vector<HeaderExtension>{{2, none}, {200, two}}}) {
    std::array<std::uint8_t, 100> buffer{};
    RtpPacketSpec spec;
    spec.extensions = exts;
    const auto size = write_rtp_packet(buffer, spec);
    ASSERT_TRUE(size);
    const auto p = RtpPacket::parse(std::span(buffer).first(*size));
    ASSERT_TRUE(p);
    EXPECT_EQ(extension_form(p->extension_profile()), ExtensionForm::TwoByte);
    std::size_t n = 0;
    for (const auto& e : p->extensions()) {
      EXPECT_EQ(e.id, exts[n].id);
      EXPECT_EQ(Bytes(e.data.begin(), e.data.end()),
                Bytes(exts[n].data.begin(), exts[n].data.end()));
      ++n;
    }
    EXPECT_EQ(n, exts.size());
  }
}

TEST(RtpPacket, BuildErrors) {
  std::array<std::uint8_t, 64> buffer{};
  RtpPacketSpec spec;
  spec.payload_type = 128;
  EXPECT_EQ(write_rtp_packet(buffer, spec).error(), Error::ValueOutOfRange);
  spec.payload_type = 0;
  const std::array<std::uint32_t, 16> csrcs{};
  spec.csrcs = csrcs;
  EXPECT_EQ(write_rtp_packet(buffer, spec).error(), Error::ValueOutOfRange);
  spec.csrcs = {};
  const std::array<HeaderExtension, 1> id0 = {HeaderExtension{0, {}}};
  spec.extensions = id0;
  EXPECT_EQ(write_rtp_packet(buffer, spec).error(), Error::ValueOutOfRange);
  const Bytes two = hex("01 02");
  const std::array<HeaderExtension, 1> id15 = {HeaderExtension{15, two}};
  spec.extensions = id15;
  spec.extension_form = ExtensionForm::OneByte;  // forced: 15 does not fit
  EXPECT_EQ(write_rtp_packet(buffer, spec).error(), Error::ValueOutOfRange);
  spec.extensions = {};
  spec.extension_form.reset();
  EXPECT_EQ(write_rtp_packet(std::span(buffer).first(11), spec).error(), Error::BufferTooSmall);
  EXPECT_EQ(write_rtp_packet(std::span(buffer).first(12), spec).value(), 12u);
}

TEST(RtpPacket, BuildAroundPayloadAlreadyInBuffer) {
  // The payload sits at the start of the buffer; the header is put in front.
  std::array<std::uint8_t, 64> buffer{};
  const Bytes payload = hex("11 22 33 44 55 66 77 88 99");
  std::copy(payload.begin(), payload.end(), buffer.begin());
  RtpPacketSpec spec;
  spec.payload = std::span(buffer).first(payload.size());
  spec.sequence_number = 7;
  const auto size = write_rtp_packet(buffer, spec);
  ASSERT_TRUE(size);
  const auto p = RtpPacket::parse(std::span(buffer).first(*size));
  ASSERT_TRUE(p);
  EXPECT_EQ(Bytes(p->payload().begin(), p->payload().end()), payload);
}

TEST(MutableRtpPacket, RewritesHeaderInPlace) {
  Bytes bytes = kOneByteExample;
  auto m = MutableRtpPacket::parse(bytes);
  ASSERT_TRUE(m);
  m->set_sequence_number(0xfffe);
  m->set_timestamp(0x01020304);
  m->set_ssrc(0xcafebabe);
  m->set_marker(true);
  m->set_payload_type(100);
  ASSERT_TRUE(m->set_extension(2, hex("12 34")));
  EXPECT_EQ(m->set_extension(2, hex("12")).error(), Error::ValueOutOfRange);
  EXPECT_EQ(m->set_extension(7, hex("12")).error(), Error::NotPresent);
  m->payload()[0] = 0xee;

  const auto p = RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sequence_number(), 0xfffe);
  EXPECT_EQ(p->timestamp(), 0x01020304u);
  EXPECT_EQ(p->ssrc(), 0xcafebabeu);
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 100);
  EXPECT_EQ(Bytes(p->extension(2)->begin(), p->extension(2)->end()), hex("12 34"));
  EXPECT_EQ(p->payload()[0], 0xee);
  m->set_marker(false);
  m->set_payload_type(0xff);  // only 7 bits
  EXPECT_FALSE(RtpPacket::parse(bytes)->marker());
  EXPECT_EQ(RtpPacket::parse(bytes)->payload_type(), 127);
}

TEST(MutableRtpPacket, RebindToCopy) {
  const auto original = RtpPacket::parse(kOneByteExample);
  ASSERT_TRUE(original);
  Bytes copy = kOneByteExample;
  auto m = MutableRtpPacket::rebind(copy, *original);
  ASSERT_TRUE(m);
  m->set_ssrc(42);
  ASSERT_TRUE(m->set_extension(1, hex("77")));
  EXPECT_EQ(RtpPacket::parse(copy)->ssrc(), 42u);
  EXPECT_EQ((*RtpPacket::parse(copy)->extension(1))[0], 0x77);
  EXPECT_EQ(original->ssrc(), 3u);  // the original bytes are untouched
  Bytes shorter(kOneByteExample.begin(), kOneByteExample.end() - 1);
  EXPECT_EQ(MutableRtpPacket::rebind(shorter, *original).error(), Error::BadLength);
}

TEST(RtpPacket, DemuxRtpFromRtcp) {
  EXPECT_TRUE(looks_like_rtp(kSimple));
  EXPECT_FALSE(looks_like_rtcp(kSimple));
  const Bytes rr = hex("80 c9 00 01 00 00 00 01");
  EXPECT_TRUE(looks_like_rtcp(rr));
  EXPECT_FALSE(looks_like_rtp(rr));
  // RFC 5761 §4: PT 64-95 with M set collides with RTCP 192-223.
  EXPECT_TRUE(looks_like_rtcp(hex("80 df 00 00")));
  EXPECT_FALSE(looks_like_rtcp(hex("80 e0 00 00")));
  EXPECT_FALSE(looks_like_rtp(hex("00 60 00 01  00 00 00 02  00 00 00 03")));
}

}  // namespace
}  // namespace parley::rtp
