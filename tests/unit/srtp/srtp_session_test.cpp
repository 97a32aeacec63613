#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "dtls_test_pair.hpp"
#include "srtp/srtp_profile.hpp"
#include "srtp/srtp_session.hpp"

namespace parley::srtp {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Fixed test keys (not from any RFC): 16-byte key, 14/12-byte salt.
const Bytes kKey = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
const Bytes kOtherKey = {0x11, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
Bytes salt_for(Profile p) {
  Bytes s(info(p).salt_length);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(0xA0 + i);
  return s;
}

// An RTP packet (RFC 3550 §5.1) with `payload` bytes of payload and room for
// `spare` more bytes after it.
Bytes rtp_packet(std::uint16_t seq, std::uint32_t ssrc, std::size_t payload, std::size_t spare = max_rtp_overhead) {
  Bytes b(12 + payload + spare, 0);
  b[0] = 0x80;
  b[1] = 96;
  b[2] = static_cast<std::uint8_t>(seq >> 8);
  b[3] = static_cast<std::uint8_t>(seq);
  const std::uint32_t ts = seq * 960u;
  b[4] = static_cast<std::uint8_t>(ts >> 24);
  b[5] = static_cast<std::uint8_t>(ts >> 16);
  b[6] = static_cast<std::uint8_t>(ts >> 8);
  b[7] = static_cast<std::uint8_t>(ts);
  b[8] = static_cast<std::uint8_t>(ssrc >> 24);
  b[9] = static_cast<std::uint8_t>(ssrc >> 16);
  b[10] = static_cast<std::uint8_t>(ssrc >> 8);
  b[11] = static_cast<std::uint8_t>(ssrc);
  for (std::size_t i = 0; i < payload; ++i) b[12 + i] = static_cast<std::uint8_t>(i * 7 + seq);
  return b;
}

// An RTCP receiver report with one report block (RFC 3550 §6.4.2).
Bytes rtcp_packet(std::uint32_t ssrc, std::size_t spare = max_rtcp_overhead) {
  Bytes b(32 + spare, 0);
  b[0] = 0x81;
  b[1] = 201;
  b[3] = 7;  // length in words - 1
  b[4] = static_cast<std::uint8_t>(ssrc >> 24);
  b[5] = static_cast<std::uint8_t>(ssrc >> 16);
  b[6] = static_cast<std::uint8_t>(ssrc >> 8);
  b[7] = static_cast<std::uint8_t>(ssrc);
  for (std::size_t i = 8; i < 32; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}

struct Pair {
  Session out;
  Session in;
};

Pair make_pair(Profile p, const Options& options = {}) {
  auto out = Session::create(Direction::outbound, p, kKey, salt_for(p), options);
  auto in = Session::create(Direction::inbound, p, kKey, salt_for(p), options);
  EXPECT_TRUE(out && in);
  return Pair{std::move(*out), std::move(*in)};
}

class SrtpBothProfiles : public ::testing::TestWithParam<Profile> {};

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpBothProfiles,
                         ::testing::Values(Profile::aes128_cm_hmac_sha1_80, Profile::aead_aes_128_gcm),
                         [](const auto& info) {
                           return info.param == Profile::aead_aes_128_gcm ? std::string("AeadAes128Gcm")
                                                                          : std::string("AesCm128HmacSha1_80");
                         });

TEST_P(SrtpBothProfiles, RtpRoundTripInPlace) {
  auto [out, in] = make_pair(GetParam());
  for (std::uint16_t seq = 1000; seq < 1010; ++seq) {
    Bytes pkt = rtp_packet(seq, 0x12345678, 160);
    const Bytes plain(pkt.begin(), pkt.begin() + 172);
    std::size_t len = 172;
    ASSERT_TRUE(out.protect_rtp(pkt, len).has_value());
    EXPECT_EQ(len, 172 + info(GetParam()).rtp_overhead());
    EXPECT_EQ(std::memcmp(pkt.data(), plain.data(), 12), 0);                // header in clear
    EXPECT_NE(std::memcmp(pkt.data() + 12, plain.data() + 12, 160), 0);     // payload encrypted
    auto r = in.unprotect_rtp(pkt, len);
    ASSERT_TRUE(r.has_value()) << to_string(r.error());
    ASSERT_EQ(len, 172u);
    EXPECT_EQ(Bytes(pkt.begin(), pkt.begin() + 172), plain);
  }
}

TEST_P(SrtpBothProfiles, RtcpRoundTripInPlace) {
  auto [out, in] = make_pair(GetParam());
  for (int i = 0; i < 5; ++i) {
    Bytes pkt = rtcp_packet(0xCAFEBABE);
    const Bytes plain(pkt.begin(), pkt.begin() + 32);
    std::size_t len = 32;
    ASSERT_TRUE(out.protect_rtcp(pkt, len).has_value());
    EXPECT_EQ(len, 32 + info(GetParam()).rtcp_overhead());
    // E flag set (encrypted): the SRTCP index follows the payload for
    // HMAC-SHA1 (RFC 3711 §3.4), and the tag for AEAD (RFC 7714 §9.3).
    const std::size_t index_at = GetParam() == Profile::aead_aes_128_gcm ? len - 4 : 32;
    EXPECT_EQ(pkt[index_at] & 0x80, 0x80);
    auto r = in.unprotect_rtcp(pkt, len);
    ASSERT_TRUE(r.has_value()) << to_string(r.error());
    ASSERT_EQ(len, 32u);
    EXPECT_EQ(Bytes(pkt.begin(), pkt.begin() + 32), plain);
  }
}

TEST_P(SrtpBothProfiles, ExactCapacityIsEnoughAndOneLessIsRefused) {
  auto [out, in] = make_pair(GetParam());
  const std::size_t growth = info(GetParam()).rtp_overhead();
  Bytes exact = rtp_packet(1, 1, 100, growth);  // heap buffer of exactly len + tag: ASan checks the bound
  std::size_t len = 112;
  ASSERT_TRUE(out.protect_rtp(exact, len).has_value());
  EXPECT_EQ(len, exact.size());

  Bytes tight = rtp_packet(2, 1, 100, growth - 1);
  const Bytes before = tight;
  len = 112;
  auto r = out.protect_rtp(tight, len);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Status::buffer_too_small);
  EXPECT_EQ(len, 112u);
  EXPECT_EQ(tight, before);  // untouched

  const std::size_t rtcp_growth = info(GetParam()).rtcp_overhead();
  Bytes rtcp_exact = rtcp_packet(5, rtcp_growth);
  len = 32;
  ASSERT_TRUE(out.protect_rtcp(rtcp_exact, len).has_value());
  EXPECT_EQ(len, rtcp_exact.size());
  Bytes rtcp_tight = rtcp_packet(5, rtcp_growth - 1);
  len = 32;
  auto r2 = out.protect_rtcp(rtcp_tight, len);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error(), Status::buffer_too_small);
}

