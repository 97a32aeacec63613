#include <CLI/CLI.hpp>

#include <iostream>

#include "app/config_loader.hpp"
#include "app/server.hpp"
#include "loadtest/loadtest.hpp"

int main(int argc, char** argv) {
  CLI::App app{"parley: a self-hosted voice and video calling server"};
  app.require_subcommand(1);
  parley::app::ServeFlags flags;
  auto* serve = app.add_subcommand("serve", "run the server (HTTP API, signaling, web client)");
  parley::app::add_serve_flags(*serve, flags);
  parley::app::ServeFlags turn_flags;
  auto* turn = app.add_subcommand("turn", "run the TURN/STUN server alone (no HTTP)");
  parley::app::add_turn_command_flags(*turn, turn_flags);
  parley::loadtest::Options loadtest_options;
  auto* loadtest = app.add_subcommand("loadtest", "simulated participants in an SFU room of a running server");
  parley::loadtest::add_flags(*loadtest, loadtest_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (serve->parsed()) {
    auto config = parley::app::load_config(flags);
    if (!config) {
      std::cerr << "parley: config error: " << config.error().message << "\n";
      return 2;
    }
    return parley::app::run_server(*config);
  }
  if (turn->parsed()) {
    auto config = parley::app::load_config(turn_flags);
    if (!config) {
      std::cerr << "parley: config error: " << config.error().message << "\n";
      return 2;
    }
    return parley::app::run_turn(*config);
  }
  if (loadtest->parsed()) return parley::loadtest::run(loadtest_options, std::cout).ok ? 0 : 1;
  return 2;
}
