#pragma once

// The media worker: one thread, one io_context, ONE UDP socket shared by all
// its WebRTC transports (the one-port server, ice/udp_mux_router.hpp). It
// owns the transports and their sessions; everything about them runs on its
// thread. Other threads talk to it by posting: create_echo/close_echo take
// the caller's executor and complete there.
//
// Timers: a 1 s tick for consent freshness and connect timeouts (RFC 7675),
// and one steady_timer per transport for DTLS retransmission (RFC 6347
// §4.2.4). A transport that fails (ICE connect timeout, consent lost, DTLS
// failure) or closes is removed.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "ice/credentials.hpp"
#include "ice/udp_mux_router.hpp"
#include "net/udp_batch.hpp"
#include "sdp/session_description.hpp"
#include "stun/address.hpp"

namespace parley::rtc {

class EchoSession;

struct MediaWorkerConfig {
  std::string listen = "127.0.0.1:0";  // HOST:PORT of the media socket
  std::string announce_ip;             // IP put in our candidates; default: the bound one
  std::size_t max_sessions = 1000;
};

struct EchoCreated {
  std::string id;
  std::string answer_sdp;
};

struct EchoError {
  enum class Kind : std::uint8_t { BadOffer, Unavailable, Internal } kind = Kind::BadOffer;
  std::string message;
};

// The outcome of a PATCH (RFC 9725 §4.3.1) on an echo session.
struct EchoIceResult {
  enum class Kind : std::uint8_t { Restarted, Trickle, NotFound, Refused } kind = Kind::NotFound;
  std::string fragment;  // Restarted: our answer, application/trickle-ice-sdpfrag
  std::string message;   // Refused: why
};

class MediaWorker {
 public:
  explicit MediaWorker(MediaWorkerConfig config);
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  // Binds the socket and starts the thread. Throws std::runtime_error when
  // the address cannot be bound.
  void start();
  // Closes every transport (close_notify) and joins the thread. Completion
  // handlers not yet run are dropped.
  void stop();

  // The socket's address and the one announced in candidates.
  stun::SocketAddress local_address() const { return local_; }
  stun::SocketAddress announced_address() const { return announced_; }

  using CreateHandler = std::function<void(std::expected<EchoCreated, EchoError>)>;
  using CloseHandler = std::function<void(bool found)>;

  // Answers `offer` with a new echo session owned by `owner`; `done` runs
  // on `completion`.
  void create_echo(sdp::SessionDescription offer, std::string owner,
                   boost::asio::any_io_executor completion, CreateHandler done);
  // Ends the session if `owner` owns it; `done(false)` otherwise.
  void close_echo(std::string id, std::string owner, boost::asio::any_io_executor completion,
                  CloseHandler done);

  // The owner's new remote credentials (from an SDP fragment): if they
  // differ from the current ones, an ICE restart (RFC 8445 §9) with new local
  // credentials; otherwise trickle, which we have nothing to do for (we are
  // lite and the browser's candidates are learned from its checks).
  using IceHandler = std::function<void(EchoIceResult)>;
  void update_echo_ice(std::string id, std::string owner, ice::IceCredentials remote,
                       boost::asio::any_io_executor completion, IceHandler done);

  // For tests and metrics: number of live sessions (worker thread only).
  std::size_t session_count() const { return sessions_.size(); }

 private:
  struct Session;

  std::expected<EchoCreated, EchoError> do_create(const sdp::SessionDescription& offer,
                                                  const std::string& owner);
  EchoIceResult do_update_ice(const std::string& id, const std::string& owner,
                              const ice::IceCredentials& remote);
  void remove(ice::TransportId id);
  void schedule_remove(ice::TransportId id);
  void arm_dtls_timer(Session& s);
  void start_receive();
  void on_readable();
  void start_tick();
  void send(std::span<const std::uint8_t> datagram, const stun::SocketAddress& to);

  MediaWorkerConfig config_;
  boost::asio::io_context io_{1};
  boost::asio::ip::udp::socket socket_{io_};
  boost::asio::steady_timer tick_{io_};
  std::thread thread_;
  bool started_ = false;
  stun::SocketAddress local_;
  stun::SocketAddress announced_;

  ice::UdpMuxRouter router_;
  net::RecvBatch recv_;
  std::unordered_map<ice::TransportId, std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::string, ice::TransportId> by_echo_id_;
  ice::TransportId next_id_ = 1;
};

}  // namespace parley::rtc
