#pragma once

// Join tokens: JWT (RFC 7519, HS256 only) good for entering one meeting.
// They are marked `typ: "join"` so that they can never pass for a user's
// session token, nor a session token for them.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "meetings/grants.hpp"

namespace parley::meetings {

struct JoinClaims {
  std::string meeting_id;
  // Who this is across joins: "u:<user id>" for a user, "g:<random>" for a
  // guest. Removal keeps an identity out.
  std::string identity;
  std::string user_id;  // empty for guests
  std::string display_name;
  Grants grants;
  std::int64_t expires_at = 0;
};

class JoinTokens {
 public:
  JoinTokens(std::string secret, std::chrono::seconds ttl);
  // Fills `claims.expires_at`.
  std::string issue(JoinClaims& claims) const;
  // `invalid_token` for anything but an unexpired join token of ours.
  Result<JoinClaims> verify(std::string_view token) const;
  std::chrono::seconds ttl() const { return ttl_; }

 private:
  std::string secret_;
  std::chrono::seconds ttl_;
};

}  // namespace parley::meetings
