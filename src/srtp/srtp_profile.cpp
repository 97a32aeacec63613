#include "srtp/srtp_profile.hpp"

#include <srtp2/srtp.h>

namespace parley::srtp {
namespace {

constexpr ProfileInfo kCmSha1_80{Profile::aes128_cm_hmac_sha1_80, "SRTP_AES128_CM_HMAC_SHA1_80", 16, 14, 10, 10};
constexpr ProfileInfo kAeadGcm128{Profile::aead_aes_128_gcm, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 16};

static_assert(SRTP_AEAD_SALT_LEN == 12);
static_assert(SRTP_SALT_LEN == 14);
static_assert(max_rtp_overhead <= SRTP_MAX_TAG_LEN);

}  // namespace

const ProfileInfo& info(Profile profile) {
  switch (profile) {
    case Profile::aes128_cm_hmac_sha1_80:
      return kCmSha1_80;
    case Profile::aead_aes_128_gcm:
      return kAeadGcm128;
  }
  return kCmSha1_80;  // unreachable for valid enum values
}

std::string_view to_string(Profile profile) { return info(profile).name; }

std::optional<Profile> profile_from_id(std::uint16_t iana_id) {
  switch (iana_id) {
    case 0x0001:
      return Profile::aes128_cm_hmac_sha1_80;
    case 0x0007:
      return Profile::aead_aes_128_gcm;
    default:
      return std::nullopt;
  }
}

std::optional<Profile> profile_from_name(std::string_view name) {
  // OpenSSL spells the CM profile without "HMAC_"; accept both.
  if (name == "SRTP_AES128_CM_HMAC_SHA1_80" || name == "SRTP_AES128_CM_SHA1_80") return Profile::aes128_cm_hmac_sha1_80;
  if (name == "SRTP_AEAD_AES_128_GCM") return Profile::aead_aes_128_gcm;
  return std::nullopt;
}

void apply_crypto_policy(Profile profile, srtp_policy_t& policy) {
  switch (profile) {
    case Profile::aes128_cm_hmac_sha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
    case Profile::aead_aes_128_gcm:
      // RFC 7714: 16-octet tag; libsrtp's cipher_key_len includes the salt.
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      return;
  }
}

}  // namespace parley::srtp
