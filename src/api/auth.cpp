#include "api/auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

#include "common/clock.hpp"
#include "common/jwt.hpp"

namespace parley::api {


TokenService::TokenService(std::string secret, std::chrono::seconds ttl)
    : secret_(std::move(secret)), ttl_(ttl) {
  if (secret_.size() < 32) throw std::invalid_argument("jwt secret must be at least 32 bytes");
}

std::string TokenService::issue(const calls::UserRef& user) const {
  auto j = jwt::make_hs256(secret_);
  const auto now = unix_now();
  jwt_add_grant(j.get(), "iss", "parley");
  jwt_add_grant(j.get(), "sub", user.user_id.c_str());
  jwt_add_grant(j.get(), "username", user.username.c_str());
  jwt_add_grant(j.get(), "name", user.display_name.c_str());
  jwt_add_grant_int(j.get(), "iat", now);
  jwt_add_grant_int(j.get(), "exp", now + ttl_.count());
  return jwt::encode(j);
}

Result<calls::UserRef> TokenService::verify(std::string_view token) const {
  auto j = jwt::decode_hs256(token, secret_);
  if (!j) return fail("unauthorized", "missing or invalid token");
  // A meeting's join token (meetings/join_token.hpp) is no session.
  if (!jwt::claim(j, "typ").empty()) return fail("unauthorized", "invalid token");
  const long exp = jwt_get_grant_int(j.get(), "exp");
  if (exp <= 0 || exp <= unix_now()) return fail("unauthorized", "token expired");
  calls::UserRef u{jwt::claim(j, "sub"), jwt::claim(j, "username"), jwt::claim(j, "name")};
  if (u.user_id.empty() || u.username.empty()) return fail("unauthorized", "invalid token");
  return u;
}

std::string hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("password hashing ran out of memory");
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<void> check_username(std::string_view u) {
  const bool ok = u.size() >= 3 && u.size() <= 32 && std::all_of(u.begin(), u.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '.' || c == '-';
                  });
  if (!ok)
    return fail("invalid_field", "username must be 3-32 characters of a-z, 0-9, '_', '.', '-'");
  return {};
}

Result<void> check_password(std::string_view p) {
  if (p.size() < 8 || p.size() > 256)
    return fail("invalid_field", "password must be 8-256 bytes long");
  return {};
}

Result<void> check_display_name(std::string_view d) {
  const bool printable = std::none_of(d.begin(), d.end(), [](unsigned char c) { return c < 0x20; });
  if (d.empty() || d.size() > 64 || !printable)
    return fail("invalid_field", "display_name must be 1-64 printable characters");
  return {};
}

}  // namespace parley::api