TEST_P(SrtpBothProfiles, TamperedPacketFailsAuthentication) {
  auto [out, in] = make_pair(GetParam());
  for (std::size_t where : {std::size_t{5}, std::size_t{20}, std::size_t{60}, std::size_t{12 + 50 + 3}}) {
    Bytes pkt = rtp_packet(static_cast<std::uint16_t>(where), 0x1111, 50);
    std::size_t len = 62;
    ASSERT_TRUE(out.protect_rtp(pkt, len).has_value());
    ASSERT_LT(where, len);
    pkt[where] ^= 0x01;
    auto r = in.unprotect_rtp(pkt, len);
    ASSERT_FALSE(r.has_value()) << where;
    EXPECT_EQ(r.error(), Status::auth_fail) << to_string(r.error());
  }
  Bytes rtcp = rtcp_packet(0x2222);
  std::size_t len = 32;
  ASSERT_TRUE(out.protect_rtcp(rtcp, len).has_value());
  rtcp[10] ^= 0x80;
  auto r = in.unprotect_rtcp(rtcp, len);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Status::auth_fail);
}

TEST_P(SrtpBothProfiles, ReplayedPacketIsRejected) {
  auto [out, in] = make_pair(GetParam());
  Bytes pkt = rtp_packet(42, 0x3333, 40);
  std::size_t len = 52;
  ASSERT_TRUE(out.protect_rtp(pkt, len).has_value());
  const Bytes wire(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(len));
  const std::size_t wire_len = len;
  ASSERT_TRUE(in.unprotect_rtp(pkt, len).has_value());

  Bytes again = wire;
  again.resize(wire.size() + 16);
  len = wire_len;
  auto r = in.unprotect_rtp(again, len);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Status::replay_fail);
  EXPECT_EQ(to_string(r.error()), "srtp_err_status_replay_fail");

  Bytes rtcp = rtcp_packet(0x3333);
  len = 32;
  ASSERT_TRUE(out.protect_rtcp(rtcp, len).has_value());
  Bytes rtcp_copy = rtcp;
  const std::size_t rtcp_len = len;
  ASSERT_TRUE(in.unprotect_rtcp(rtcp, len).has_value());
  len = rtcp_len;
  auto r2 = in.unprotect_rtcp(rtcp_copy, len);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error(), Status::replay_fail);
}

