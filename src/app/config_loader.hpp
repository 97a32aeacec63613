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
};

void add_serve_flags(CLI::App& cmd, ServeFlags& flags);

// Reads the TOML file (if any), applies the flags and checks every value. An
// error's message names the offending key.
Result<ServerConfig> load_config(const ServeFlags& flags);

}  // namespace parley::app
