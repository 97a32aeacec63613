#include "app/config_loader.hpp"

#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>

#include <set>

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
      "ws_rate",      "ws_burst",  "log_level"};
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
                 read(t, "log_level", c.log_level)})
    if (!r) return r;
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
