#pragma once

// Settings of the TURN server (RFC 8656), resolved from flags/TOML by app.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "net/ip.hpp"

namespace parley::turn {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct TurnConfig {
  std::string listen = "127.0.0.1:3478";  // UDP and TCP; "" disables
  std::string tls_listen;                 // "" disables TLS
  std::string realm = "parley";
  std::string secret;  // TURN REST-API shared secret; "" accepts static users only
  std::vector<std::pair<std::string, std::string>> static_users;
  std::string relay_ip;  // "" = the listen host (or a local address if that is a wildcard)
  std::uint16_t relay_port_min = 49152;
  std::uint16_t relay_port_max = 65535;
  std::vector<net::Cidr> allow_peers;  // exceptions to the deny-by-default peer policy
  std::string cert_file, key_file;     // TLS identity; none: self-signed at start
  unsigned workers = 0;                // 0 = one per core

  // RFC 8656 §7.2, §9, §11 lifetimes in seconds.
  std::uint32_t default_lifetime = 600;
  std::uint32_t max_lifetime = 3600;
  std::uint32_t permission_lifetime = 300;
  std::uint32_t channel_lifetime = 600;
  std::uint32_t nonce_ttl = 600;  // RFC 8489 §9.2: a nonce goes stale (438)

  // Quotas and limits.
  std::uint32_t user_quota = 10;      // allocations per user (486)
  std::uint32_t total_quota = 10000;  // allocations in all (486)
  std::uint32_t max_permissions = 64;  // per allocation (508)
  std::uint32_t max_channels = 256;    // per allocation (508)
  std::uint64_t bandwidth = 2'000'000;  // bytes/s per allocation, both ways; 0 = unlimited
  double unauth_rate = 20;   // 401 answers per second per source address
  double unauth_burst = 60;
  std::uint32_t stream_idle_seconds = 60;  // TCP/TLS connection without allocation
};

}  // namespace parley::turn
