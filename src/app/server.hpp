#pragma once
#include "common/config.hpp"

namespace parley::app {

// Wires every layer together and runs until SIGINT/SIGTERM. Returns the exit code.
int run_server(const ServerConfig& config);

// `parley turn`: the TURN/STUN server alone (no HTTP), until SIGINT/SIGTERM.
int run_turn(const ServerConfig& config);

}  // namespace parley::app
