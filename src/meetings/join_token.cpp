#include "meetings/join_token.hpp"

#include <jwt.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "common/clock.hpp"
#include "common/json_util.hpp"

namespace parley::meetings {

namespace {

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

std::string claim(jwt_t* j, const char* name) {
  const char* v = jwt_get_grant(j, name);
  return v ? std::string(v) : std::string();
}

}  // namespace

JoinTokens::JoinTokens(std::string secret, std::chrono::seconds ttl) : secret_(std::move(secret)), ttl_(ttl) {
  if (secret_.size() < 32) throw std::invalid_argument("jwt secret must be at least 32 bytes");
}

std::string JoinTokens::issue(JoinClaims& c) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr j(raw);
  const auto now = unix_now();
  c.expires_at = now + ttl_.count();
  jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
              static_cast<int>(secret_.size()));
  jwt_add_grant(j.get(), "iss", "parley");
  jwt_add_grant(j.get(), "typ", "join");
  jwt_add_grant(j.get(), "sub", c.identity.c_str());
  jwt_add_grant(j.get(), "mid", c.meeting_id.c_str());
  jwt_add_grant(j.get(), "uid", c.user_id.c_str());
  jwt_add_grant(j.get(), "name", c.display_name.c_str());
  jwt_add_grant_int(j.get(), "iat", now);
  jwt_add_grant_int(j.get(), "exp", c.expires_at);
  const std::string grants = boost::json::serialize(boost::json::object{{"grants", to_json(c.grants)}});
  if (jwt_add_grants_json(j.get(), grants.c_str()) != 0) throw std::runtime_error("jwt grants failed");
  char* encoded = jwt_encode_str(j.get());
  if (!encoded) throw std::runtime_error("jwt_encode_str failed");
  std::string out(encoded);
  std::free(encoded);
  return out;
}

Result<JoinClaims> JoinTokens::verify(std::string_view token) const {
  if (token.empty() || token.size() > 4096) return fail("invalid_token", "missing or invalid join token");
  jwt_t* raw = nullptr;
  const std::string t(token);
  if (jwt_decode(&raw, t.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 ||
      !raw)
    return fail("invalid_token", "invalid join token");
  JwtPtr j(raw);
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256 || claim(j.get(), "typ") != "join")
    return fail("invalid_token", "invalid join token");
  const long exp = jwt_get_grant_int(j.get(), "exp");
  if (exp <= 0 || exp <= unix_now()) return fail("invalid_token", "the join token expired: join again");
  JoinClaims c;
  c.meeting_id = claim(j.get(), "mid");
  c.identity = claim(j.get(), "sub");
  c.user_id = claim(j.get(), "uid");
  c.display_name = claim(j.get(), "name");
  c.expires_at = exp;
  if (c.meeting_id.empty() || c.identity.empty() || c.display_name.empty())
    return fail("invalid_token", "invalid join token");
  char* grants_text = jwt_get_grants_json(j.get(), "grants");
  if (!grants_text) return fail("invalid_token", "the join token has no grants");
  boost::system::error_code ec;
  auto parsed = boost::json::parse(std::string_view(grants_text), ec);
  std::free(grants_text);
  if (ec) return fail("invalid_token", "the join token's grants are unreadable");
  auto grants = grants_from_json(parsed);
  if (!grants) return std::unexpected(grants.error());
  c.grants = *grants;
  return c;
}

}  // namespace parley::meetings
