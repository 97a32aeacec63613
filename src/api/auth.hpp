#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "calls/device_link.hpp"
#include "common/error.hpp"

namespace parley::api {

// Signed session tokens: JWT (RFC 7519) with HS256 only. The subject is the
// user id; username and display name ride along so that signaling needs no
// store lookup per connection.
class TokenService {
 public:
  TokenService(std::string secret, std::chrono::seconds ttl);
  std::string issue(const calls::UserRef& user) const;
  // `unauthorized` for anything but a well-formed, unexpired HS256 token of ours.
  Result<calls::UserRef> verify(std::string_view token) const;

 private:
  std::string secret_;
  std::chrono::seconds ttl_;
};

// Argon2id via libsodium, with its interactive limits. Blocking (tens of ms):
// call only from a blocking pool.
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

// Input rules for accounts (docs/protocol.md).
Result<void> check_username(std::string_view username);
Result<void> check_password(std::string_view password);
Result<void> check_display_name(std::string_view display_name);

}  // namespace parley::api
