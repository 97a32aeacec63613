#include "rtc/demux.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace parley::rtc {
namespace {

PacketClass of(std::vector<std::uint8_t> bytes) { return classify(bytes); }

TEST(Demux, StunRangeIsZeroToThree) {
  // RFC 7983 §7: 0-3 STUN. A Binding request starts 0x00 0x01.
  EXPECT_EQ(of({0x00, 0x01, 0x00, 0x00}), PacketClass::Stun);
  EXPECT_EQ(of({0x01, 0x01}), PacketClass::Stun);
  EXPECT_EQ(of({0x03}), PacketClass::Stun);
  EXPECT_EQ(of({0x04}), PacketClass::Unknown);
}

TEST(Demux, DtlsRangeIsTwentyToSixtyThree) {
  EXPECT_EQ(of({22, 0xfe, 0xfd}), PacketClass::Dtls);  // handshake record, DTLS 1.2
  EXPECT_EQ(of({20}), PacketClass::Dtls);
  EXPECT_EQ(of({23}), PacketClass::Dtls);
  EXPECT_EQ(of({63}), PacketClass::Dtls);
  EXPECT_EQ(of({19}), PacketClass::Unknown);
  EXPECT_EQ(of({64, 0x00}), PacketClass::Unknown);  // TURN channel: not ours here
  EXPECT_EQ(of({79}), PacketClass::Unknown);
}

TEST(Demux, RtpAndRtcpBySecondByte) {
  // RFC 5761 §4: 192-223 in the second byte is RTCP.
  EXPECT_EQ(of({0x80, 111}), PacketClass::Rtp);         // opus
  EXPECT_EQ(of({0x80, 0x80 | 96}), PacketClass::Rtp);   // VP8 with marker
  EXPECT_EQ(of({0x80, 200}), PacketClass::Rtcp);        // SR
  EXPECT_EQ(of({0x81, 201}), PacketClass::Rtcp);        // RR
  EXPECT_EQ(of({0x81, 206}), PacketClass::Rtcp);        // PSFB
  EXPECT_EQ(of({0x8f, 223}), PacketClass::Rtcp);
  EXPECT_EQ(of({0x80, 191}), PacketClass::Rtp);
  EXPECT_EQ(of({0x80, 224}), PacketClass::Rtp);
  EXPECT_EQ(of({128}), PacketClass::Unknown);  // too short to tell
  EXPECT_EQ(of({191, 0}), PacketClass::Rtp);
  EXPECT_EQ(of({192, 0}), PacketClass::Unknown);
}

TEST(Demux, EmptyAndOtherBytes) {
  EXPECT_EQ(of({}), PacketClass::Unknown);
  EXPECT_EQ(of({255, 0}), PacketClass::Unknown);
  EXPECT_EQ(of({100, 0}), PacketClass::Unknown);
  static_assert(classify(std::array<std::uint8_t, 2>{0x80, 200}) == PacketClass::Rtcp);
  EXPECT_EQ(to_string(PacketClass::Dtls), "dtls");
}

}  // namespace
}  // namespace parley::rtc
