#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/error.hpp"

namespace parley::app {

// Flags of `parley serve`; each one, when given, overrides the config file.
struct ServeFlags {
  std::string config_file;
  std::optional<std::string> listen, data_dir, turn_secret, push_gateway, log_level;
  std::optional<double> ring_timeout, reconnect_grace, ws_rate;
  std::vector<std::string> ice_servers;
  // TURN
  std::optional<std::string> turn_listen, turn_tls_listen, turn_realm, turn_relay_ip,
      turn_relay_ports, turn_cert, turn_key;
  std::vector<std::string> turn_allow_peers, turn_users;
  std::optional<std::int64_t> turn_user_quota, turn_total_quota, turn_max_permissions,
      turn_bandwidth, turn_workers, turn_lifetime, turn_nonce_ttl;
  // WebRTC media
  std::optional<std::string> media_listen, media_announce_ip;
  std::optional<std::int64_t> media_workers;
  std::optional<std::int64_t> sfu_loudest_after, sfu_loudest_audio, sfu_start_bitrate;
};

void add_serve_flags(CLI::App& cmd, ServeFlags& flags);
// The `--turn-*` flags, shared by `parley serve` and `parley turn`.
void add_turn_flags(CLI::App& cmd, ServeFlags& flags);
// Flags of `parley turn`: the TURN flags plus --config, --data-dir,
// --turn-secret and --log-level.
void add_turn_command_flags(CLI::App& cmd, ServeFlags& flags);

// "MIN-MAX" of turn_relay_ports.
std::optional<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(const std::string& text);

// Reads the TOML file (if any), applies the flags and checks every value. An
// error's message names the offending key.
Result<ServerConfig> load_config(const ServeFlags& flags);

}  // namespace parley::app
