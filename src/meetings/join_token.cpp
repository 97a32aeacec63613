#include "meetings/join_token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "common/clock.hpp"
#include "common/json_util.hpp"
#include "common/jwt.hpp"

namespace parley::meetings {


JoinTokens::JoinTokens(std::string secret, std::chrono::seconds ttl) : secret_(std::move(secret)), ttl_(ttl) {
  if (secret_.size() < 32) throw std::invalid_argument("jwt secret must be at least 32 bytes");
}

std::string JoinTokens::issue(JoinClaims& c) const {
  auto j = jwt::make_hs256(secret_);
  const auto now = unix_now();
  c.expires_at = now + ttl_.count();
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
  return jwt::encode(j);
}

Result<JoinClaims> JoinTokens::verify(std::string_view token) const {
  auto j = jwt::decode_hs256(token, secret_);
  if (!j || jwt::claim(j, "typ") != "join") return fail("invalid_token", "missing or invalid join token");
  const long exp = jwt_get_grant_int(j.get(), "exp");
  if (exp <= 0 || exp <= unix_now()) return fail("invalid_token", "the join token expired: join again");
  JoinClaims c;
  c.meeting_id = jwt::claim(j, "mid");
  c.identity = jwt::claim(j, "sub");
  c.user_id = jwt::claim(j, "uid");
  c.display_name = jwt::claim(j, "name");
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
