#include <gtest/gtest.h>

#include <numeric>

#include "dtls/srtp_keys.hpp"

namespace parley::dtls {
namespace {

std::vector<std::uint8_t> counting(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::iota(v.begin(), v.end(), std::uint8_t{0});
  return v;
}

TEST(SrtpKeys, LengthsPerProfile) {
  EXPECT_EQ(srtp_key_length(SrtpProfile::aes128_cm_hmac_sha1_80), 16u);
  EXPECT_EQ(srtp_salt_length(SrtpProfile::aes128_cm_hmac_sha1_80), 14u);
  EXPECT_EQ(srtp_keying_material_length(SrtpProfile::aes128_cm_hmac_sha1_80), 60u);
  EXPECT_EQ(srtp_key_length(SrtpProfile::aead_aes_128_gcm), 16u);
  EXPECT_EQ(srtp_salt_length(SrtpProfile::aead_aes_128_gcm), 12u);
  EXPECT_EQ(srtp_keying_material_length(SrtpProfile::aead_aes_128_gcm), 56u);
  EXPECT_EQ(openssl_name(SrtpProfile::aead_aes_128_gcm), "SRTP_AEAD_AES_128_GCM");
  EXPECT_EQ(openssl_name(SrtpProfile::aes128_cm_hmac_sha1_80), "SRTP_AES128_CM_SHA1_80");
  EXPECT_EQ(srtp_profile_from_id(7), SrtpProfile::aead_aes_128_gcm);
  EXPECT_EQ(srtp_profile_from_id(1), SrtpProfile::aes128_cm_hmac_sha1_80);
  EXPECT_FALSE(srtp_profile_from_id(2));
}

TEST(SrtpKeys, SplitFollowsRfc5764Layout) {
  // client key | server key | client salt | server salt
  const auto material = counting(60);
  auto keys = split_srtp_keying_material(SrtpProfile::aes128_cm_hmac_sha1_80, material, Role::client);
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->client_write.key, std::vector<std::uint8_t>(material.begin(), material.begin() + 16));
  EXPECT_EQ(keys->server_write.key, std::vector<std::uint8_t>(material.begin() + 16, material.begin() + 32));
  EXPECT_EQ(keys->client_write.salt, std::vector<std::uint8_t>(material.begin() + 32, material.begin() + 46));
  EXPECT_EQ(keys->server_write.salt, std::vector<std::uint8_t>(material.begin() + 46, material.begin() + 60));
  EXPECT_EQ(&keys->local(), &keys->client_write);
  EXPECT_EQ(&keys->remote(), &keys->server_write);

  const auto gcm = counting(56);
  auto g = split_srtp_keying_material(SrtpProfile::aead_aes_128_gcm, gcm, Role::server);
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->client_write.salt.front(), 32);
  EXPECT_EQ(g->server_write.salt.front(), 44);
  EXPECT_EQ(g->server_write.salt.back(), 55);
  EXPECT_EQ(&g->local(), &g->server_write);
}

TEST(SrtpKeys, SplitRejectsWrongLength) {
  const auto material = counting(59);
  auto keys = split_srtp_keying_material(SrtpProfile::aes128_cm_hmac_sha1_80, material, Role::client);
  ASSERT_FALSE(keys);
  EXPECT_NE(keys.error().find("60"), std::string::npos) << keys.error();
}

}  // namespace
}  // namespace parley::dtls
