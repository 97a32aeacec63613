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

  // The TURN/STUN server (src/turn, `--turn-*` flags in app/config_loader).
  std::string turn_listen = "127.0.0.1:3478";  // UDP + TCP; "off" disables
  std::string turn_tls_listen = "off";         // TURN over TLS
  std::string turn_realm = "parley";
  std::string turn_relay_ip;                   // default: the listening address
  std::string turn_relay_ports = "49152-65535";
  std::vector<std::string> turn_allow_peers;   // CIDRs exempt from the peer deny list
  std::vector<std::string> turn_users;         // static "user:password"
  std::string turn_cert, turn_key;             // PEM; none: self-signed at start
  std::int64_t turn_user_quota = 10;           // allocations per user
  std::int64_t turn_total_quota = 10000;       // allocations in all
  std::int64_t turn_max_permissions = 64;      // per allocation
  std::int64_t turn_bandwidth = 2000000;       // bytes/s per allocation, 0 = unlimited
  std::int64_t turn_workers = 0;               // 0 = one per core
  std::int64_t turn_lifetime = 600;            // default allocation lifetime (tests shorten it)
  std::int64_t turn_nonce_ttl = 600;           // seconds before a nonce is stale

  // The WebRTC media worker (src/rtc, `--media-*` flags): one UDP port for
  // every browser transport, used by /api/v1/echo.
  std::string media_listen = "127.0.0.1:0";  // HOST:PORT; "off" disables
  std::string media_announce_ip;             // IP in our ICE candidates; default: the bound one
  // Media worker threads, each with its own UDP port (PORT, PORT+1, ... or
  // ephemeral ones for port 0); a room lives on one. 0: one per core.
  std::int64_t media_workers = 0;
  // SFU rooms larger than sfu_loudest_after forward only the
  // sfu_loudest_audio loudest microphones to each subscriber.
  std::int64_t sfu_loudest_after = 20;
  std::int64_t sfu_loudest_audio = 3;
  // Where a subscriber's downlink estimate starts (kbit/s); probes and
  // feedback move it from there.
  std::int64_t sfu_start_bitrate = 2500;
};

}  // namespace parley
