#include "api/ice_servers.hpp"

#include <boost/json/array.hpp>

#include "common/base64.hpp"

namespace parley::api {

TurnCredential turn_credential(const std::string& secret, const std::string& user_id,
                               std::int64_t expires_at) {
  TurnCredential c;
  c.username = std::to_string(expires_at) + ":" + user_id;
  c.credential = base64_encode(hmac_sha1(secret, c.username));
  return c;
}

boost::json::object ice_servers_response(const std::vector<std::string>& urls,
                                         const std::string& secret, const std::string& user_id,
                                         std::int64_t now, std::int64_t ttl) {
  boost::json::array stun, turn;
  for (const auto& u : urls) {
    if (u.starts_with("turn:") || u.starts_with("turns:"))
      turn.emplace_back(u);
    else
      stun.emplace_back(u);
  }
  boost::json::array servers;
  if (!stun.empty()) servers.push_back(boost::json::object{{"urls", std::move(stun)}});
  if (!turn.empty()) {
    const auto cred = turn_credential(secret, user_id, now + ttl);
    servers.push_back(boost::json::object{
        {"urls", std::move(turn)}, {"username", cred.username}, {"credential", cred.credential}});
  }
  return {{"ice_servers", std::move(servers)}, {"ttl", ttl}};
}

}  // namespace parley::api
