#pragma once
// SRTP protection profiles supported by Parley and their parameters.
//
// The enum values are the IANA DTLS-SRTP protection profile identifiers
// (RFC 5764 §4.1.2, RFC 7714 §14.2), the same values that parley::dtls uses
// for its SrtpProfile, so the rtc layer converts one into the other with a
// static_cast.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

struct srtp_policy_t;  // libsrtp2, kept out of this header

namespace parley::srtp {

enum class Profile : std::uint16_t {
  aes128_cm_hmac_sha1_80 = 0x0001,  // SRTP_AES128_CM_HMAC_SHA1_80
  aead_aes_128_gcm = 0x0007,        // SRTP_AEAD_AES_128_GCM
};

struct ProfileInfo {
  Profile profile;
  std::string_view name;          // the RFC name, e.g. "SRTP_AEAD_AES_128_GCM"
  std::size_t key_length;         // master key octets
  std::size_t salt_length;        // master salt octets
  std::size_t rtp_auth_tag_length;   // octets appended by protect_rtp
  std::size_t rtcp_auth_tag_length;  // tag octets appended by protect_rtcp
  // Octets a protected packet grows by: the auth tag (RTP), plus the 4-octet
  // E-flag/SRTCP index (RTCP).
  std::size_t rtp_overhead() const { return rtp_auth_tag_length; }
  std::size_t rtcp_overhead() const { return rtcp_auth_tag_length + 4; }
  std::size_t master_length() const { return key_length + salt_length; }
};

// Parameters of a profile (never fails for a valid enum value).
const ProfileInfo& info(Profile profile);
std::string_view to_string(Profile profile);
std::optional<Profile> profile_from_id(std::uint16_t iana_id);
std::optional<Profile> profile_from_name(std::string_view name);

// The largest growth of any supported profile: a buffer with this much spare
// room after the packet can be protected whatever profile was negotiated.
inline constexpr std::size_t max_rtp_overhead = 16;
inline constexpr std::size_t max_rtcp_overhead = 16 + 4;

// Fills the RTP and RTCP crypto policies of a libsrtp policy for `profile`.
void apply_crypto_policy(Profile profile, srtp_policy_t& policy);

}  // namespace parley::srtp
