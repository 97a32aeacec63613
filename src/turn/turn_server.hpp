#pragma once

// The TURN/STUN server (RFC 8656, RFC 8489): UDP, TCP and TLS listeners
// spread over one worker per core, each on its own thread.
//
//   TurnServer server(config, registry);
//   server.start();                 // binds; throws std::runtime_error
//   puts(server.listening_line().c_str());
//   ...
//   server.stop();                  // also in the destructor

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "turn/turn_config.hpp"

namespace parley::turn {

class TurnServer {
 public:
  TurnServer(TurnConfig config, metrics::Registry& metrics);
  ~TurnServer();
  TurnServer(const TurnServer&) = delete;
  TurnServer& operator=(const TurnServer&) = delete;

  void start();
  void stop();

  std::optional<boost::asio::ip::udp::endpoint> udp_endpoint() const;
  std::optional<boost::asio::ip::tcp::endpoint> tcp_endpoint() const;
  std::optional<boost::asio::ip::tcp::endpoint> tls_endpoint() const;
  boost::asio::ip::address relay_address() const;

  // "listening turn-udp=127.0.0.1:3478 turn-tcp=127.0.0.1:3478[ turn-tls=...]"
  std::string listening_line() const;

  // stun:/turn:/turns: URLs for clients (the /api/v1/ice-servers default).
  std::vector<std::string> ice_urls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::turn
