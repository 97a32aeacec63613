#pragma once

// ICE-TCP for a media worker: the listening side of our passive TCP host
// candidate (RFC 6544 §4.5, "tcptype passive"), on the same IP and port
// number as the worker's UDP socket.
//
// Why: some networks (corporate firewalls, some hotel and guest Wi-Fi) drop
// all UDP, and a browser there can still reach the server's candidate over
// TCP without a TURN relay (RFC 6544). ICE, DTLS, SRTP and RTCP are
// datagram protocols, so on a TCP stream every packet is framed with its
// length as a 16-bit big-endian number (RFC 4571 §2, required by RFC 6544
// §3; ice/tcp_framing.hpp decodes it).
//
// A connection is bound to one transport by its first frame, which must be a
// STUN Binding request (the browser's connectivity check on the pair)
// whose USERNAME names a transport's local ufrag (route()). From then on
// every frame is handed to that transport (frame()) with the connection's
// remote address as its source, exactly like a datagram on the UDP socket;
// what the transport sends to that address comes back through send() and
// goes out framed on the connection instead of over UDP.
//
// Hostile or broken peers cost bounded resources:
//   - at most max_connections at a time; more are accepted and closed;
//   - no valid first frame within handshake_timeout: closed;
//   - a frame larger than max_frame_size (the length prefix says so before
//     the body arrives): closed, the stream cannot be resynchronised;
//   - a first frame that is not a Binding request for a known ufrag: closed;
//   - no frame at all for idle_timeout once bound: closed;
//   - writes: one queue per connection, at most max_queued_bytes; frames
//     beyond that are dropped whole (as UDP would drop them, so the stream
//     stays framed), and a write that makes no progress for
//     write_stall_timeout closes the connection: a peer that stops reading
//     cannot grow the server's memory.
// Closing a connection does not touch its transport (it may have a UDP pair
// too; ICE consent, RFC 7675, ends it otherwise). Releasing a transport
// closes its connections (close_transport), after what is queued (e.g. the
// DTLS close_notify) has been written.
//
// Not thread-safe: everything runs on the worker's io_context thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "ice/udp_mux_router.hpp"
#include "stun/address.hpp"

namespace parley::rtc {

// Largest frame a peer may send: the Ethernet MTU (no WebRTC peer puts more
// in one STUN/DTLS/RTP packet, even over TCP) plus slack for encapsulations.
inline constexpr std::size_t kMaxTcpMediaFrameSize = 1500 + 100;

struct TcpMediaLimits {
  std::size_t max_connections = 1000;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};  // longer than consent's 30 s (RFC 7675)
  std::chrono::milliseconds write_stall_timeout{10'000};
  std::size_t max_queued_bytes = 256 * 1024;
  std::size_t max_frame_size = kMaxTcpMediaFrameSize;
};

struct TcpMediaStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;            // over max_connections
  std::uint64_t handshake_timeouts = 0;
  std::uint64_t bad_first_frames = 0;   // not a Binding request for a known ufrag
  std::uint64_t oversized_frames = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t write_stalls = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t frames_dropped = 0;     // write queue full
};

class TcpMediaListener {
 public:
  // The transport a first frame (a STUN Binding request) is addressed to;
  // nothing closes the connection.
  using RouteFunction =
      std::function<std::optional<ice::TransportId>(std::span<const std::uint8_t> stun)>;
  // One frame for a bound transport: bytes [0, len) of `buffer`, which has
  // room after them for SRTP growth (in-place rewrite and protect).
  using FrameFunction = std::function<void(ice::TransportId id, std::span<std::uint8_t> buffer,
                                           std::size_t len, const stun::SocketAddress& from)>;

  TcpMediaListener(boost::asio::io_context& io, TcpMediaLimits limits, RouteFunction route,
                   FrameFunction frame);
  ~TcpMediaListener();
  TcpMediaListener(const TcpMediaListener&) = delete;
  TcpMediaListener& operator=(const TcpMediaListener&) = delete;

  // Opens, binds and listens. On error (EADDRINUSE: the UDP port's TCP twin
  // is taken) the listener stays closed and the error is returned.
  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Starts accepting (on the io_context's thread, or before it runs).
  void start();
  // Closes the acceptor and every connection at once. Idempotent.
  void close();
  bool is_open() const { return acceptor_.is_open(); }
  stun::SocketAddress local_address() const { return local_; }

  // If `to` is the remote address of a connection bound to `id`: queues
  // `datagram` there, framed, and returns true (also when the queue was full
  // and the frame dropped). False otherwise: the caller sends over UDP.
  bool send(ice::TransportId id, std::span<const std::uint8_t> datagram,
            const stun::SocketAddress& to);
  // The transport is gone: its connections write what is queued and close.
  void close_transport(ice::TransportId id);

  std::size_t connection_count() const { return connections_.size(); }
  const TcpMediaStats& stats() const { return stats_; }

 private:
  struct Connection;
  using ConnectionPtr = std::shared_ptr<Connection>;

  void accept_next();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void read(const ConnectionPtr& c);
  void on_bytes(const ConnectionPtr& c, std::size_t n);
  void arm_timer(const ConnectionPtr& c, std::chrono::steady_clock::duration after);
  void on_timer(const ConnectionPtr& c);
  void flush(const ConnectionPtr& c);
  void close(ConnectionPtr c, std::string_view why);  // by value: may drop the map's reference

  boost::asio::io_context& io_;
  TcpMediaLimits limits_;
  RouteFunction route_;
  FrameFunction frame_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  stun::SocketAddress local_;
  bool closed_ = false;
  std::unordered_map<stun::SocketAddress, ConnectionPtr, ice::SocketAddressHash> connections_;
  std::vector<std::uint8_t> scratch_;  // one frame plus SRTP room, handed to frame()
  TcpMediaStats stats_;
};

}  // namespace parley::rtc