TEST_P(SrtpBothProfiles, WrongKeyFails) {
  const Profile p = GetParam();
  auto out = Session::create(Direction::outbound, p, kKey, salt_for(p));
  auto in = Session::create(Direction::inbound, p, kOtherKey, salt_for(p));
  ASSERT_TRUE(out && in);
  Bytes pkt = rtp_packet(7, 0x4444, 30);
  std::size_t len = 42;
  ASSERT_TRUE(out->protect_rtp(pkt, len).has_value());
  auto r = in->unprotect_rtp(pkt, len);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Status::auth_fail);
  EXPECT_EQ(to_string(r.error()), "srtp_err_status_auth_fail");
}

TEST_P(SrtpBothProfiles, LargerReplayWindowAcceptsLateVideoPackets) {
  const Profile p = GetParam();
  auto out = Session::create(Direction::outbound, p, kKey, salt_for(p));
  auto small = Session::create(Direction::inbound, p, kKey, salt_for(p));
  auto large = Session::create(Direction::inbound, p, kKey, salt_for(p), Options{.replay_window = 1024});
  ASSERT_TRUE(out && small && large);
  Bytes late;
  std::size_t late_len = 0;
  for (std::uint16_t seq = 1; seq <= 600; ++seq) {
    Bytes pkt = rtp_packet(seq, 0x5555, 20);
    std::size_t len = 32;
    ASSERT_TRUE(out->protect_rtp(pkt, len).has_value());
    if (seq == 100) {  // delivered after 500 newer packets
      late = pkt;
      late_len = len;
      continue;
    }
    Bytes copy = pkt;
    std::size_t l1 = len, l2 = len;
    ASSERT_TRUE(small->unprotect_rtp(pkt, l1).has_value());
    ASSERT_TRUE(large->unprotect_rtp(copy, l2).has_value());
  }
  Bytes copy = late;
  std::size_t l1 = late_len, l2 = late_len;
  auto r = small->unprotect_rtp(late, l1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Status::replay_old);
  EXPECT_TRUE(large->unprotect_rtp(copy, l2).has_value());
}

// An SFU's subscriber session carries dozens of streams (a track and its
// RTX per publisher): each SSRC must find its own stream, with its own
// replay state, however many there are (third_party/libsrtp's stream list
// grows past its first 16 entries here).
TEST_P(SrtpBothProfiles, ManySsrcsThroughOneSessionPair) {
  auto [out, in] = make_pair(GetParam());
  constexpr std::uint32_t kStreams = 40;
  std::vector<Bytes> first(kStreams + 1);
  std::size_t protected_len = 0;
  for (std::uint16_t seq = 1; seq <= 2; ++seq) {
    for (std::uint32_t ssrc = 1; ssrc <= kStreams; ++ssrc) {
      Bytes pkt = rtp_packet(seq, ssrc * 7919, 64);
      std::size_t len = 76;
      ASSERT_TRUE(out.protect_rtp(pkt, len).has_value());
      protected_len = len;
      if (seq == 1) first[ssrc] = pkt;
      ASSERT_TRUE(in.unprotect_rtp(pkt, len).has_value()) << "ssrc " << ssrc << " seq " << seq;
      EXPECT_EQ(len, 76u);
    }
  }
  for (std::uint32_t ssrc = 1; ssrc <= kStreams; ++ssrc) {
    std::size_t len = protected_len;
    auto replayed = in.unprotect_rtp(first[ssrc], len);
    ASSERT_FALSE(replayed.has_value()) << "ssrc " << ssrc;
    EXPECT_EQ(replayed.error(), Status::replay_fail);
  }
}

