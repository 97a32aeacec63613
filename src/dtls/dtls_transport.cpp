#include "dtls/dtls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include "dtls/openssl_error.hpp"

namespace parley::dtls {
namespace {

constexpr std::size_t kRecordHeaderLength = 13;  // DTLS record header
constexpr std::size_t kMinMtu = 256;             // OpenSSL refuses smaller
constexpr std::chrono::milliseconds kMinRetransmitTimeout{20};

// TLS 1.2 AEAD suites with forward secrecy; ECDSA first (our certificate),
// RSA for peers with RSA certificates when we are the client.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";

struct CtxDeleter { void operator()(SSL_CTX* p) const { SSL_CTX_free(p); } };

// One SSL_CTX for the process: everything per transport is set on the SSL.
std::expected<SSL_CTX*, std::string> shared_context() {
  static std::once_flag once;
  static std::unique_ptr<SSL_CTX, CtxDeleter> ctx;
  static std::string error;
  std::call_once(once, [] {
    std::unique_ptr<SSL_CTX, CtxDeleter> c(SSL_CTX_new(DTLS_method()));
    if (!c) {
      error = openssl_failure("dtls: SSL_CTX_new");
      return;
    }
    if (SSL_CTX_set_min_proto_version(c.get(), DTLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(c.get(), DTLS1_2_VERSION) != 1) {
      error = openssl_failure("dtls: restricting to DTLS 1.2");
      return;
    }
    if (SSL_CTX_set_cipher_list(c.get(), kCipherList) != 1) {
      error = openssl_failure("dtls: cipher list");
      return;
    }
    if (SSL_CTX_set1_groups_list(c.get(), "X25519:P-256:P-384") != 1) {
      error = openssl_failure("dtls: groups");
      return;
    }
    SSL_CTX_set_options(c.get(), SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(c.get(), SSL_SESS_CACHE_OFF);
    ctx = std::move(c);
  });
  if (!ctx) return std::unexpected(error);
  return ctx.get();
}

std::uint32_t be(std::span<const std::uint8_t> d, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | d[at + i];
  return v;
}

// Epoch-0 records are not authenticated, and OpenSSL aborts the handshake on
// some malformed ones (e.g. a ChangeCipherSpec of the wrong length) instead of
// discarding them as RFC 6347 §4.1.2.7 asks. So check the framing of every
// record, and the structure of plaintext records, before OpenSSL sees them.
// Encrypted records (epoch > 0) are left to OpenSSL, which drops the ones
// that fail authentication.
bool plausible_dtls_datagram(std::span<const std::uint8_t> d) {
  // RFC 7983: DTLS content types occupy 20..63.
  if (d.size() < kRecordHeaderLength || d[0] < 20 || d[0] > 63) return false;
  std::size_t off = 0;
  while (off < d.size()) {
    if (d.size() - off < kRecordHeaderLength) return false;
    const std::uint8_t type = d[off];
    if (type < 20 || type > 23) return false;      // ccs, alert, handshake, application data
    if (d[off + 1] != 0xFE) return false;          // DTLS 1.x versions are 0xFEXX
    const std::uint32_t epoch = be(d, off + 3, 2);
    const std::size_t length = be(d, off + 11, 2);
    const std::size_t body = off + kRecordHeaderLength;
    if (length > d.size() - body) return false;
    if (epoch == 0) {
      switch (type) {
        case 20:  // ChangeCipherSpec: exactly one byte, value 1
          if (length != 1 || d[body] != 1) return false;
          break;
        case 21:  // Alert: level and description
          if (length != 2) return false;
          break;
        case 22: {  // one or more handshake fragments
          if (length < 12) return false;
          std::size_t p = 0;
          while (p < length) {
            if (length - p < 12) return false;
            const std::uint32_t msg_len = be(d, body + p + 1, 3);
            const std::uint32_t frag_off = be(d, body + p + 6, 3);
            const std::uint32_t frag_len = be(d, body + p + 9, 3);
            if (frag_len > length - p - 12 || frag_off + frag_len > msg_len) return false;
            p += 12 + frag_len;
          }
          break;
        }
        default:  // no application data before the keys
          return false;
      }
    }
    off = body + length;
  }
  return true;
}

}  // namespace

// --- the datagram BIO -------------------------------------------------------
// Writes become one datagram each; reads hand OpenSSL the one datagram being
// processed, whole, and then report "retry" (datagram semantics, unlike a
// memory BIO which would merge datagrams into a byte stream).
struct DtlsTransport::Bio {
  static DtlsTransport* owner(BIO* b) { return static_cast<DtlsTransport*>(BIO_get_data(b)); }

  static int write(BIO* b, const char* in, int inl) {
    BIO_clear_retry_flags(b);
    DtlsTransport* t = owner(b);
    if (t == nullptr || in == nullptr || inl < 0) return -1;
    t->queue_datagrams(std::span(reinterpret_cast<const std::uint8_t*>(in), static_cast<std::size_t>(inl)));
    return inl;
  }

  static int read(BIO* b, char* out, int outl) {
    BIO_clear_retry_flags(b);
    DtlsTransport* t = owner(b);
    if (t == nullptr || out == nullptr || outl <= 0) return -1;
    if (t->incoming_.empty()) {
      BIO_set_retry_read(b);
      return -1;
    }
    // A datagram larger than the read buffer is truncated, as recv() would.
    const std::size_t n = std::min(t->incoming_.size(), static_cast<std::size_t>(outl));
    std::memcpy(out, t->incoming_.data(), n);
    t->incoming_ = {};
    return static_cast<int>(n);
  }

  static long ctrl(BIO*, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING:
      case BIO_CTRL_WPENDING:
      case BIO_CTRL_DGRAM_QUERY_MTU:
      case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      default:
        return 0;
    }
  }

  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }

