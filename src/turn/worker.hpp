#pragma once

// One TURN worker: an io_context on its own thread that owns its share of
// the listening sockets (SO_REUSEPORT), the allocations whose client 5-tuple
// arrives on them, their relay sockets and their TCP/TLS connections. No
// lock on the packet path; shared state (quotas, ports) is touched only when
// allocations come and go.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <random>
#include <span>
#include <unordered_set>
#include <vector>

#include "net/udp_batch.hpp"
#include "stun/stun.hpp"
#include "turn/allocation.hpp"
#include "turn/allocation_table.hpp"
#include "turn/auth.hpp"
#include "turn/peer_policy.hpp"
#include "turn/quota.hpp"
#include "turn/relay_ports.hpp"
#include "turn/turn_config.hpp"
#include "turn/turn_metrics.hpp"

namespace parley::turn {

// What every worker shares: immutable after start, or internally locked.
struct Shared {
  TurnConfig config;
  CredentialStore credentials;
  NonceService nonces;
  PeerPolicy policy;
  AllocationQuota quota;
  RelayPortPool ports;
  TurnMetrics metrics;
  boost::asio::ip::address relay_address;
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// A TCP or TLS client connection (RFC 8656 §3.1, framing of §12.5).
class StreamConn : public std::enable_shared_from_this<StreamConn> {
 public:
  virtual ~StreamConn() = default;
  virtual void start() = 0;
  // Queues bytes for the client; dropped if the queue is over its bound.
  virtual void enqueue(std::span<const std::uint8_t> bytes) = 0;
  virtual void close() = 0;
  bool is_stream_tls() const { return tuple.transport == Transport::Tls; }

  FiveTuple tuple;
  TimePoint last_activity{};
};

class Worker {
 public:
  Worker(Shared& shared, unsigned index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() { return io_; }
  void add_udp_listener(boost::asio::ip::udp::socket socket);
  void add_acceptor(boost::asio::ip::tcp::acceptor acceptor, bool tls);
  // Arms every socket and the timers; call before run().
  void start();
  void run();
  // Thread-safe: closes everything on the worker's thread and stops the loop.
  void stop();

  // Called by StreamConn.
  void on_stream_frame(StreamConn& conn, std::span<const std::uint8_t> frame);
  void on_stream_closed(StreamConn& conn);
  void flush_sends();
  void count_stream_drop() { ++stats_.dropped_queue; }

 private:
  struct Relay {
    Relay(Allocation a, boost::asio::ip::udp::socket s) : alloc(std::move(a)), socket(std::move(s)) {}
    Allocation alloc;
    boost::asio::ip::udp::socket socket;
    boost::asio::ip::udp::endpoint client_udp;  // UDP clients
    int listen_fd = -1;                          // UDP clients: where to answer from
    std::weak_ptr<StreamConn> stream;            // TCP/TLS clients
    std::optional<std::uint64_t> token;          // RESERVATION-TOKEN handed out
    bool closed = false;
    Allocation& state() { return alloc; }
  };

  // Where a message came from, for the answer.
  struct Client {
    FiveTuple tuple;
    boost::asio::ip::udp::endpoint udp_from;
    StreamConn* stream = nullptr;
    int listen_fd = -1;
  };

  struct AuthOk {
    std::string username;
    std::string principal;
    stun::LongTermKey key;
  };

  struct Stats {
    std::uint64_t bytes_to_peer = 0, packets_to_peer = 0;
    std::uint64_t bytes_to_client = 0, packets_to_client = 0;
    std::uint64_t dropped_bandwidth = 0, dropped_permission = 0, dropped_queue = 0;
  };

  struct UdpListener {
    boost::asio::ip::udp::socket socket;
    PeerAddress local;
  };

  void arm_udp(std::size_t index);
  void on_udp_readable(std::size_t index);
  void arm_accept(std::size_t index);
  void arm_relay(const std::shared_ptr<Relay>& relay);
  void on_relay_readable(Relay& relay);
  void arm_sweep();
  void sweep();
  void shutdown();
  void publish_stats();

  void handle_message(const Client& c, std::span<const std::uint8_t> bytes, TimePoint now);
  void handle_channel_data(const Client& c, std::span<const std::uint8_t> bytes, TimePoint now);
  void handle_request(const Client& c, const stun::Message& req, TimePoint now);
  void handle_send(const Client& c, const stun::Message& ind, TimePoint now);
  std::optional<AuthOk> authenticate(const Client& c, const stun::Message& req, TimePoint now);
  void handle_allocate(const Client& c, const stun::Message& req, const AuthOk& auth, TimePoint now);
  void handle_refresh(const Client& c, const stun::Message& req, const AuthOk& auth, TimePoint now);
  void handle_create_permission(const Client& c, const stun::Message& req, const AuthOk& auth,
                                TimePoint now);
  void handle_channel_bind(const Client& c, const stun::Message& req, const AuthOk& auth,
                           TimePoint now);
  void allocate_success(const Client& c, const stun::Message& req, const Relay& relay,
                        const AuthOk& auth, bool v6_unavailable, TimePoint now);

  // Answers. `key` integrity-protects (RFC 8489 §9.2.4: every answer to an
  // authenticated request); error answers before that go without.
  template <class Fill>
  void reply(const Client& c, const stun::Message& req, stun::MessageClass cls,
             const stun::LongTermKey* key, Fill&& fill);
  void reply_error(const Client& c, const stun::Message& req, std::uint16_t code,
                   const stun::LongTermKey* key);
  // 401 or 438 with REALM and a fresh NONCE, rate-limited per source.
  void challenge(const Client& c, const stun::Message& req, std::uint16_t code, TimePoint now);

  void send_to_client(const Client& c, std::span<const std::uint8_t> bytes);
  void send_to_client(const Relay& r, std::span<const std::uint8_t> bytes);
  void relay_to_peer(Relay& r, const PeerAddress& peer, std::span<const std::uint8_t> data,
                     TimePoint now);
  void erase_allocation(const FiveTuple& tuple);
  stun::TransactionId next_indication_id();

  boost::asio::io_context io_;  // first: destroyed last
  Shared& shared_;
  unsigned index_;
  bool stopping_ = false;
  std::vector<UdpListener> udp_;
  std::vector<std::pair<boost::asio::ip::tcp::acceptor, bool>> acceptors_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  AllocationTable<Relay> table_;
  std::unordered_set<std::shared_ptr<StreamConn>> conns_;
  SourceRateLimiter unauth_limiter_;
  net::RecvBatch rx_;
  net::SendBatch to_client_;
  net::SendBatch to_peer_;
  stun::Builder tx_;
  std::array<std::uint8_t, net::kMaxDatagram + 8> scratch_{};
  std::mt19937_64 rng_;
  Stats stats_;
};

}  // namespace parley::turn
