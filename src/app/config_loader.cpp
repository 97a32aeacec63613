#include "app/config_loader.hpp"

#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>

#include <set>

#include "net/ip.hpp"

namespace parley::app {

void add_serve_flags(CLI::App& cmd, ServeFlags& f) {
  cmd.add_option("--config", f.config_file, "TOML config file (flags override it)");
  cmd.add_option("--listen", f.listen, "HTTP + WebSocket address, HOST:PORT (default 127.0.0.1:8080; port 0 picks one)");
  cmd.add_option("--data-dir", f.data_dir, "directory for the SQLite database and generated secrets (default ./var)");
  cmd.add_option("--ring-timeout", f.ring_timeout, "seconds a call rings before it ends as no_answer (default 30)");
  cmd.add_option("--reconnect-grace", f.reconnect_grace, "seconds a dropped device may reconnect and keep its call (default 20)");
  cmd.add_option("--turn-secret", f.turn_secret, "TURN REST-API shared secret (default: generated and kept in the data dir)");
  cmd.add_option("--ice-server", f.ice_servers, "STUN/TURN URL handed to clients, repeatable (stun:, turn:, turns:)");
  cmd.add_option("--push-gateway", f.push_gateway, "http:// URL that receives incoming-call pushes for offline devices");
  cmd.add_option("--ws-rate", f.ws_rate, "WebSocket messages per second per connection (default 50, burst 2x)");
  cmd.add_option("--log-level", f.log_level, "trace, debug, info, warn, error or off (default info)");
  cmd.add_option("--media-listen", f.media_listen, "WebRTC media, one UDP port (and its TCP twin for ICE-TCP) per worker, HOST:PORT (default 127.0.0.1:0; 'off' disables)");
  cmd.add_option("--media-announce-ip", f.media_announce_ip, "IP address put in the media ICE candidates (default: the --media-listen address)");
  cmd.add_option("--sfu-loudest-after", f.sfu_loudest_after, "in SFU rooms with more participants than this, forward only the loudest microphones (default 20)");
  cmd.add_option("--sfu-loudest-audio", f.sfu_loudest_audio, "how many of the loudest microphones large rooms forward (default 3)");
  cmd.add_option("--sfu-start-bitrate", f.sfu_start_bitrate, "kbit/s a subscriber's downlink estimate starts at, before feedback and probes (default 2500)");
  cmd.add_option("--media-workers", f.media_workers, "media worker threads, each on its own UDP port from the --media-listen port up (default: one per core)");
  add_turn_flags(cmd, f);
}

void add_turn_flags(CLI::App& cmd, ServeFlags& f) {
  cmd.add_option("--turn-listen", f.turn_listen, "TURN/STUN over UDP and TCP, HOST:PORT (default 127.0.0.1:3478; 'off' disables; port 0 picks one)");
  cmd.add_option("--turn-tls-listen", f.turn_tls_listen, "TURN over TLS, HOST:PORT (default off)");
  cmd.add_option("--turn-realm", f.turn_realm, "TURN realm (default parley)");
  cmd.add_option("--turn-relay-ip", f.turn_relay_ip, "IP address relayed ports are bound to and announced with (default: the TURN listening address)");
  cmd.add_option("--turn-relay-ports", f.turn_relay_ports, "relay port range MIN-MAX (default 49152-65535)");
  cmd.add_option("--turn-allow-peer", f.turn_allow_peers, "CIDR of peers allowed despite the deny-by-default policy (loopback, private, ...), repeatable");
  cmd.add_option("--turn-user", f.turn_users, "static TURN user USER:PASSWORD, repeatable");
  cmd.add_option("--turn-cert", f.turn_cert, "PEM certificate chain for TURN over TLS (default: self-signed at start)");
  cmd.add_option("--turn-key", f.turn_key, "PEM private key for TURN over TLS");
  cmd.add_option("--turn-user-quota", f.turn_user_quota, "TURN allocations per user (default 10)");
  cmd.add_option("--turn-total-quota", f.turn_total_quota, "TURN allocations in all (default 10000)");
  cmd.add_option("--turn-max-permissions", f.turn_max_permissions, "permissions per TURN allocation (default 64)");
  cmd.add_option("--turn-bandwidth", f.turn_bandwidth, "bytes per second per TURN allocation, 0 = unlimited (default 2000000)");
  cmd.add_option("--turn-workers", f.turn_workers, "TURN worker threads (default: one per core)");
  // For tests: short lifetimes keep them fast.
  cmd.add_option("--turn-lifetime", f.turn_lifetime, "default allocation lifetime in seconds")->group("");
  cmd.add_option("--turn-nonce-ttl", f.turn_nonce_ttl, "seconds before a nonce is stale")->group("");
}

void add_turn_command_flags(CLI::App& cmd, ServeFlags& f) {
  cmd.add_option("--config", f.config_file, "TOML config file (flags override it)");
  cmd.add_option("--data-dir", f.data_dir, "directory holding turn.key when --turn-secret is not given (default ./var)");
  cmd.add_option("--turn-secret", f.turn_secret, "TURN REST-API shared secret (the one the API uses)");
  cmd.add_option("--log-level", f.log_level, "trace, debug, info, warn, error or off (default info)");
  add_turn_flags(cmd, f);
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(const std::string& text) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) return std::nullopt;
  try {
    std::size_t a = 0, b = 0;
    const int lo = std::stoi(text.substr(0, dash), &a);
    const int hi = std::stoi(text.substr(dash + 1), &b);
    if (a != dash || b != text.size() - dash - 1 || lo < 1 || hi > 65535 || lo > hi)
      return std::nullopt;
    return std::pair{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

Error key_error(const std::string& key, const std::string& what) {
  return Error{"config", "key '" + key + "': " + what};
}

Result<void> check_listen(const std::string& v) {
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return std::unexpected(key_error("listen", "expected HOST:PORT, got '" + v + "'"));
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec && host != "localhost")
    return std::unexpected(key_error("listen", "'" + host + "' is not an IP address"));
  try {
    std::size_t used = 0;
    const int port = std::stoi(v.substr(colon + 1), &used);
    if (used != v.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return std::unexpected(key_error("listen", "port must be 0-65535"));
  }
  return {};
}

template <typename T>
Result<void> read(const toml::table& t, const char* key, T& out) {
  const auto* node = t.get(key);
  if (!node) return {};
  if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node->value<std::string>(); v && node->is_string()) {
      out = *v;
      return {};
    }
    return std::unexpected(key_error(key, "must be a string"));
  } else if constexpr (std::is_same_v<T, double>) {
    if (auto v = node->value<double>(); v && (node->is_floating_point() || node->is_integer())) {
      out = *v;
      return {};
    }
    return std::unexpected(key_error(key, "must be a number"));
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    if (auto v = node->value<std::int64_t>(); v && node->is_integer()) {
      out = *v;
      return {};
    }
    return std::unexpected(key_error(key, "must be an integer"));
  } else {
    const auto* arr = node->as_array();
    if (!arr) return std::unexpected(key_error(key, "must be an array of strings"));
    out.clear();
    for (const auto& item : *arr) {
      auto s = item.value<std::string>();
      if (!s || !item.is_string()) return std::unexpected(key_error(key, "must be an array of strings"));
      out.push_back(*s);
    }
    return {};
  }
}

Result<void> read_file(const std::string& path, ServerConfig& c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return std::unexpected(Error{"config", path + ":" + std::to_string(e.source().begin.line) +
                                               ": " + std::string(e.description())});
  }
  static const std::set<std::string> kKeys = {
      "listen",       "data_dir",  "ring_timeout", "reconnect_grace",    "turn_secret",
      "ice_servers",  "push_gateway", "jwt_secret", "token_ttl", "turn_credential_ttl",
      "ws_rate",      "ws_burst",  "log_level",
      "turn_listen", "turn_tls_listen", "turn_realm", "turn_relay_ip", "turn_relay_ports",
      "turn_allow_peers", "turn_users", "turn_cert", "turn_key", "turn_user_quota",
      "turn_total_quota", "turn_max_permissions", "turn_bandwidth", "turn_workers",
      "media_listen", "media_announce_ip", "media_workers", "sfu_loudest_after", "sfu_loudest_audio",
      "sfu_start_bitrate"};
  for (const auto& [k, v] : t)
    if (!kKeys.contains(std::string(k.str())))
      return std::unexpected(key_error(std::string(k.str()), "unknown key"));
  for (auto r : {read(t, "listen", c.listen), read(t, "data_dir", c.data_dir),
                 read(t, "ring_timeout", c.ring_timeout),
                 read(t, "reconnect_grace", c.reconnect_grace),
                 read(t, "turn_secret", c.turn_secret), read(t, "ice_servers", c.ice_servers),
                 read(t, "push_gateway", c.push_gateway), read(t, "jwt_secret", c.jwt_secret),
                 read(t, "token_ttl", c.token_ttl),
                 read(t, "turn_credential_ttl", c.turn_credential_ttl),
                 read(t, "ws_rate", c.ws_rate), read(t, "ws_burst", c.ws_burst),
                 read(t, "log_level", c.log_level), read(t, "turn_listen", c.turn_listen),
                 read(t, "turn_tls_listen", c.turn_tls_listen), read(t, "turn_realm", c.turn_realm),
                 read(t, "turn_relay_ip", c.turn_relay_ip),
                 read(t, "turn_relay_ports", c.turn_relay_ports),
                 read(t, "turn_allow_peers", c.turn_allow_peers), read(t, "turn_users", c.turn_users),
                 read(t, "turn_cert", c.turn_cert), read(t, "turn_key", c.turn_key),
                 read(t, "turn_user_quota", c.turn_user_quota),
                 read(t, "turn_total_quota", c.turn_total_quota),
                 read(t, "turn_max_permissions", c.turn_max_permissions),
                 read(t, "turn_bandwidth", c.turn_bandwidth), read(t, "turn_workers", c.turn_workers),
                 read(t, "media_listen", c.media_listen),
                 read(t, "media_announce_ip", c.media_announce_ip),
                 read(t, "media_workers", c.media_workers),
                 read(t, "sfu_loudest_after", c.sfu_loudest_after),
                 read(t, "sfu_loudest_audio", c.sfu_loudest_audio),
                 read(t, "sfu_start_bitrate", c.sfu_start_bitrate)})
    if (!r) return r;
  return {};
}

