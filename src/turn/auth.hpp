#pragma once

// Long-term credentials for TURN (RFC 8489 §9.2): stateless nonces, TURN
// REST-API usernames ("<expiry>:<user_id>", password
// base64(HMAC-SHA1(secret, username)), as /api/v1/ice-servers mints them)
// and static users from the config.

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stun/integrity.hpp"

namespace parley::turn {

// RFC 8489 §9.2: the nonce is opaque to the client; ours is the issue time
// and a MAC over it and the client's IP, so the server keeps no state:
//   16 hex digits of Unix seconds + 32 hex digits of HMAC-SHA256 (truncated).
class NonceService {
 public:
  enum class Verdict { Fresh, Stale, Invalid };

  NonceService(std::span<const std::uint8_t> key, std::int64_t ttl_seconds);
  static NonceService with_random_key(std::int64_t ttl_seconds);

  std::string issue(std::int64_t unix_now, std::span<const std::uint8_t> client_ip) const;
  // Stale once older than the TTL (438); Invalid when forged, for another
  // client, or from the future (also 438: the client retries with a new one).
  Verdict check(std::string_view nonce, std::int64_t unix_now,
                std::span<const std::uint8_t> client_ip) const;

 private:
  std::string mac_hex(std::uint64_t ts, std::span<const std::uint8_t> client_ip) const;
  std::array<std::uint8_t, 32> key_{};
  std::int64_t ttl_;
};

enum class CredentialError { Unknown, Expired, Malformed };

struct Credential {
  std::string password;
  // Who is behind the username, for quotas: REST usernames of one user share
  // "rest:<user_id>" whatever their expiry, so minting many usernames does
  // not multiply the allocation quota.
  std::string principal;
};

class CredentialStore {
 public:
  CredentialStore(std::string realm, std::string rest_secret,
                  std::vector<std::pair<std::string, std::string>> static_users);

  const std::string& realm() const { return realm_; }

  // Static users first (exact name), then the REST form if a secret is set.
  // An expired REST username is refused.
  std::expected<Credential, CredentialError> lookup(std::string_view username,
                                                    std::int64_t unix_now) const;

  // RFC 8489 §9.2.2: MD5(username ":" realm ":" password).
  std::expected<stun::LongTermKey, CredentialError> key_for(std::string_view username,
                                                           std::int64_t unix_now,
                                                           std::string* principal) const;

 private:
  std::string realm_;
  std::string secret_;
  std::unordered_map<std::string, std::string> users_;
};

// The password the REST API hands out for `username` (same as
// api::turn_credential), exposed for tests.
std::string rest_password(std::string_view secret, std::string_view username);

}  // namespace parley::turn
