#include "app/server.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/api.hpp"
#include "api/http_server.hpp"
#include "calls/call_service.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "signal/dispatcher.hpp"
#include "state/memory_state.hpp"
#include "store/sqlite_store.hpp"
#include "app/config_loader.hpp"
#include "net/ip.hpp"
#include "api/ice_servers.hpp"
#include "rtc/echo_service.hpp"
#include "sfu/sfu_service.hpp"
#include "signal/room_signaling.hpp"
#include "signal/meeting_signaling.hpp"
#include "api/meetings_endpoint.hpp"
#include "meetings/meeting_service.hpp"
#include "rtc/media_worker.hpp"
#include "turn/turn_server.hpp"

namespace parley::app {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// A secret that was not configured is generated once and kept, owner-only,
// in the data directory, so that tokens and TURN credentials survive restarts.
std::string persistent_secret(const fs::path& file) {
  if (std::ifstream in(file); in) {
    std::string s;
    std::getline(in, s);
    if (s.size() >= 32) return s;
  }
  const std::string s = random_hex(32);
  {
    std::ofstream out(file, std::ios::trunc);
    out << s << '\n';
  }
  ::chmod(file.c_str(), S_IRUSR | S_IWUSR);
  return s;
}

// 20k signaling connections need more descriptors than the usual soft limit.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

asio::ip::tcp::endpoint parse_endpoint(const std::string& hostport) {
  const auto colon = hostport.rfind(':');
  std::string host = hostport.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  return {asio::ip::make_address(host),
          static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)))};
}

turn::TurnConfig to_turn_config(const ServerConfig& c, const std::string& secret) {
  turn::TurnConfig t;
  t.listen = c.turn_listen == "off" ? "" : c.turn_listen;
  t.tls_listen = c.turn_tls_listen == "off" ? "" : c.turn_tls_listen;
  t.realm = c.turn_realm;
  t.secret = secret;
  for (const auto& u : c.turn_users) {
    const auto colon = u.find(':');
    t.static_users.emplace_back(u.substr(0, colon), u.substr(colon + 1));
  }
  t.relay_ip = c.turn_relay_ip;
  if (const auto range = parse_port_range(c.turn_relay_ports)) {
    t.relay_port_min = range->first;
    t.relay_port_max = range->second;
  }
  for (const auto& cidr : c.turn_allow_peers)
    if (const auto parsed = net::Cidr::parse(cidr)) t.allow_peers.push_back(*parsed);
  t.cert_file = c.turn_cert;
  t.key_file = c.turn_key;
  t.workers = static_cast<unsigned>(c.turn_workers);
  t.default_lifetime = static_cast<std::uint32_t>(c.turn_lifetime);
  t.nonce_ttl = static_cast<std::uint32_t>(c.turn_nonce_ttl);
  t.user_quota = static_cast<std::uint32_t>(c.turn_user_quota);
  t.total_quota = static_cast<std::uint32_t>(c.turn_total_quota);
  t.max_permissions = static_cast<std::uint32_t>(c.turn_max_permissions);
  t.bandwidth = static_cast<std::uint64_t>(c.turn_bandwidth);
  return t;
}

bool turn_enabled(const ServerConfig& c) {
  return (c.turn_listen != "off" && !c.turn_listen.empty()) ||
         (c.turn_tls_listen != "off" && !c.turn_tls_listen.empty());
}

// Listens, announces the port, and runs the loop until SIGINT/SIGTERM. The
// acceptor and the signal set die here, before the loop they belong to.
int serve_until_signal(asio::io_context& io, const ServerConfig& config, api::Api& api,
                       const api::TokenService& tokens, signal::WsContext& ws,
                       const std::string& turn_line) {
  std::unique_ptr<api::HttpServer> server;
  try {
    server = std::make_unique<api::HttpServer>(io, parse_endpoint(config.listen), api, tokens, ws);
  } catch (const std::exception& e) {
    std::cerr << "parley: cannot listen on " << config.listen << ": " << e.what() << "\n";
    return 1;
  }
  server->start();
  asio::signal_set signals(io, SIGINT, SIGTERM);  // before the announcement below
  const auto ep = server->local_endpoint();
  // Tests and scripts wait for this line to learn the port.
  std::printf("listening http=%s:%u\n", ep.address().to_string().c_str(), ep.port());
  if (!turn_line.empty()) std::printf("%s\n", turn_line.c_str());
  std::fflush(stdout);
  spdlog::info("parley serving on http://{}:{} (data in {})", ep.address().to_string(), ep.port(),
               config.data_dir);

  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    server->stop();
    io.stop();
  });
  io.run();
  return 0;
}

