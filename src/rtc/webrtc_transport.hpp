#pragma once

// One browser's media transport: ICE-lite + DTLS-SRTP + RTP/RTCP over the
// worker's shared UDP socket (RFC 8834 §3, RFC 8827 §6.5). No socket inside:
// the MediaWorker routes datagrams here with handle_datagram() and sends what
// the transport hands to its SendFunction; it also drives the DTLS timer and
// the consent tick. Not thread-safe: one transport belongs to one worker.
//
// The way of a packet in: classify by first byte (demux.hpp, RFC 7983 §7);
// STUN to the lite agent, DTLS to OpenSSL, SRTP/SRTCP unprotected in place
// (only once DTLS-SRTP keys exist) and handed to the media callbacks with the
// buffer they lie in, so that a callback may rewrite and send them back
// without a copy (send_rtp/send_rtcp protect in place).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "dtls/certificate.hpp"
#include "dtls/dtls_transport.hpp"
#include "ice/ice_lite_agent.hpp"
#include "ice/udp_mux_router.hpp"
#include "srtp/srtp_session.hpp"
#include "stun/address.hpp"

namespace parley::rtc {

enum class TransportState : std::uint8_t { New, Connecting, Connected, Failed, Closed };
std::string_view to_string(TransportState state);

struct TransportConfig {
  ice::TransportId id = 0;
  ice::IceCredentials local_ice;
  ice::IceCredentials remote_ice;
  dtls::Role dtls_role = dtls::Role::server;
  std::shared_ptr<const dtls::Certificate> certificate;
  dtls::Fingerprint remote_fingerprint;
  ice::IceLiteAgentConfig ice;
  // RFC 3711 §3.3.2 replay list; video with NACK wants a wide one.
  std::size_t srtp_replay_window = 1024;
};

class WebRtcTransport {
 public:
  using SendFunction =
      std::function<void(std::span<const std::uint8_t> datagram, const stun::SocketAddress& to)>;
  // A decrypted packet: bytes [0, len) of `buffer`; the buffer has room to
  // grow by srtp::max_rtp_overhead / max_rtcp_overhead.
  using MediaFunction = std::function<void(std::span<std::uint8_t> buffer, std::size_t len)>;
  using StateFunction = std::function<void(TransportState state)>;
  using AddressFunction = std::function<void(const stun::SocketAddress& remote)>;

  static std::expected<std::unique_ptr<WebRtcTransport>, std::string> create(
      TransportConfig config, SendFunction send, ice::TimePoint now);
  ~WebRtcTransport();
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  void on_rtp(MediaFunction fn) { on_rtp_ = std::move(fn); }
  void on_rtcp(MediaFunction fn) { on_rtcp_ = std::move(fn); }
  void on_state(StateFunction fn) { on_state_ = std::move(fn); }
  // DTLS application data (SCTP for data channels, RFC 8261 §3), once
  // connected. The callback must not destroy the transport.
  using DataFunction = std::function<void(std::span<const std::uint8_t> data)>;
  void on_app_data(DataFunction fn);
  bool send_app_data(std::span<const std::uint8_t> data);
  // The address non-STUN packets come from changed (for the UdpMuxRouter).
  void on_remote_address(AddressFunction fn) { on_address_ = std::move(fn); }

  // One datagram the worker routed to us; `buffer` is writable and has room
  // after `len` for SRTP growth.
  void handle_datagram(std::span<std::uint8_t> buffer, std::size_t len,
                       const stun::SocketAddress& from, ice::TimePoint now);

  // Protect in place and send to the selected address. False when not
  // connected or protection failed.
  bool send_rtp(std::span<std::uint8_t> buffer, std::size_t len);
  bool send_rtcp(std::span<std::uint8_t> buffer, std::size_t len);

  std::optional<std::chrono::milliseconds> dtls_timeout() const { return dtls_->next_timeout(); }
  void on_dtls_timeout();
  // Consent freshness and connect timeout (RFC 7675); about once a second.
  void on_tick(ice::TimePoint now);
  // close_notify if connected, then Closed.
  void close();
  // ICE restart (RFC 8445 §9): new local and remote credentials; DTLS and
  // SRTP carry on over whichever pair the browser nominates next. False if
  // the agent refuses them (invalid, or the local ufrag unchanged).
  bool restart_ice(ice::IceCredentials new_local, ice::IceCredentials new_remote, ice::TimePoint now);

  ice::TransportId id() const { return config_.id; }
  TransportState state() const { return state_; }
  const ice::IceLiteAgent& ice() const { return agent_; }
  const std::optional<stun::SocketAddress>& remote_address() const { return remote_; }
  std::uint64_t srtp_errors() const { return srtp_errors_; }

 private:
  WebRtcTransport(TransportConfig config, SendFunction send, ice::TimePoint now);
  void handle_stun(std::span<const std::uint8_t> packet, const stun::SocketAddress& from,
                   ice::TimePoint now);
  void on_ice_state(ice::IceState state);
  void on_dtls_state(dtls::State state);
  void set_remote(const stun::SocketAddress& remote);
  void set_state(TransportState state);

  TransportConfig config_;
  SendFunction send_;
  ice::IceLiteAgent agent_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  std::optional<srtp::SessionPair> srtp_;
  std::optional<stun::SocketAddress> remote_;  // where we send
  bool remote_selected_ = false;               // remote_ is the nominated pair
  bool dtls_started_ = false;
  TransportState state_ = TransportState::New;
  std::uint64_t srtp_errors_ = 0;
  MediaFunction on_rtp_, on_rtcp_;
  StateFunction on_state_;
  AddressFunction on_address_;
};

}  // namespace parley::rtc
