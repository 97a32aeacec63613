#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace parley {

// Everything `parley serve` can be told, with its embedded defaults. Loaded
// from TOML and then overridden by flags in src/app/config_loader.
struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // HTTP + WebSocket
  std::string data_dir = "./var";         // SQLite database and generated secrets
  double ring_timeout = 30;               // seconds a call rings before no_answer
  double reconnect_grace = 20;            // seconds a dropped device may come back
  std::string turn_secret;                // TURN REST-API shared secret; generated if empty
  std::vector<std::string> ice_servers;   // stun:/turn:/turns: URLs handed to clients
  std::int64_t turn_credential_ttl = 86400;
  std::string push_gateway;  // http://host:port/path receiving incoming-call pushes
  std::string jwt_secret;    // HS256 key; generated and kept in data_dir if empty
  std::int64_t token_ttl = 7 * 86400;
  double ws_rate = 50;    // messages per second per connection
  double ws_burst = 100;  // bucket size
  std::string log_level = "info";
};

}  // namespace parley