TEST_P(SrtpBothProfiles, KeysFromRealDtlsHandshake) {
  using parley::dtls::SrtpProfile;
  parley::dtls::test::DtlsPair p;
  const bool gcm = GetParam() == Profile::aead_aes_128_gcm;
  p.client_config.srtp_profiles = {gcm ? SrtpProfile::aead_aes_128_gcm : SrtpProfile::aes128_cm_hmac_sha1_80};
  p.handshake();
  ASSERT_EQ(p.client->state(), parley::dtls::State::connected) << p.client->error();
  ASSERT_EQ(p.server->state(), parley::dtls::State::connected) << p.server->error();
  const auto& ck = *p.client->srtp_keys();
  const auto& sk = *p.server->srtp_keys();
  const Profile profile = static_cast<Profile>(ck.profile);  // same IANA values
  ASSERT_EQ(profile, GetParam());

  auto client = SessionPair::create(profile, ck.local().key, ck.local().salt, ck.remote().key, ck.remote().salt,
                                    Options{.replay_window = 1024});
  auto server = SessionPair::create(profile, sk.local().key, sk.local().salt, sk.remote().key, sk.remote().salt);
  ASSERT_TRUE(client.has_value()) << to_string(client.error());
  ASSERT_TRUE(server.has_value()) << to_string(server.error());

  // client -> server RTP, server -> client RTP, both ways RTCP.
  Bytes a = rtp_packet(1, 0xA, 100);
  const Bytes a_plain(a.begin(), a.begin() + 112);
  std::size_t len = 112;
  ASSERT_TRUE(client->outbound.protect_rtp(a, len).has_value());
  ASSERT_TRUE(server->inbound.unprotect_rtp(a, len).has_value());
  EXPECT_EQ(Bytes(a.begin(), a.begin() + 112), a_plain);

  Bytes b = rtp_packet(9, 0xB, 100);
  len = 112;
  ASSERT_TRUE(server->outbound.protect_rtp(b, len).has_value());
  ASSERT_TRUE(client->inbound.unprotect_rtp(b, len).has_value());

  Bytes c = rtcp_packet(0xC);
  len = 32;
  ASSERT_TRUE(server->outbound.protect_rtcp(c, len).has_value());
  ASSERT_TRUE(client->inbound.unprotect_rtcp(c, len).has_value());
  Bytes d = rtcp_packet(0xD);
  len = 32;
  ASSERT_TRUE(client->outbound.protect_rtcp(d, len).has_value());
  ASSERT_TRUE(server->inbound.unprotect_rtcp(d, len).has_value());

  // A packet the client protected does not pass the client's own inbound
  // session (the two directions use different keys).
  Bytes e = rtp_packet(2, 0xA, 100);
  len = 112;
  ASSERT_TRUE(client->outbound.protect_rtp(e, len).has_value());
  auto r = client->inbound.unprotect_rtp(e, len);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Status::auth_fail);
}

TEST_P(SrtpBothProfiles, RejectsBadLengthsAndDirections) {
  auto [out, in] = make_pair(GetParam());
  Bytes pkt = rtp_packet(1, 1, 20);
  std::size_t len = 11;  // shorter than an RTP header
  EXPECT_EQ(out.protect_rtp(pkt, len).error(), Status::invalid_length);
  len = pkt.size() + 1;  // longer than the buffer
  EXPECT_EQ(out.protect_rtp(pkt, len).error(), Status::invalid_length);
  len = 20;  // header + less than a tag
  EXPECT_EQ(in.unprotect_rtp(pkt, len).error(), Status::invalid_length);
  len = 7;
  EXPECT_EQ(out.protect_rtcp(pkt, len).error(), Status::invalid_length);
  len = 32;
  EXPECT_EQ(in.protect_rtp(pkt, len).error(), Status::wrong_direction);
  EXPECT_EQ(out.unprotect_rtp(pkt, len).error(), Status::wrong_direction);
  EXPECT_EQ(in.protect_rtcp(pkt, len).error(), Status::wrong_direction);
  EXPECT_EQ(out.unprotect_rtcp(pkt, len).error(), Status::wrong_direction);

  Session moved = std::move(out);
  len = 32;
  EXPECT_EQ(out.protect_rtp(pkt, len).error(), Status::not_initialized);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.protect_rtp(pkt, len).has_value());
}

