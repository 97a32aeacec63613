#pragma once

// JSON Web Tokens (RFC 7519) signed with HS256 and nothing else, on
// libjwt: the one place that knows its C API. Session tokens
// (api/auth.hpp) and meeting join tokens (meetings/join_token.hpp) differ
// only in their claims.

#include <jwt.h>

#include <memory>
#include <string>
#include <string_view>

namespace parley::jwt {

struct Deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using Token = std::unique_ptr<jwt_t, Deleter>;

// A new token to fill with claims, signed with `secret` when encoded.
Token make_hs256(const std::string& secret);
// The compact serialization (RFC 7519 §7.1).
std::string encode(const Token& token);
// The decoded token when its HS256 signature by `secret` holds; null for
// anything else (another algorithm, "none", a bad signature, junk). The
// expiry is the caller's to check.
Token decode_hs256(std::string_view text, const std::string& secret);
// A string claim, empty when absent.
std::string claim(const Token& token, const char* name);

}  // namespace parley::jwt
