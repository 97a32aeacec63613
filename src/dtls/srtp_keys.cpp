#include "dtls/srtp_keys.hpp"

#include <openssl/crypto.h>

namespace parley::dtls {

std::string_view to_string(Role role) { return role == Role::client ? "client" : "server"; }

std::string_view openssl_name(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::aes128_cm_hmac_sha1_80: return "SRTP_AES128_CM_SHA1_80";
    case SrtpProfile::aead_aes_128_gcm: return "SRTP_AEAD_AES_128_GCM";
  }
  return "";
}

std::string_view to_string(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::aes128_cm_hmac_sha1_80: return "SRTP_AES128_CM_HMAC_SHA1_80";
    case SrtpProfile::aead_aes_128_gcm: return "SRTP_AEAD_AES_128_GCM";
  }
  return "";
}

std::optional<SrtpProfile> srtp_profile_from_id(std::uint16_t id) {
  switch (id) {
    case 0x0001: return SrtpProfile::aes128_cm_hmac_sha1_80;
    case 0x0007: return SrtpProfile::aead_aes_128_gcm;
    default: return std::nullopt;
  }
}

std::size_t srtp_key_length(SrtpProfile) { return 16; }

std::size_t srtp_salt_length(SrtpProfile profile) {
  return profile == SrtpProfile::aead_aes_128_gcm ? 12 : 14;
}

std::size_t srtp_keying_material_length(SrtpProfile profile) {
  return 2 * (srtp_key_length(profile) + srtp_salt_length(profile));
}

SrtpMasterKey::~SrtpMasterKey() {
  if (!key.empty()) OPENSSL_cleanse(key.data(), key.size());
  if (!salt.empty()) OPENSSL_cleanse(salt.data(), salt.size());
}

std::expected<SrtpKeys, std::string> split_srtp_keying_material(SrtpProfile profile,
                                                                std::span<const std::uint8_t> material,
                                                                Role local_role) {
  const std::size_t k = srtp_key_length(profile);
  const std::size_t s = srtp_salt_length(profile);
  if (material.size() != 2 * (k + s)) {
    return std::unexpected("srtp keys: " + std::string(to_string(profile)) + " needs " +
                           std::to_string(2 * (k + s)) + " bytes of keying material, got " +
                           std::to_string(material.size()));
  }
  SrtpKeys keys;
  keys.profile = profile;
  keys.local_role = local_role;
  auto take = [&](std::size_t offset, std::size_t n) {
    auto part = material.subspan(offset, n);
    return std::vector<std::uint8_t>(part.begin(), part.end());
  };
  keys.client_write.key = take(0, k);
  keys.server_write.key = take(k, k);
  keys.client_write.salt = take(2 * k, s);
  keys.server_write.salt = take(2 * k + s, s);
  return keys;
}

}  // namespace parley::dtls