  static int destroy(BIO* b) {
    if (b == nullptr) return 0;
    BIO_set_data(b, nullptr);
    return 1;
  }

  static std::expected<BIO_METHOD*, std::string> method() {
    static std::once_flag once;
    static BIO_METHOD* m = nullptr;  // lives for the process
    static std::string error;
    std::call_once(once, [] {
      BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "parley-dtls-datagram");
      if (bm == nullptr || BIO_meth_set_write(bm, &Bio::write) != 1 || BIO_meth_set_read(bm, &Bio::read) != 1 ||
          BIO_meth_set_ctrl(bm, &Bio::ctrl) != 1 || BIO_meth_set_create(bm, &Bio::create) != 1 ||
          BIO_meth_set_destroy(bm, &Bio::destroy) != 1) {
        error = openssl_failure("dtls: BIO method");
        if (bm != nullptr) BIO_meth_free(bm);
        return;
      }
      m = bm;
    });
    if (m == nullptr) return std::unexpected(error);
    return m;
  }
};

// --- life cycle ---------------------------------------------------------------

std::string_view to_string(State state) {
  switch (state) {
    case State::new_: return "new";
    case State::connecting: return "connecting";
    case State::connected: return "connected";
    case State::failed: return "failed";
    case State::closed: return "closed";
  }
  return "unknown";
}

DtlsTransport::DtlsTransport(Config config, SendFunction send) : config_(std::move(config)), send_(std::move(send)) {}

DtlsTransport::~DtlsTransport() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees the BIO too
}

std::expected<std::unique_ptr<DtlsTransport>, std::string> DtlsTransport::create(Config config, SendFunction send) {
  if (!config.certificate) return std::unexpected(std::string("dtls: no local certificate"));
  if (!send) return std::unexpected(std::string("dtls: no send function"));
  if (config.mtu < kMinMtu) return std::unexpected("dtls: mtu must be at least " + std::to_string(kMinMtu));
  if (config.max_retransmissions < 0) return std::unexpected(std::string("dtls: negative max_retransmissions"));
  // OpenSSL treats a timer with less than 15 ms left as expired.
  if (config.initial_retransmit_timeout < kMinRetransmitTimeout ||
      config.max_retransmit_timeout < config.initial_retransmit_timeout) {
    return std::unexpected(std::string("dtls: invalid retransmission timeouts"));
  }
  if (config.require_srtp && config.srtp_profiles.empty()) {
    return std::unexpected(std::string("dtls: require_srtp without any SRTP profile"));
  }
  std::unique_ptr<DtlsTransport> t(new DtlsTransport(std::move(config), std::move(send)));
  if (auto r = t->init(); !r) return std::unexpected(r.error());
  return t;
}