Result<void> check_turn_listen(const std::string& key, const std::string& v) {
  if (v == "off" || v.empty()) return {};
  const auto hp = net::parse_host_port(v);
  boost::system::error_code ec;
  if (hp && hp->host != "localhost") boost::asio::ip::make_address(hp->host, ec);
  if (!hp || ec) return std::unexpected(key_error(key, "expected IP:PORT or 'off', got '" + v + "'"));
  return {};
}

Result<void> check_turn(const ServerConfig& c) {
  if (auto r = check_turn_listen("turn_listen", c.turn_listen); !r) return r;
  if (auto r = check_turn_listen("turn_tls_listen", c.turn_tls_listen); !r) return r;
  if (c.turn_realm.empty() || c.turn_realm.size() > 127)
    return std::unexpected(key_error("turn_realm", "must be 1-127 characters"));
  if (!c.turn_relay_ip.empty()) {
    const auto ip = net::IpAddress::parse(c.turn_relay_ip);
    if (!ip || net::canonicalize(*ip).bytes == std::array<std::uint8_t, 16>{})
      return std::unexpected(key_error("turn_relay_ip", "must be a concrete IP address"));
  }
  if (!parse_port_range(c.turn_relay_ports))
    return std::unexpected(key_error("turn_relay_ports", "expected MIN-MAX within 1-65535"));
  for (const auto& cidr : c.turn_allow_peers)
    if (!net::Cidr::parse(cidr))
      return std::unexpected(key_error("turn_allow_peers", "'" + cidr + "' is not a CIDR"));
  for (const auto& u : c.turn_users) {
    const auto colon = u.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == u.size())
      return std::unexpected(key_error("turn_users", "expected USER:PASSWORD"));
  }
  if (c.turn_cert.empty() != c.turn_key.empty())
    return std::unexpected(key_error("turn_cert", "turn_cert and turn_key go together"));
  const auto positive = [](std::int64_t v, std::int64_t max) { return v >= 1 && v <= max; };
  if (!positive(c.turn_user_quota, 1000000))
    return std::unexpected(key_error("turn_user_quota", "must be 1-1000000"));
  if (!positive(c.turn_total_quota, 10000000))
    return std::unexpected(key_error("turn_total_quota", "must be 1-10000000"));
  if (!positive(c.turn_max_permissions, 100000))
    return std::unexpected(key_error("turn_max_permissions", "must be 1-100000"));
  if (c.turn_bandwidth < 0) return std::unexpected(key_error("turn_bandwidth", "must be >= 0"));
  if (c.turn_workers < 0 || c.turn_workers > 256)
    return std::unexpected(key_error("turn_workers", "must be 0-256"));
  if (!positive(c.turn_lifetime, 3600))
    return std::unexpected(key_error("turn_lifetime", "must be 1-3600"));
  if (!positive(c.turn_nonce_ttl, 86400))
    return std::unexpected(key_error("turn_nonce_ttl", "must be 1-86400"));
  return {};
}

}  // namespace