// Worker i listens on the configured port + i (every one ephemeral for port 0).
std::vector<std::unique_ptr<rtc::MediaWorker>> start_media_workers(const ServerConfig& config) {
  const auto hp = net::parse_host_port(config.media_listen);
  if (!hp) throw std::runtime_error("media_listen: expected HOST:PORT");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int count = config.media_workers > 0 ? config.media_workers : static_cast<int>(cores);
  std::vector<std::unique_ptr<rtc::MediaWorker>> workers;
  for (int i = 0; i < count; ++i) {
    const int port = hp->port == 0 ? 0 : hp->port + i;
    if (port > 65535) throw std::runtime_error("media_listen: not enough ports above " + config.media_listen);
    const std::string host = hp->host.contains(':') ? "[" + hp->host + "]" : hp->host;
    auto w = std::make_unique<rtc::MediaWorker>(
        rtc::MediaWorkerConfig{host + ":" + std::to_string(port), config.media_announce_ip});
    w->start();
    workers.push_back(std::move(w));
  }
  return workers;
}

}  // namespace

int run_server(const ServerConfig& config) {
  init_logging(config.log_level);
  raise_fd_limit();

  std::error_code fec;
  fs::create_directories(config.data_dir, fec);
  if (fec) {
    std::cerr << "parley: cannot create data dir " << config.data_dir << ": " << fec.message() << "\n";
    return 1;
  }
  const fs::path data(config.data_dir);
  const std::string jwt_secret =
      config.jwt_secret.empty() ? persistent_secret(data / "jwt.key") : config.jwt_secret;
  const std::string turn_secret =
      config.turn_secret.empty() ? persistent_secret(data / "turn.key") : config.turn_secret;

  std::unique_ptr<store::SqliteStore> store;
  try {
    store = std::make_unique<store::SqliteStore>((data / "parley.db").string());
  } catch (const std::exception& e) {
    std::cerr << "parley: " << e.what() << "\n";
    return 1;
  }
  if (int n = store->fail_unfinished_calls(unix_now()); n > 0)
    spdlog::warn("{} call(s) were live when the server stopped; recorded as failed", n);
  if (int n = store->close_open_meeting_participants(unix_now()); n > 0)
    spdlog::warn("{} meeting participant(s) were present when the server stopped; their stays are closed", n);

  metrics::Registry metrics;
  // Held by pointer so that it can be destroyed first on the way out: its
  // pending handlers own sessions that refer to everything declared below.
  auto io_owner = std::make_unique<asio::io_context>(1);
  asio::io_context& io = *io_owner;
  store::StoreThread store_thread(*store);  // one SQLite connection, group commit
  BlockingPool cpu_pool(2);    // password hashing
  state::MemoryState state;
  api::TokenService tokens(jwt_secret, std::chrono::seconds(config.token_ttl));

  std::unique_ptr<calls::PushNotifier> push;
  if (!config.push_gateway.empty())
    push = std::make_unique<calls::PushNotifier>(io.get_executor(), config.push_gateway, metrics);

  calls::CallServiceConfig call_config;
  call_config.ring_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(config.ring_timeout * 1000));
  call_config.reconnect_grace =
      std::chrono::milliseconds(static_cast<std::int64_t>(config.reconnect_grace * 1000));
  calls::CallService calls(io.get_executor(), store_thread, state, push.get(), metrics,
                           call_config);
  signal::Dispatcher dispatcher(calls, metrics);
  signal::WsLimits limits;
  limits.rate = config.ws_rate;
  limits.burst = config.ws_burst;
  signal::WsContext ws{dispatcher, nullptr, limits,
                       metrics.counter("parley_signaling_errors_total",
                                       "Errors sent to signaling clients, by code"),
                       metrics.gauge("parley_ws_connections", "Open signaling WebSockets").with()};

  // The TURN server runs on its own worker threads; when no ICE servers are
  // configured, clients are pointed at it. A TURN port that cannot be bound
  // (another server on 3478) leaves the rest of `parley serve` running.
  std::unique_ptr<turn::TurnServer> turn_server;
  std::string turn_line;
  std::vector<std::string> ice_servers = config.ice_servers;
  if (turn_enabled(config)) {
    try {
      turn_server = std::make_unique<turn::TurnServer>(to_turn_config(config, turn_secret), metrics);
      turn_server->start();
      turn_line = turn_server->listening_line();
      if (ice_servers.empty()) ice_servers = turn_server->ice_urls();
    } catch (const std::exception& e) {
      spdlog::warn("TURN server not started: {}", e.what());
      turn_server.reset();
    }
  }

  // The WebRTC media workers (one thread and one UDP port each) behind the
  // SFU and /api/v1/echo. Ports that cannot be bound leave the rest of
  // `parley serve` running.
  std::vector<std::unique_ptr<rtc::MediaWorker>> media_workers;
  if (config.media_listen != "off" && !config.media_listen.empty()) {
    try {
      media_workers = start_media_workers(config);
    } catch (const std::exception& e) {
      spdlog::warn("media workers not started: {}", e.what());
      media_workers.clear();
    }
  }
  std::vector<rtc::MediaWorker*> worker_ptrs;
  for (auto& w : media_workers) worker_ptrs.push_back(w.get());
  rtc::EchoService echo(worker_ptrs);
  sfu::RoomConfig room_config;
  room_config.loudest_after = static_cast<std::size_t>(config.sfu_loudest_after);
  room_config.loudest_audio = static_cast<std::size_t>(config.sfu_loudest_audio);
  room_config.start_bps = static_cast<std::uint64_t>(config.sfu_start_bitrate) * 1000;
  sfu::SfuService sfu(worker_ptrs, room_config, metrics);
  const auto ice_for = [&](const std::string& user_id) {
    auto response =
        api::ice_servers_response(ice_servers, turn_secret, user_id, unix_now(), config.turn_credential_ttl);
    return response["ice_servers"].as_array();
  };
  signal::RoomSignaling rooms(&sfu, io.get_executor(), ice_for);
  dispatcher.set_rooms(&rooms);

  // Join tokens last long enough for a long meeting; the WebSocket they
  // open stays as long as it is connected.
  meetings::JoinTokens join_tokens(jwt_secret, std::chrono::hours(4));
  meetings::MeetingService meeting_service(io.get_executor(), store_thread, &sfu, join_tokens, ice_for, metrics,
                                           call_config.reconnect_grace);
  signal::MeetingSignaling meeting_signaling(meeting_service);
  dispatcher.set_meetings(&meeting_signaling);
  ws.join_tokens = &join_tokens;
  api::MeetingsEndpoint meetings_endpoint(io.get_executor(), store_thread, tokens, meeting_service, ice_for);

  api::ApiConfig api_config{ice_servers, turn_secret, config.turn_credential_ttl, {},
                            media_workers.empty() ? nullptr : &echo, &sfu, &meetings_endpoint};
  api::Api api(io.get_executor(), store_thread, cpu_pool, state, tokens, metrics,
               api_config);

  const int rc = serve_until_signal(io, config, api, tokens, ws, turn_line);
  if (turn_server) turn_server->stop();
  // Each joins its thread; completions still posted to `io` never run.
  for (auto& w : media_workers)
    w->stop([&echo, &sfu, &w = *w] {
      sfu.shutdown_on(w);
      echo.shutdown_on(w);
    });
  if (rc != 0) return rc;
  store_thread.join();  // every write asked for is on disk before we exit
  cpu_pool.join();
  calls.shutdown();   // timers and device links go while the loop still exists
  meeting_service.shutdown();
  io_owner.reset();   // then the sessions its handlers still hold
  return 0;
}

int run_turn(const ServerConfig& config) {
  init_logging(config.log_level);
  raise_fd_limit();
  // The REST secret must be the API's: given, or the one `parley serve` keeps
  // in the same data dir. Without either, only static users can log in.
  std::string secret = config.turn_secret;
  if (secret.empty()) {
    if (std::ifstream in(fs::path(config.data_dir) / "turn.key"); in) std::getline(in, secret);
    if (secret.empty()) spdlog::warn("no TURN secret: REST credentials are refused, static users only");
  }
  if (!turn_enabled(config)) {
    std::cerr << "parley: turn_listen and turn_tls_listen are both off\n";
    return 2;
  }
  metrics::Registry metrics;
  turn::TurnServer server(to_turn_config(config, secret), metrics);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "parley: " << e.what() << "\n";
    return 1;
  }
  // Signals are caught before the ports are announced: whoever reads the
  // line may stop us right away.
  asio::io_context io(1);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    io.stop();
  });
  // Tests and scripts wait for this line to learn the ports.
  std::printf("%s\n", server.listening_line().c_str());
  std::fflush(stdout);
  io.run();
  server.stop();
  return 0;
}

}  // namespace parley::app