std::expected<void, std::string> DtlsTransport::init() {
  ERR_clear_error();
  auto ctx = shared_context();
  if (!ctx) return std::unexpected(ctx.error());
  auto method = Bio::method();
  if (!method) return std::unexpected(method.error());

  ssl_ = SSL_new(*ctx);
  if (ssl_ == nullptr) return std::unexpected(openssl_failure("dtls: SSL_new"));
  SSL_set_app_data(ssl_, this);

  if (SSL_use_certificate(ssl_, config_.certificate->x509()) != 1 ||
      SSL_use_PrivateKey(ssl_, config_.certificate->private_key()) != 1 || SSL_check_private_key(ssl_) != 1) {
    return std::unexpected(openssl_failure("dtls: installing the certificate"));
  }

  // Ask for and require the peer's certificate; it is self-signed, so accept
  // it in the chain check and authenticate it by fingerprint instead.
  SSL_set_verify(ssl_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &DtlsTransport::verify_callback);

  if (!config_.srtp_profiles.empty()) {
    std::string list;
    for (SrtpProfile p : config_.srtp_profiles) {
      if (!list.empty()) list += ':';
      list += openssl_name(p);
    }
    // Note: returns 0 on success.
    if (SSL_set_tlsext_use_srtp(ssl_, list.c_str()) != 0) {
      return std::unexpected(openssl_failure("dtls: use_srtp profiles '" + list + "'"));
    }
  }

  BIO* bio = BIO_new(*method);
  if (bio == nullptr) return std::unexpected(openssl_failure("dtls: BIO_new"));
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO for both directions, owned by ssl_

  if (SSL_set_mtu(ssl_, static_cast<long>(config_.mtu)) == 0) {
    return std::unexpected(openssl_failure("dtls: mtu " + std::to_string(config_.mtu)));
  }
  DTLS_set_timer_cb(ssl_, &DtlsTransport::timer_callback);

  if (config_.role == Role::client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  return {};
}

// --- OpenSSL callbacks ---------------------------------------------------------

int DtlsTransport::verify_callback(int /*preverify_ok*/, X509_STORE_CTX* store) {
  // The chain check fails for a self-signed certificate: ignore it. The leaf
  // is compared with the SDP fingerprint when we know it already.
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  if (self == nullptr) return 0;
  if (X509_STORE_CTX_get_error_depth(store) != 0 || !self->config_.remote_fingerprint) return 1;

  const Fingerprint& expected = *self->config_.remote_fingerprint;
  auto actual = compute_fingerprint(X509_STORE_CTX_get_current_cert(store), expected.algorithm);
  if (!actual) {
    self->verify_error_ = actual.error();
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (*actual != expected) {
    self->verify_error_ = "remote certificate fingerprint mismatch: expected " + expected.to_sdp() + ", got " +
                          actual->to_sdp();
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return 1;
}

unsigned int DtlsTransport::timer_callback(SSL* ssl, unsigned int previous_us) {
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  const auto initial_us = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::microseconds>(self->config_.initial_retransmit_timeout).count());
  const auto max_us = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::microseconds>(self->config_.max_retransmit_timeout).count());
  if (previous_us == 0) {
    // A new flight's timer: its retransmission count starts again.
    self->flight_retransmissions_ = 0;
    return static_cast<unsigned int>(std::min<unsigned long long>(initial_us, 0xFFFFFFFFull));
  }
  // The timer expired and OpenSSL is about to retransmit the flight (from
  // on_timeout, or from its read path when a datagram arrives late).
  ++self->flight_retransmissions_;
  ++self->total_retransmissions_;
  return static_cast<unsigned int>(std::min<unsigned long long>({2ull * previous_us, max_us, 0xFFFFFFFFull}));
}

// --- driving -------------------------------------------------------------------

void DtlsTransport::start() {
  if (state_ != State::new_) return;
  set_state(State::connecting);
  drive();
  flush();
  notify();
}

void DtlsTransport::handle_datagram(std::span<const std::uint8_t> datagram) {
  if (!plausible_dtls_datagram(datagram)) {
    ++ignored_datagrams_;
    return;
  }
  if (state_ == State::new_) {
    if (config_.role == Role::client) {  // nothing to answer before our ClientHello
      ++ignored_datagrams_;
      return;
    }
    set_state(State::connecting);
  }
  if (state_ != State::connecting && state_ != State::connected) return;
  incoming_ = datagram;
  drive();
  incoming_ = {};
  flush();
  notify();
}

void DtlsTransport::drive() {
  if (state_ == State::connecting && !handshake_done_) drive_handshake();
  // Records after the handshake (possibly in the same datagram); also answers
  // a peer that retransmits its last flight.
  if ((state_ == State::connecting && handshake_done_) || state_ == State::connected) read_records();
}

void DtlsTransport::drive_handshake() {
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_finished();
    return;
  }
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return;
  }
  std::string message = "DTLS handshake failed";
  if (!verify_error_.empty()) message += ": " + verify_error_;
  message += ": " + drain_openssl_errors("SSL error " + std::to_string(err));
  fail(std::move(message));
}