Result<ServerConfig> load_config(const ServeFlags& f) {
  ServerConfig c;
  if (!f.config_file.empty())
    if (auto r = read_file(f.config_file, c); !r) return std::unexpected(r.error());
  if (f.listen) c.listen = *f.listen;
  if (f.data_dir) c.data_dir = *f.data_dir;
  if (f.ring_timeout) c.ring_timeout = *f.ring_timeout;
  if (f.reconnect_grace) c.reconnect_grace = *f.reconnect_grace;
  if (f.turn_secret) c.turn_secret = *f.turn_secret;
  if (!f.ice_servers.empty()) c.ice_servers = f.ice_servers;
  if (f.push_gateway) c.push_gateway = *f.push_gateway;
  if (f.ws_rate) {
    c.ws_rate = *f.ws_rate;
    c.ws_burst = 2 * *f.ws_rate;
  }
  if (f.log_level) c.log_level = *f.log_level;
  if (f.turn_listen) c.turn_listen = *f.turn_listen;
  if (f.turn_tls_listen) c.turn_tls_listen = *f.turn_tls_listen;
  if (f.turn_realm) c.turn_realm = *f.turn_realm;
  if (f.turn_relay_ip) c.turn_relay_ip = *f.turn_relay_ip;
  if (f.turn_relay_ports) c.turn_relay_ports = *f.turn_relay_ports;
  if (!f.turn_allow_peers.empty()) c.turn_allow_peers = f.turn_allow_peers;
  if (!f.turn_users.empty()) c.turn_users = f.turn_users;
  if (f.turn_cert) c.turn_cert = *f.turn_cert;
  if (f.turn_key) c.turn_key = *f.turn_key;
  if (f.turn_user_quota) c.turn_user_quota = *f.turn_user_quota;
  if (f.turn_total_quota) c.turn_total_quota = *f.turn_total_quota;
  if (f.turn_max_permissions) c.turn_max_permissions = *f.turn_max_permissions;
  if (f.turn_bandwidth) c.turn_bandwidth = *f.turn_bandwidth;
  if (f.turn_workers) c.turn_workers = *f.turn_workers;
  if (f.turn_lifetime) c.turn_lifetime = *f.turn_lifetime;
  if (f.turn_nonce_ttl) c.turn_nonce_ttl = *f.turn_nonce_ttl;
  if (auto r = check_turn(c); !r) return std::unexpected(r.error());
  if (f.media_listen) c.media_listen = *f.media_listen;
  if (f.media_announce_ip) c.media_announce_ip = *f.media_announce_ip;
  if (f.media_workers) c.media_workers = *f.media_workers;
  if (f.sfu_loudest_after) c.sfu_loudest_after = *f.sfu_loudest_after;
  if (f.sfu_loudest_audio) c.sfu_loudest_audio = *f.sfu_loudest_audio;
  if (f.sfu_start_bitrate) c.sfu_start_bitrate = *f.sfu_start_bitrate;
  if (c.sfu_start_bitrate < 30 || c.sfu_start_bitrate > 20000)
    return std::unexpected(key_error("sfu_start_bitrate", "must be between 30 and 20000 (kbit/s)"));
  if (c.sfu_loudest_after < 1 || c.sfu_loudest_after > 100000)
    return std::unexpected(key_error("sfu_loudest_after", "must be between 1 and 100000"));
  if (c.sfu_loudest_audio < 1 || c.sfu_loudest_audio > 100)
    return std::unexpected(key_error("sfu_loudest_audio", "must be between 1 and 100"));
  if (c.media_workers < 0 || c.media_workers > 256)
    return std::unexpected(key_error("media_workers", "must be between 0 (one per core) and 256"));
  if (auto r = check_turn_listen("media_listen", c.media_listen); !r) return std::unexpected(r.error());
  if (!c.media_announce_ip.empty()) {
    const auto ip = net::IpAddress::parse(c.media_announce_ip);
    if (!ip || net::canonicalize(*ip).bytes == std::array<std::uint8_t, 16>{})
      return std::unexpected(key_error("media_announce_ip", "must be a concrete IP address"));
  }

  if (auto r = check_listen(c.listen); !r) return std::unexpected(r.error());
  if (c.data_dir.empty()) return std::unexpected(key_error("data_dir", "must not be empty"));
  if (!(c.ring_timeout > 0 && c.ring_timeout <= 3600))
    return std::unexpected(key_error("ring_timeout", "must be between 0 and 3600 seconds"));
  if (!(c.reconnect_grace >= 0 && c.reconnect_grace <= 3600))
    return std::unexpected(key_error("reconnect_grace", "must be between 0 and 3600 seconds"));
  if (c.token_ttl < 60) return std::unexpected(key_error("token_ttl", "must be at least 60 seconds"));
  if (c.turn_credential_ttl < 60)
    return std::unexpected(key_error("turn_credential_ttl", "must be at least 60 seconds"));
  if (!(c.ws_rate > 0) || !(c.ws_burst >= 1))
    return std::unexpected(key_error("ws_rate", "must be a positive number"));
  for (const auto& url : c.ice_servers)
    if (!(url.starts_with("stun:") || url.starts_with("turn:") || url.starts_with("turns:")))
      return std::unexpected(key_error("ice_servers", "'" + url + "' is not a stun:, turn: or turns: URL"));
  if (!c.push_gateway.empty() && !c.push_gateway.starts_with("http://"))
    return std::unexpected(key_error("push_gateway", "must be an http:// URL"));
  if (!c.jwt_secret.empty() && c.jwt_secret.size() < 32)
    return std::unexpected(key_error("jwt_secret", "must be at least 32 characters"));
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!kLevels.contains(c.log_level))
    return std::unexpected(key_error("log_level", "must be one of trace, debug, info, warn, error, off"));
  return c;
}

}  // namespace parley::app