TEST(SrtpSession, RejectsBadKeysAndWindows) {
  const Profile cm = Profile::aes128_cm_hmac_sha1_80;
  const Profile gcm = Profile::aead_aes_128_gcm;
  EXPECT_EQ(Session::create(Direction::outbound, cm, Bytes(15), salt_for(cm)).error(), Status::invalid_key);
  EXPECT_EQ(Session::create(Direction::outbound, cm, kKey, salt_for(gcm)).error(), Status::invalid_key);
  EXPECT_EQ(Session::create(Direction::outbound, gcm, kKey, salt_for(cm)).error(), Status::invalid_key);
  EXPECT_EQ(Session::create(Direction::inbound, cm, kKey, salt_for(cm), Options{.replay_window = 10}).error(),
            Status::invalid_window);
  EXPECT_EQ(Session::create(Direction::inbound, cm, kKey, salt_for(cm), Options{.replay_window = 40000}).error(),
            Status::invalid_window);
  EXPECT_TRUE(Session::create(Direction::inbound, cm, kKey, salt_for(cm), Options{.replay_window = 64}).has_value());
  EXPECT_TRUE(Session::create(Direction::inbound, cm, kKey, salt_for(cm), Options{.replay_window = 4096}).has_value());
}

TEST(SrtpSession, AllowRepeatTx) {
  const Profile p = Profile::aes128_cm_hmac_sha1_80;
  auto strict = Session::create(Direction::outbound, p, kKey, salt_for(p));
  auto lenient = Session::create(Direction::outbound, p, kKey, salt_for(p), Options{.allow_repeat_tx = true});
  ASSERT_TRUE(strict && lenient);
  for (int i = 0; i < 2; ++i) {
    Bytes a = rtp_packet(5, 1, 10), b = rtp_packet(5, 1, 10);
    std::size_t la = 22, lb = 22;
    auto ra = strict->protect_rtp(a, la);
    auto rb = lenient->protect_rtp(b, lb);
    EXPECT_TRUE(rb.has_value());
    if (i == 0) {
      EXPECT_TRUE(ra.has_value());
    } else {
      ASSERT_FALSE(ra.has_value());
      EXPECT_EQ(ra.error(), Status::replay_fail);
    }
  }
}

TEST(SrtpProfile, Parameters) {
  const auto& cm = info(Profile::aes128_cm_hmac_sha1_80);
  EXPECT_EQ(cm.key_length, 16u);
  EXPECT_EQ(cm.salt_length, 14u);
  EXPECT_EQ(cm.rtp_overhead(), 10u);
  EXPECT_EQ(cm.rtcp_overhead(), 14u);
  const auto& gcm = info(Profile::aead_aes_128_gcm);
  EXPECT_EQ(gcm.key_length, 16u);
  EXPECT_EQ(gcm.salt_length, 12u);
  EXPECT_EQ(gcm.rtp_overhead(), 16u);
  EXPECT_EQ(gcm.rtcp_overhead(), 20u);
  EXPECT_LE(gcm.rtp_overhead(), max_rtp_overhead);
  EXPECT_LE(gcm.rtcp_overhead(), max_rtcp_overhead);
  EXPECT_EQ(profile_from_id(1), Profile::aes128_cm_hmac_sha1_80);
  EXPECT_EQ(profile_from_id(7), Profile::aead_aes_128_gcm);
  EXPECT_FALSE(profile_from_id(8));
  EXPECT_EQ(profile_from_name("SRTP_AES128_CM_SHA1_80"), Profile::aes128_cm_hmac_sha1_80);
  EXPECT_EQ(profile_from_name("SRTP_AEAD_AES_128_GCM"), Profile::aead_aes_128_gcm);
  EXPECT_EQ(to_string(Profile::aead_aes_128_gcm), "SRTP_AEAD_AES_128_GCM");
  // Same numbering as the DTLS layer's profiles.
  EXPECT_EQ(static_cast<int>(parley::dtls::SrtpProfile::aead_aes_128_gcm), static_cast<int>(Profile::aead_aes_128_gcm));
  EXPECT_EQ(static_cast<int>(parley::dtls::SrtpProfile::aes128_cm_hmac_sha1_80),
            static_cast<int>(Profile::aes128_cm_hmac_sha1_80));
}

TEST(SrtpStatus, NamesLibsrtpErrors) {
  EXPECT_EQ(to_string(Status::auth_fail), "srtp_err_status_auth_fail");
  EXPECT_EQ(to_string(Status::replay_old), "srtp_err_status_replay_old");
  EXPECT_EQ(to_string(Status::buffer_too_small), "buffer_too_small");
  EXPECT_EQ(initialize(), Status::ok);
  EXPECT_EQ(initialize(), Status::ok);  // idempotent
}

}  // namespace
}  // namespace parley::srtp