void DtlsTransport::handshake_finished() {
  handshake_done_ = true;
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (peer == nullptr) {
    fail("DTLS handshake failed: the peer sent no certificate");
    return;
  }
  const std::string algorithm = config_.remote_fingerprint ? config_.remote_fingerprint->algorithm : "sha-256";
  auto fp = compute_fingerprint(peer, algorithm);
  X509_free(peer);
  if (!fp) {
    fail("DTLS handshake failed: " + fp.error());
    return;
  }
  remote_cert_fingerprint_ = std::move(*fp);

  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (selected != nullptr) {
    auto profile = srtp_profile_from_id(static_cast<std::uint16_t>(selected->id));
    if (!profile) {
      fail("DTLS handshake failed: unsupported SRTP profile " + std::string(selected->name));
      return;
    }
    std::array<std::uint8_t, 64> material{};
    const std::size_t n = srtp_keying_material_length(*profile);
    if (SSL_export_keying_material(ssl_, material.data(), n, kSrtpExporterLabel.data(), kSrtpExporterLabel.size(),
                                   nullptr, 0, 0) != 1) {
      fail(openssl_failure("DTLS-SRTP key export failed"));
      return;
    }
    auto keys = split_srtp_keying_material(*profile, std::span(material.data(), n), config_.role);
    OPENSSL_cleanse(material.data(), material.size());
    if (!keys) {
      fail(keys.error());
      return;
    }
    srtp_keys_ = std::move(*keys);
  } else if (config_.require_srtp) {
    fail("DTLS handshake failed: the peer negotiated no SRTP protection profile (use_srtp)");
    return;
  }
  maybe_complete();
}

void DtlsTransport::maybe_complete() {
  if (state_ != State::connecting || !handshake_done_ || !config_.remote_fingerprint || !remote_cert_fingerprint_) return;
  const Fingerprint& expected = *config_.remote_fingerprint;
  if (remote_cert_fingerprint_->algorithm != expected.algorithm) {
    auto fp = [&]() -> std::expected<Fingerprint, std::string> {
      X509* peer = SSL_get1_peer_certificate(ssl_);
      auto r = compute_fingerprint(peer, expected.algorithm);
      X509_free(peer);
      return r;
    }();
    if (!fp) {
      fail("DTLS handshake failed: " + fp.error());
      return;
    }
    remote_cert_fingerprint_ = std::move(*fp);
  }
  if (*remote_cert_fingerprint_ != expected) {
    // The peer thinks the handshake succeeded: tell it we are leaving.
    SSL_shutdown(ssl_);
    ERR_clear_error();
    fail("DTLS handshake failed: remote certificate fingerprint mismatch: expected " + expected.to_sdp() +
         ", got " + remote_cert_fingerprint_->to_sdp());
    return;
  }
  set_state(State::connected);
}

void DtlsTransport::read_records() {
  std::array<std::uint8_t, 16384> buf;
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n > 0) {
      if (state_ == State::connected && on_data_) on_data_(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
      return;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {  // close_notify from the peer
      ERR_clear_error();
      set_state(State::closed);
      return;
    }
    fail("DTLS connection failed: " + drain_openssl_errors("SSL error " + std::to_string(err)));
    return;
  }
}

