#pragma once
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace parley::api {

struct TurnCredential {
  std::string username;    // "<expiry-unix-time>:<user_id>"
  std::string credential;  // base64(HMAC-SHA1(secret, username))
};

// The TURN REST API form of ephemeral credentials (draft-uberti-behave-turn-rest-00
// §2.2), which coturn and Parley's own TURN server both accept.
TurnCredential turn_credential(const std::string& secret, const std::string& user_id,
                               std::int64_t expires_at);

// `{ice_servers: [...], ttl}` for RTCPeerConnection: STUN URLs as they are,
// TURN/TURNS URLs with a fresh credential.
boost::json::object ice_servers_response(const std::vector<std::string>& urls,
                                         const std::string& secret, const std::string& user_id,
                                         std::int64_t now, std::int64_t ttl);

}  // namespace parley::api
