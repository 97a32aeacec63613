#pragma once
// DTLS-SRTP (RFC 5764): protection profiles offered in the use_srtp extension
// and the split of the exported keying material into master keys and salts.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::dtls {

enum class Role { client, server };

std::string_view to_string(Role role);

// Values are the IANA DTLS-SRTP profile ids, identical to parley::srtp::Profile.
enum class SrtpProfile : std::uint16_t {
  aes128_cm_hmac_sha1_80 = 0x0001,  // SRTP_AES128_CM_HMAC_SHA1_80
  aead_aes_128_gcm = 0x0007,        // SRTP_AEAD_AES_128_GCM (RFC 7714)
};

// OpenSSL's name, as given to SSL_set_tlsext_use_srtp ("SRTP_AES128_CM_SHA1_80").
std::string_view openssl_name(SrtpProfile profile);
std::string_view to_string(SrtpProfile profile);  // RFC name
std::optional<SrtpProfile> srtp_profile_from_id(std::uint16_t id);
std::size_t srtp_key_length(SrtpProfile profile);   // 16 for both
std::size_t srtp_salt_length(SrtpProfile profile);  // 14 (CM) or 12 (GCM)

inline constexpr std::string_view kSrtpExporterLabel = "EXTRACTOR-dtls_srtp";

// A master key and salt; wiped on destruction.
struct SrtpMasterKey {
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> salt;

  SrtpMasterKey() = default;
  SrtpMasterKey(const SrtpMasterKey&) = default;
  SrtpMasterKey(SrtpMasterKey&&) = default;
  SrtpMasterKey& operator=(const SrtpMasterKey&) = default;
  SrtpMasterKey& operator=(SrtpMasterKey&&) = default;
  ~SrtpMasterKey();
};

struct SrtpKeys {
  SrtpProfile profile = SrtpProfile::aead_aes_128_gcm;
  Role local_role = Role::client;
  SrtpMasterKey client_write;  // protects what the DTLS client sends
  SrtpMasterKey server_write;  // protects what the DTLS server sends

  // Our outbound keys and the remote's (our inbound).
  const SrtpMasterKey& local() const { return local_role == Role::client ? client_write : server_write; }
  const SrtpMasterKey& remote() const { return local_role == Role::client ? server_write : client_write; }
};

// Bytes of keying material to export for `profile`: 2 * (key + salt).
std::size_t srtp_keying_material_length(SrtpProfile profile);

// Splits exported material laid out as (RFC 5764 §4.2)
//   client_write_key | server_write_key | client_write_salt | server_write_salt
std::expected<SrtpKeys, std::string> split_srtp_keying_material(SrtpProfile profile,
                                                                std::span<const std::uint8_t> material,
                                                                Role local_role);

}  // namespace parley::dtls
