#pragma once
// A DTLS 1.2 endpoint (RFC 6347) for WebRTC media: client or server role,
// certificate fingerprint authentication (RFC 8122 / RFC 8827), the use_srtp
// extension and SRTP key export (RFC 5764).
//
// No socket inside. The owner feeds each received datagram to
// handle_datagram() and gets the datagrams to send through the send function
// given at creation (called once per datagram, after OpenSSL has returned, so
// the same code serves UDP and in-memory tests). The owner also runs the
// handshake retransmission timer: after any call, next_timeout() says when
// on_timeout() is due (RFC 6347 §4.2.4).
//
// States: new -> connecting -> connected, or -> failed / closed.
// The remote fingerprint may be given at creation or later with
// set_remote_fingerprint() (the SDP answer can arrive after the ClientHello).
// When it is known during the handshake a mismatching certificate is refused
// with a bad_certificate alert; otherwise it is checked as soon as both the
// handshake and the fingerprint are there, and the transport fails on a
// mismatch. It never reports connected with an unverified peer.
//
// Not thread-safe: one transport belongs to one worker. Callbacks must not
// destroy the transport or call back into it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "dtls/certificate.hpp"
#include "dtls/fingerprint.hpp"
#include "dtls/srtp_keys.hpp"

namespace parley::dtls {

enum class State { new_, connecting, connected, failed, closed };

std::string_view to_string(State state);

struct Config {
  Role role = Role::server;
  // Our certificate; Certificate::process_certificate() in production.
  std::shared_ptr<const Certificate> certificate;
  // From the remote SDP's a=fingerprint; may also be set later.
  std::optional<Fingerprint> remote_fingerprint;
  // use_srtp profiles, most preferred first. The server picks by its own order.
  std::vector<SrtpProfile> srtp_profiles{SrtpProfile::aead_aes_128_gcm, SrtpProfile::aes128_cm_hmac_sha1_80};
  // Fail the handshake when the peer negotiates no SRTP profile.
  bool require_srtp = true;
  // Largest datagram we send (IPv6 + UDP + TURN framing fit under 1280).
  std::size_t mtu = 1200;
  // Retransmission timer: starts at initial, doubles up to max (RFC 6347 §4.2.4.1).
  // initial must be at least 20 ms (OpenSSL sees < 15 ms left as expired).
  std::chrono::milliseconds initial_retransmit_timeout{1000};
  std::chrono::milliseconds max_retransmit_timeout{60000};
  // Retransmissions of one flight before the handshake fails.
  int max_retransmissions = 6;
};

class DtlsTransport {
 public:
  using SendFunction = std::function<void(std::span<const std::uint8_t> datagram)>;
  using StateFunction = std::function<void(State state)>;
  using DataFunction = std::function<void(std::span<const std::uint8_t> data)>;

  static std::expected<std::unique_ptr<DtlsTransport>, std::string> create(Config config, SendFunction send);

  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Called for every state change, in order, after the datagrams of that step
  // were handed to the send function.
  void on_state_change(StateFunction fn) { on_state_ = std::move(fn); }
  // Application data received once connected (e.g. SCTP for data channels).
  void on_data(DataFunction fn) { on_data_ = std::move(fn); }

  // new -> connecting. The client sends its ClientHello; the server waits.
  // A server also starts by itself on its first datagram.
  void start();

  // One received datagram. Datagrams that are not well-formed DTLS records
  // are ignored (counted in ignored_datagrams()).
  void handle_datagram(std::span<const std::uint8_t> datagram);

  // Time until on_timeout() is due, or nullopt when no timer runs.
  std::optional<std::chrono::milliseconds> next_timeout() const;
  // Retransmits the last flight if its timer expired; after
  // max_retransmissions of one flight the transport fails.
  void on_timeout();

  // Sets (or replaces, before it is used) the fingerprint from the remote SDP.
  // Returns false when the transport already verified another one.
  bool set_remote_fingerprint(Fingerprint fingerprint);

  // Application data over DTLS; only when connected.
  std::expected<void, std::string> send(std::span<const std::uint8_t> data);

  // Sends close_notify (when connected) and moves to closed.
  void close();

  State state() const { return state_; }
  Role role() const { return config_.role; }
  // Why the transport failed ("" otherwise).
  const std::string& error() const { return error_; }
  // Only once connected, i.e. never for an unverified peer.
  const std::optional<SrtpKeys>& srtp_keys() const;
  std::optional<SrtpProfile> srtp_profile() const;
  // Fingerprint of the certificate the peer presented (once received).
  const std::optional<Fingerprint>& remote_certificate_fingerprint() const { return remote_cert_fingerprint_; }
  const Fingerprint& local_fingerprint() const { return config_.certificate->fingerprint(); }
  // Retransmissions made so far (all flights).
  int retransmissions() const { return total_retransmissions_; }
  // Datagrams dropped before reaching OpenSSL because they were malformed.
  std::uint64_t ignored_datagrams() const { return ignored_datagrams_; }

 private:
  struct Bio;  // custom datagram BIO glue
  friend struct Bio;

  DtlsTransport(Config config, SendFunction send);
  std::expected<void, std::string> init();

  void drive();             // runs the handshake / reads records
  void drive_handshake();
  void read_records();
  void handshake_finished();
  void maybe_complete();    // verify fingerprint + export keys -> connected
  void fail(std::string message);
  void set_state(State state);
  void queue_datagrams(std::span<const std::uint8_t> data);  // from the BIO
  void flush();             // hands queued datagrams to send_
  void notify();            // runs the state callback if the state changed

  static int verify_callback(int preverify_ok, X509_STORE_CTX* ctx);
  static unsigned int timer_callback(SSL* ssl, unsigned int previous_us);

  Config config_;
  SendFunction send_;
  StateFunction on_state_;
  DataFunction on_data_;
  SSL* ssl_ = nullptr;

  State state_ = State::new_;
  std::vector<State> pending_states_;  // transitions not yet reported
  std::string error_;
  std::string verify_error_;
  bool handshake_done_ = false;
  std::optional<SrtpKeys> srtp_keys_;
  std::optional<Fingerprint> remote_cert_fingerprint_;

  // Datagram being fed to OpenSSL, and datagrams OpenSSL wrote.
  std::span<const std::uint8_t> incoming_;
  std::vector<std::vector<std::uint8_t>> outgoing_;

  int flight_retransmissions_ = 0;
  int total_retransmissions_ = 0;
  std::uint64_t ignored_datagrams_ = 0;
};

}  // namespace parley::dtls
