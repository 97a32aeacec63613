#include "turn/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "common/base64.hpp"

namespace parley::turn {

namespace {

constexpr std::size_t kTsHex = 16;
constexpr std::size_t kMacHex = 32;

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

}  // namespace

NonceService::NonceService(std::span<const std::uint8_t> key, std::int64_t ttl_seconds)
    : ttl_(ttl_seconds) {
  for (std::size_t i = 0; i < key_.size() && i < key.size(); ++i) key_[i] = key[i];
}

NonceService NonceService::with_random_key(std::int64_t ttl_seconds) {
  std::array<std::uint8_t, 32> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return NonceService(key, ttl_seconds);
}

std::string NonceService::mac_hex(std::uint64_t ts, std::span<const std::uint8_t> client_ip) const {
  std::array<std::uint8_t, 8 + 16> input{};
  for (int i = 0; i < 8; ++i) input[i] = static_cast<std::uint8_t>(ts >> (56 - 8 * i));
  const std::size_t ip_len = std::min<std::size_t>(client_ip.size(), 16);
  for (std::size_t i = 0; i < ip_len; ++i) input[8 + i] = client_ip[i];
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), input.data(), 8 + ip_len, digest,
       &len);
  return to_hex(std::span<const std::uint8_t>(digest, kMacHex / 2));
}

std::string NonceService::issue(std::int64_t unix_now, std::span<const std::uint8_t> client_ip) const {
  char ts[kTsHex + 1];
  std::snprintf(ts, sizeof ts, "%016llx", static_cast<unsigned long long>(unix_now));
  return std::string(ts) + mac_hex(static_cast<std::uint64_t>(unix_now), client_ip);
}

NonceService::Verdict NonceService::check(std::string_view nonce, std::int64_t unix_now,
                                          std::span<const std::uint8_t> client_ip) const {
  if (nonce.size() != kTsHex + kMacHex) return Verdict::Invalid;
  std::uint64_t ts = 0;
  const auto [end, ec] = std::from_chars(nonce.data(), nonce.data() + kTsHex, ts, 16);
  if (ec != std::errc{} || end != nonce.data() + kTsHex) return Verdict::Invalid;
  const auto expected = mac_hex(ts, client_ip);
  if (CRYPTO_memcmp(expected.data(), nonce.data() + kTsHex, kMacHex) != 0) return Verdict::Invalid;
  const auto issued = static_cast<std::int64_t>(ts);
  if (issued > unix_now + 5) return Verdict::Invalid;  // small clock step allowance
  if (unix_now - issued >= ttl_) return Verdict::Stale;
  return Verdict::Fresh;
}

std::string rest_password(std::string_view secret, std::string_view username) {
  return base64_encode(hmac_sha1(secret, username));
}

CredentialStore::CredentialStore(std::string realm, std::string rest_secret,
                                 std::vector<std::pair<std::string, std::string>> static_users)
    : realm_(std::move(realm)), secret_(std::move(rest_secret)) {
  for (auto& [user, pass] : static_users) users_[user] = pass;
}

std::expected<Credential, CredentialError> CredentialStore::lookup(std::string_view username,
                                                                   std::int64_t unix_now) const {
  if (username.empty()) return std::unexpected(CredentialError::Malformed);
  if (const auto it = users_.find(std::string(username)); it != users_.end())
    return Credential{it->second, "static:" + it->first};
  if (secret_.empty()) return std::unexpected(CredentialError::Unknown);
  // TURN REST API (draft-uberti-behave-turn-rest-00 §2.2): "<expiry>:<user>".
  const auto colon = username.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == username.size())
    return std::unexpected(CredentialError::Unknown);
  std::int64_t expiry = 0;
  const auto [end, ec] = std::from_chars(username.data(), username.data() + colon, expiry);
  if (ec != std::errc{} || end != username.data() + colon || expiry < 0)
    return std::unexpected(CredentialError::Malformed);
  if (expiry < unix_now) return std::unexpected(CredentialError::Expired);
  return Credential{rest_password(secret_, username),
                    "rest:" + std::string(username.substr(colon + 1))};
}

std::expected<stun::LongTermKey, CredentialError> CredentialStore::key_for(
    std::string_view username, std::int64_t unix_now, std::string* principal) const {
  auto cred = lookup(username, unix_now);
  if (!cred) return std::unexpected(cred.error());
  auto key = stun::long_term_key(username, realm_, cred->password);
  if (!key) return std::unexpected(CredentialError::Malformed);
  if (principal) *principal = std::move(cred->principal);
  return *key;
}

}  // namespace parley::turn
