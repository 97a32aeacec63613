#pragma once

// A media worker: one thread, one io_context, ONE UDP socket shared by all
// its WebRTC transports (the one-port server, ice/udp_mux_router.hpp), and a
// TCP listener on the same IP and port number for ICE-TCP (RFC 6544 passive
// candidates, RFC 4571 framing: rtc/tcp_media_listener.hpp). It
// owns the transports; the services built on it (the echo service, the
// SFU's rooms) own what rides on them and run on the same thread. Other
// threads reach a worker only by posting to executor().
//
// A transport is made in two steps, because the local half (ufrag/pwd,
// fingerprint, candidates) goes into an SDP before the remote half is known
// when we are the offerer (the SFU's subscriber connection):
//   reserve_transport()  -> LocalTransport (id registered with the router)
//   create_transport(id) -> the WebRtcTransport, once the remote SDP is known
// release_transport(id) ends either.
//
// Candidates: a UDP host candidate and, when the TCP twin of the UDP port
// could be bound, a passive TCP host candidate with a lower priority (RFC
// 6544 §4.2), so every SDP carries both and browsers prefer UDP. A frame a
// transport sends to the remote address of one of its TCP connections goes
// out on that connection; everything else over UDP.
//
// Timers: a 1 s tick for consent freshness and connect timeouts (RFC 7675),
// and one steady_timer per transport for DTLS retransmission (RFC 6347
// §4.2.4). A transport that fails (ICE connect timeout, consent lost, DTLS
// failure) or closes is released, and its owner's on_closed runs first.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dtls/certificate.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"
#include "ice/udp_mux_router.hpp"
#include "net/udp_batch.hpp"
#include "rtc/tcp_media_listener.hpp"
#include "rtc/webrtc_transport.hpp"
#include "stun/address.hpp"

namespace parley::rtc {

struct MediaWorkerConfig {
  std::string listen = "127.0.0.1:0";  // HOST:PORT of the media socket
  std::string announce_ip;             // IP put in our candidates; default: the bound one
  std::size_t max_transports = 2000;
  // ICE-TCP: listen on the UDP port's TCP twin and announce a passive TCP
  // candidate. With port 0, both are rebound on another ephemeral port
  // while the TCP twin is taken; a fixed port whose twin is taken runs UDP
  // only (with a warning).
  bool ice_tcp = true;
  TcpMediaLimits tcp_limits{};
};

// Our half of a transport, for an SDP.
struct LocalTransport {
  ice::TransportId id = 0;
  ice::IceCredentials ice;
  std::shared_ptr<const dtls::Certificate> certificate;
  std::vector<ice::LocalCandidate> candidates;
};

// The remote half, from the peer's SDP.
struct RemoteTransport {
  ice::IceCredentials ice;
  dtls::Fingerprint fingerprint;
  dtls::Role our_dtls_role = dtls::Role::server;
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
  // Runs `before_close` on the worker thread (services drop their sessions),
  // closes every transport (close_notify) and joins the thread.
  void stop(std::function<void()> before_close = {});

  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  boost::asio::io_context& io() { return io_; }
  bool running_in_this_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // The socket's address and the one announced in candidates.
  stun::SocketAddress local_address() const { return local_; }
  stun::SocketAddress announced_address() const { return announced_; }
  // The ICE-TCP listener's address; nothing when it is off or its port was
  // taken. Same IP and port number as local_address() otherwise.
  std::optional<stun::SocketAddress> tcp_address() const { return tcp_local_; }

  // --- worker thread only from here on ---

  using ClosedFunction = std::function<void()>;
  // Registers fresh ICE credentials and returns our half of a new
  // transport. Fails when the worker is full.
  std::expected<LocalTransport, std::string> reserve_transport();
  // Makes the transport for a reserved id. `on_closed` runs (on this
  // thread) when it fails or closes, before it is destroyed; it is not run
  // by release_transport. The transport is the worker's: never keep the
  // reference past on_closed or release_transport.
  std::expected<WebRtcTransport*, std::string> create_transport(ice::TransportId id,
                                                                const RemoteTransport& remote,
                                                                ClosedFunction on_closed);
  // Closes (close_notify) and forgets a transport, reserved or created.
  void release_transport(ice::TransportId id);
  WebRtcTransport* transport(ice::TransportId id);

  // ICE restart (RFC 8445 §9): new local credentials for the transport, the
  // previous ufrag still routing for the agent's overlap. Returns them, or
  // nothing if the agent refused.
  std::optional<ice::IceCredentials> restart_ice(ice::TransportId id, const ice::IceCredentials& remote);
  const std::vector<ice::LocalCandidate>& candidates() const { return candidates_; }

  // Called on every 1 s tick after the transports' own (RTCP reports,
  // keyframe timers of the services).
  using TickFunction = std::function<void(std::chrono::steady_clock::time_point now)>;
  void add_tick(TickFunction fn) { ticks_.push_back(std::move(fn)); }

  std::size_t transport_count() const { return slots_.size(); }

 private:
  struct Slot;

  void remove(ice::TransportId id, bool notify);
  void schedule_remove(ice::TransportId id);
  void arm_dtls_timer(Slot& s);
  void bind_sockets(const boost::asio::ip::udp::endpoint& ep);
  void start_receive();
  void on_readable();
  // A datagram (UDP) or frame (TCP) routed to transport `id`; `buffer` has
  // room for SRTP growth after `len`.
  void deliver(ice::TransportId id, std::span<std::uint8_t> buffer, std::size_t len,
               const stun::SocketAddress& from, ice::TimePoint now);
  void start_tick();
  // Framed on transport `id`'s TCP connection to `to` if there is one, else UDP.
  void send(ice::TransportId id, std::span<const std::uint8_t> datagram, const stun::SocketAddress& to);

  MediaWorkerConfig config_;
  boost::asio::io_context io_{1};
  boost::asio::ip::udp::socket socket_{io_};
  boost::asio::steady_timer tick_{io_};
  std::thread thread_;
  bool started_ = false;
  stun::SocketAddress local_;
  stun::SocketAddress announced_;
  std::vector<ice::LocalCandidate> candidates_;

  ice::UdpMuxRouter router_;
  net::RecvBatch recv_;
  // While a received batch is handled, what it causes to be sent (a
  // publisher's packet fanned out to every subscriber) leaves in sendmmsg
  // batches, flushed before the next receive; other sends go at once.
  net::SendBatch send_;
  bool batching_sends_ = false;
  std::unordered_map<ice::TransportId, std::unique_ptr<Slot>> slots_;
  std::vector<TickFunction> ticks_;
  ice::TransportId next_id_ = 1;
  // Last: its connections go before the transports and the io_context.
  std::unique_ptr<TcpMediaListener> tcp_;
  std::optional<stun::SocketAddress> tcp_local_;
};

}  // namespace parley::rtc
