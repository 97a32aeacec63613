#pragma once

// Small TURN test clients: a TURN server process (`parley turn`), UDP/TCP/TLS
// transports and a client that does the long-term credential dance.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stun/asio_endpoint.hpp"
#include "stun/stun.hpp"

namespace turntest {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;
namespace stun = parley::stun;

// `parley turn --turn-listen 127.0.0.1:0 <args>`; reads the listening line.
class TurnProcess {
 public:
  explicit TurnProcess(std::vector<std::string> args, bool tls = false);
  ~TurnProcess();
  TurnProcess(const TurnProcess&) = delete;
  TurnProcess& operator=(const TurnProcess&) = delete;

  udp::endpoint udp_endpoint() const { return {asio::ip::make_address("127.0.0.1"), udp_port_}; }
  tcp::endpoint tcp_endpoint() const { return {asio::ip::make_address("127.0.0.1"), tcp_port_}; }
  tcp::endpoint tls_endpoint() const { return {asio::ip::make_address("127.0.0.1"), tls_port_}; }
  bool running();

 private:
  pid_t pid_ = -1;
  std::uint16_t udp_port_ = 0, tcp_port_ = 0, tls_port_ = 0;
};

// A relay port range private to this test process, above the ephemeral range
// so test peers never land in it.
std::string private_relay_ports(int count = 50);
// A single free UDP port, as a range "P-P".
std::string single_free_port();

std::string rest_username(std::int64_t expiry, const std::string& user);
std::string rest_password(const std::string& secret, const std::string& username);
std::int64_t unix_now();

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void send(std::span<const std::uint8_t> bytes) = 0;
  // One STUN message or ChannelData message, or nothing on timeout.
  virtual std::optional<Bytes> receive(std::chrono::milliseconds timeout) = 0;
  virtual bool is_stream() const = 0;
  virtual stun::SocketAddress local() const = 0;
};

enum class Kind { Udp, Tcp, Tls };
std::unique_ptr<Transport> connect(Kind kind, const TurnProcess& server);
// Raw sockets for hostile-input tests.
std::unique_ptr<Transport> connect_udp(const udp::endpoint& server);

struct Reply {
  Bytes bytes;
  std::optional<stun::Message> parsed() const;
  int code() const;  // 0 for success, -1 if none/unparsable
  bool ok() const { return code() == 0; }
};

class TurnClient {
 public:
  explicit TurnClient(std::unique_ptr<Transport> transport) : t_(std::move(transport)) {}

  void credentials(std::string user, std::string password) {
    user_ = std::move(user);
    password_ = std::move(password);
  }
  using Fill = std::function<void(stun::Builder&)>;
  // A request with long-term credentials: learns realm/nonce from a 401 or
  // 438 and retries (unless retry is false).
  Reply request(stun::Method method, const Fill& fill = {}, bool retry = true);
  // An unauthenticated request.
  Reply plain_request(stun::Method method, const Fill& fill = {});
  // Allocate a UDP relay; returns the reply.
  Reply allocate(const Fill& extra = {});
  stun::SocketAddress relayed(const Reply& r) const;

  Reply create_permission(const stun::SocketAddress& peer);
  Reply channel_bind(std::uint16_t channel, const stun::SocketAddress& peer);
  Reply refresh(std::optional<std::uint32_t> lifetime);
  void send_indication(const stun::SocketAddress& peer, std::span<const std::uint8_t> data);
  void send_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data);
  // Next Data indication or ChannelData: (peer or channel, data).
  struct Incoming {
    std::optional<stun::SocketAddress> peer;
    std::optional<std::uint16_t> channel;
    Bytes data;
  };
  std::optional<Incoming> receive_data(std::chrono::milliseconds timeout = 2000ms);

  Transport& transport() { return *t_; }
  const std::string& nonce() const { return nonce_; }
  void set_nonce(std::string n) { nonce_ = std::move(n); }

 private:
  Reply transact(const Bytes& request, const stun::TransactionId& id);

  std::unique_ptr<Transport> t_;
  std::string user_, password_, realm_, nonce_;
  std::vector<Bytes> queued_;  // data that arrived while waiting for a reply
};

// A UDP peer on 127.0.0.1.
class Peer {
 public:
  Peer();
  stun::SocketAddress address() const;
  void send_to(const stun::SocketAddress& to, std::span<const std::uint8_t> data);
  std::optional<std::pair<stun::SocketAddress, Bytes>> receive(
      std::chrono::milliseconds timeout = 2000ms);

 private:
  asio::io_context io_;
  udp::socket socket_;
};

Bytes bytes_of(std::string_view s);

}  // namespace turntest
