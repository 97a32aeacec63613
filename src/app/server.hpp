#pragma once
#include "common/config.hpp"

namespace parley::app {

// Wires every layer together and runs until SIGINT/SIGTERM. Returns the exit code.
int run_server(const ServerConfig& config);

}  // namespace parley::app
