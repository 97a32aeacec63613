#include "rtc/webrtc_transport.hpp"

#include "rtc/demux.hpp"

namespace parley::rtc {

std::string_view to_string(TransportState state) {
  switch (state) {
    case TransportState::New: return "new";
    case TransportState::Connecting: return "connecting";
    case TransportState::Connected: return "connected";
    case TransportState::Failed: return "failed";
    case TransportState::Closed: return "closed";
  }
  return "?";
}

WebRtcTransport::WebRtcTransport(TransportConfig config, SendFunction send, ice::TimePoint now)
    : config_(std::move(config)), send_(std::move(send)), agent_(config_.local_ice, now, config_.ice) {}

WebRtcTransport::~WebRtcTransport() = default;

std::expected<std::unique_ptr<WebRtcTransport>, std::string> WebRtcTransport::create(
    TransportConfig config, SendFunction send, ice::TimePoint now) {
  if (!config.certificate) return std::unexpected("no DTLS certificate");
  std::unique_ptr<WebRtcTransport> t(new WebRtcTransport(std::move(config), std::move(send), now));
  if (!t->agent_.set_remote_credentials(t->config_.remote_ice))
    return std::unexpected("invalid remote ICE credentials");
  dtls::Config dc;
  dc.role = t->config_.dtls_role;
  dc.certificate = t->config_.certificate;
  dc.remote_fingerprint = t->config_.remote_fingerprint;
  WebRtcTransport* self = t.get();
  auto dtls = dtls::DtlsTransport::create(std::move(dc), [self](std::span<const std::uint8_t> d) {
    if (self->remote_) self->send_(d, *self->remote_);
  });
  if (!dtls) return std::unexpected("DTLS: " + dtls.error());
  t->dtls_ = std::move(*dtls);
  t->dtls_->on_state_change([self](dtls::State s) { self->on_dtls_state(s); });
  if (t->config_.dtls_role == dtls::Role::server) {
    // The server waits for the ClientHello (RFC 5763 §5: the passive side).
    t->dtls_->start();
    t->dtls_started_ = true;
  }
  return t;
}

void WebRtcTransport::handle_datagram(std::span<std::uint8_t> buffer, std::size_t len,
                                      const stun::SocketAddress& from, ice::TimePoint now) {
  if (state_ == TransportState::Closed || state_ == TransportState::Failed || len > buffer.size())
    return;
  const std::span<std::uint8_t> packet = buffer.first(len);
  switch (classify(packet)) {
    case PacketClass::Stun:
      handle_stun(packet, from, now);
      return;
    case PacketClass::Dtls:
      dtls_->handle_datagram(packet);
      return;
    case PacketClass::Rtp: {
      if (!srtp_) return;  // RFC 5764 §4.1.2: no keys yet, nothing to decrypt
      std::size_t n = len;
      if (!srtp_->inbound.unprotect_rtp(buffer, n)) {
        ++srtp_errors_;
        return;
      }
      if (on_rtp_) on_rtp_(buffer, n);
      return;
    }
    case PacketClass::Rtcp: {
      if (!srtp_) return;
      std::size_t n = len;
      if (!srtp_->inbound.unprotect_rtcp(buffer, n)) {
        ++srtp_errors_;
        return;
      }
      if (on_rtcp_) on_rtcp_(buffer, n);
      return;
    }
    case PacketClass::Unknown:
      return;
  }
}

void WebRtcTransport::handle_stun(std::span<const std::uint8_t> packet,
                                  const stun::SocketAddress& from, ice::TimePoint now) {
  auto result = agent_.handle_stun(packet, from, now);
  if (!result.response.empty()) send_(result.response, from);
  if (result.verdict == ice::CheckResult::Verdict::Success && state_ == TransportState::New)
    set_state(TransportState::Connecting);
  if (result.selected_pair_changed) {
    remote_selected_ = true;
    set_remote(result.selected_pair_changed->remote);
  } else if (result.verdict == ice::CheckResult::Verdict::Success && !remote_selected_) {
    // A valid pair before any nomination: DTLS may already come from it
    // (the browser starts DTLS once a pair is writable), so route it here
    // until the nomination says otherwise.
    set_remote(from);
  }
  if (result.state_changed) on_ice_state(*result.state_changed);
}

void WebRtcTransport::set_remote(const stun::SocketAddress& remote) {
  if (remote_ && *remote_ == remote) return;
  remote_ = remote;
  if (on_address_) on_address_(remote);
  if (!dtls_started_ && config_.dtls_role == dtls::Role::client) {
    dtls_started_ = true;
    dtls_->start();  // RFC 5763 §5: the active side sends the ClientHello
  }
}

void WebRtcTransport::on_ice_state(ice::IceState state) {
  if (state == ice::IceState::Failed) set_state(TransportState::Failed);  // RFC 7675 §5.1
  if (state == ice::IceState::Closed) set_state(TransportState::Closed);
}

void WebRtcTransport::on_dtls_state(dtls::State state) {
  if (state == dtls::State::failed) return set_state(TransportState::Failed);
  if (state == dtls::State::closed) return set_state(TransportState::Closed);
  if (state != dtls::State::connected) return;
  const auto& keys = dtls_->srtp_keys();
  if (!keys) return set_state(TransportState::Failed);
  srtp::Options options;
  options.replay_window = config_.srtp_replay_window;
  // RFC 5764 §4.2: we protect with our write key, unprotect with theirs.
  auto pair = srtp::SessionPair::create(static_cast<srtp::Profile>(keys->profile), keys->local().key,
                                        keys->local().salt, keys->remote().key, keys->remote().salt,
                                        options);
  if (!pair) return set_state(TransportState::Failed);
  srtp_ = std::move(*pair);
  set_state(TransportState::Connected);
}

bool WebRtcTransport::send_rtp(std::span<std::uint8_t> buffer, std::size_t len) {
  if (!srtp_ || !remote_ || state_ != TransportState::Connected) return false;
  if (!srtp_->outbound.protect_rtp(buffer, len)) {
    ++srtp_errors_;
    return false;
  }
  send_(buffer.first(len), *remote_);
  return true;
}

bool WebRtcTransport::send_rtcp(std::span<std::uint8_t> buffer, std::size_t len) {
  if (!srtp_ || !remote_ || state_ != TransportState::Connected) return false;
  if (!srtp_->outbound.protect_rtcp(buffer, len)) {
    ++srtp_errors_;
    return false;
  }
  send_(buffer.first(len), *remote_);
  return true;
}

void WebRtcTransport::on_app_data(DataFunction fn) { dtls_->on_data(std::move(fn)); }

bool WebRtcTransport::send_app_data(std::span<const std::uint8_t> data) {
  if (!dtls_ || dtls_->state() != dtls::State::connected || !remote_) return false;
  return dtls_->send(data).has_value();
}

void WebRtcTransport::on_dtls_timeout() {
  if (state_ != TransportState::Closed && state_ != TransportState::Failed) dtls_->on_timeout();
}

void WebRtcTransport::on_tick(ice::TimePoint now) {
  if (state_ == TransportState::Closed || state_ == TransportState::Failed) return;
  if (auto s = agent_.on_tick(now)) on_ice_state(*s);
}

void WebRtcTransport::close() {
  if (state_ == TransportState::Closed) return;
  if (dtls_) dtls_->close();  // close_notify when connected
  agent_.close();
  set_state(TransportState::Closed);
}

bool WebRtcTransport::restart_ice(ice::IceCredentials new_local, ice::IceCredentials new_remote,
                                  ice::TimePoint now) {
  if (state_ == TransportState::Closed || state_ == TransportState::Failed) return false;
  if (!agent_.restart(new_local, new_remote, now)) return false;
  config_.local_ice = std::move(new_local);
  config_.remote_ice = std::move(new_remote);
  return true;
}

void WebRtcTransport::set_state(TransportState state) {
  if (state_ == state || state_ == TransportState::Closed || state_ == TransportState::Failed) return;
  state_ = state;
  if (on_state_) on_state_(state);
}

}  // namespace parley::rtc