std::optional<std::chrono::milliseconds> DtlsTransport::next_timeout() const {
  if (state_ != State::connecting && state_ != State::connected) return std::nullopt;
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_, &tv) != 1) return std::nullopt;
  const auto us = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  return std::chrono::ceil<std::chrono::milliseconds>(us);
}

void DtlsTransport::on_timeout() {
  if (state_ != State::connecting && state_ != State::connected) return;
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_, &tv) != 1 || tv.tv_sec != 0 || tv.tv_usec != 0) return;  // not due
  if (state_ == State::connecting && flight_retransmissions_ >= config_.max_retransmissions) {
    fail("DTLS handshake timed out: no answer after " + std::to_string(flight_retransmissions_) +
         " retransmissions");
    flush();
    notify();
    return;
  }
  ERR_clear_error();
  if (DTLSv1_handle_timeout(ssl_) < 0) {
    fail(openssl_failure("DTLS retransmission failed"));
  }
  flush();
  notify();
}

bool DtlsTransport::set_remote_fingerprint(Fingerprint fingerprint) {
  if (state_ == State::connected) return config_.remote_fingerprint == fingerprint;
  if (state_ == State::failed || state_ == State::closed) return false;
  config_.remote_fingerprint = std::move(fingerprint);
  maybe_complete();
  flush();
  notify();
  return true;
}

std::expected<void, std::string> DtlsTransport::send(std::span<const std::uint8_t> data) {
  if (state_ != State::connected) return std::unexpected("dtls: cannot send in state " + std::string(to_string(state_)));
  if (data.empty()) return {};
  ERR_clear_error();
  const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  if (n <= 0) {
    auto message = "dtls: send failed: " + drain_openssl_errors("SSL error " + std::to_string(SSL_get_error(ssl_, n)));
    flush();
    return std::unexpected(std::move(message));
  }
  flush();
  return {};
}

void DtlsTransport::close() {
  if (state_ == State::closed || state_ == State::failed) return;
  if (state_ == State::connected) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify
    ERR_clear_error();
  }
  set_state(State::closed);
  flush();
  notify();
}

void DtlsTransport::fail(std::string message) {
  if (state_ == State::failed || state_ == State::closed) return;
  error_ = std::move(message);
  srtp_keys_.reset();
  set_state(State::failed);
}

void DtlsTransport::set_state(State state) {
  if (state_ == state) return;
  state_ = state;
  pending_states_.push_back(state);
}

void DtlsTransport::queue_datagrams(std::span<const std::uint8_t> data) {
  // OpenSSL buffers a flight and writes several records at once, and its MTU
  // accounting can overshoot by a few bytes (ChangeCipherSpec + Finished
  // appended). Records may be packed into datagrams freely, so cut the write
  // at record boundaries into datagrams no larger than the MTU.
  const std::size_t mtu = config_.mtu;
  std::size_t start = 0;
  std::size_t off = 0;
  while (off < data.size()) {
    if (data.size() - off < kRecordHeaderLength) break;  // not records: send as is
    const std::size_t record = kRecordHeaderLength + be(data, off + 11, 2);
    if (record > data.size() - off) break;
    if (off > start && off + record - start > mtu) {
      outgoing_.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(start),
                             data.begin() + static_cast<std::ptrdiff_t>(off));
      start = off;
    }
    off += record;
  }
  if (start < data.size()) outgoing_.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(start), data.end());
}

void DtlsTransport::flush() {
  if (outgoing_.empty()) return;
  auto out = std::move(outgoing_);
  outgoing_.clear();
  for (const auto& d : out) send_(d);
}

void DtlsTransport::notify() {
  if (pending_states_.empty()) return;
  auto states = std::move(pending_states_);
  pending_states_.clear();
  if (on_state_) {
    for (State s : states) on_state_(s);
  }
}

const std::optional<SrtpKeys>& DtlsTransport::srtp_keys() const {
  static const std::optional<SrtpKeys> kNone;
  return state_ == State::connected ? srtp_keys_ : kNone;
}

std::optional<SrtpProfile> DtlsTransport::srtp_profile() const {
  if (!srtp_keys()) return std::nullopt;
  return srtp_keys()->profile;
}

}  // namespace parley::dtls
