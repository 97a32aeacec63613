#include "turn/worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "common/clock.hpp"
#include "net/socket_util.hpp"
#include "stun/asio_endpoint.hpp"

namespace parley::turn {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using stun::MessageClass;
using stun::Method;
namespace ec = stun::error_codes;

namespace {

// The biggest frame a stream client may send: a Send indication or a
// ChannelData message carrying the largest datagram we relay.
constexpr std::size_t kMaxStreamFrame = net::kMaxDatagram + 256;
constexpr std::size_t kMaxStreamQueue = 256 * 1024;
constexpr auto kSweepPeriod = std::chrono::milliseconds(250);

PeerAddress to_peer(const asio::ip::address& a, std::uint16_t port) {
  PeerAddress p;
  p.port = port;
  if (a.is_v6() && !a.to_v6().is_v4_mapped()) {
    const auto b = a.to_v6().to_bytes();
    p.ip = net::IpAddress::from_v6(std::span<const std::uint8_t, 16>(b.data(), 16));
  } else {
    const auto v4 = a.is_v4() ? a.to_v4() : asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    const auto b = v4.to_bytes();
    p.ip = net::IpAddress::from_v4(std::span<const std::uint8_t, 4>(b.data(), 4));
  }
  return p;
}

template <class Endpoint>
PeerAddress to_peer(const Endpoint& ep) {
  return to_peer(ep.address(), ep.port());
}

PeerAddress to_peer(const stun::SocketAddress& a) {
  PeerAddress p;
  p.port = a.port;
  p.ip.v4 = a.family == stun::AddressFamily::IPv4;
  p.ip.bytes = a.ip;
  if (p.ip.v4) std::fill(p.ip.bytes.begin() + 4, p.ip.bytes.end(), 0);
  return p;
}

stun::SocketAddress to_stun(const PeerAddress& p) {
  stun::SocketAddress a;
  a.family = p.ip.v4 ? stun::AddressFamily::IPv4 : stun::AddressFamily::IPv6;
  a.ip = p.ip.bytes;
  a.port = p.port;
  return a;
}

udp::endpoint to_udp(const PeerAddress& p) {
  if (p.ip.v4) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(p.ip.bytes.begin(), 4, b.begin());
    return {asio::ip::address_v4(b), p.port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(p.ip.bytes.begin(), 16, b.begin());
  return {asio::ip::address_v6(b), p.port};
}

stun::AddressFamily family_of(const asio::ip::address& a) {
  return a.is_v4() ? stun::AddressFamily::IPv4 : stun::AddressFamily::IPv6;
}

}  // namespace

// ---------------------------------------------------------------------------
// TCP and TLS connections: frames STUN messages and ChannelData out of the
// byte stream (RFC 8489 §6.2.2, RFC 8656 §12.5), queues answers with a bound.

template <class Stream>
class StreamConnImpl final : public StreamConn {
 public:
  template <class... Args>
  StreamConnImpl(Worker& worker, Args&&... args)
      : worker_(worker), stream_(std::forward<Args>(args)...), in_(kMaxStreamFrame) {}

  void start() override {
    auto self = shared_from_this();
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket>>) {
      stream_.async_handshake(ssl::stream_base::server, [this, self](boost::system::error_code e) {
        if (e || closed_) return close();
        read();
      });
    } else {
      read();
    }
  }

  void enqueue(std::span<const std::uint8_t> bytes) override {
    if (closed_) return;
    if (pending_.size() + bytes.size() > kMaxStreamQueue) {
      worker_.count_stream_drop();
      return;
    }
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    if (!writing_) write();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();  // on_stream_closed drops the worker's reference
    boost::system::error_code ignored;
    auto& sock = stream_.lowest_layer();
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
    worker_.on_stream_closed(*this);
  }

 private:
  void read() {
    auto self = shared_from_this();
    stream_.async_read_some(
        asio::buffer(in_.data() + filled_, in_.size() - filled_),
        [this, self](boost::system::error_code e, std::size_t n) {
          if (e || closed_) return close();
          filled_ += n;
          last_activity = Clock::now();
          process();
          if (!closed_) read();
        });
  }

  void process() {
    std::size_t off = 0;
    while (!closed_) {
      const std::span<const std::uint8_t> avail(in_.data() + off, filled_ - off);
      if (avail.size() < 4) break;
      std::size_t size = 0;
      if (stun::looks_like_channel_data(avail)) {
        const auto s = stun::channel_data_size(avail, stun::Framing::Stream);
        if (!s) return close();
        size = *s;
      } else if ((avail[0] & 0xC0) == 0) {
        const auto s = stun::message_size(avail);
        if (!s) return close();
        size = *s;
      } else {
        return close();  // neither STUN nor ChannelData: the stream is lost
      }
      if (size > in_.size()) return close();
      if (avail.size() < size) break;
      worker_.on_stream_frame(*this, avail.first(size));
      off += size;
    }
    if (closed_) return;
    if (off > 0) {
      std::memmove(in_.data(), in_.data() + off, filled_ - off);
      filled_ -= off;
    }
    worker_.flush_sends();
  }

  void write() {
    writing_ = true;
    std::swap(pending_, inflight_);
    auto self = shared_from_this();
    asio::async_write(stream_, asio::buffer(inflight_),
                      [this, self](boost::system::error_code e, std::size_t) {
                        writing_ = false;
                        inflight_.clear();
                        if (e || closed_) return close();
                        if (!pending_.empty()) write();
                      });
  }

  Worker& worker_;
  Stream stream_;
  std::vector<std::uint8_t> in_;
  std::size_t filled_ = 0;
  // Two buffers that swap: capacity is kept, so steady traffic allocates
  // nothing.
  std::vector<std::uint8_t> pending_, inflight_;
  bool writing_ = false;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------

Worker::Worker(Shared& shared, unsigned index)
    : shared_(shared),
      index_(index),
      unauth_limiter_(shared.config.unauth_rate, shared.config.unauth_burst),
      tx_(Method::Binding, MessageClass::SuccessResponse, stun::TransactionId{}),
      rng_(std::random_device{}()) {
  sweep_timer_ = std::make_unique<asio::steady_timer>(io_);
}

Worker::~Worker() = default;

void Worker::add_udp_listener(udp::socket socket) {
  const auto local = to_peer(socket.local_endpoint());
  udp_.push_back({std::move(socket), local});
}

void Worker::add_acceptor(tcp::acceptor acceptor, bool tls) {
  acceptors_.emplace_back(std::move(acceptor), tls);
}

void Worker::start() {
  for (std::size_t i = 0; i < udp_.size(); ++i) arm_udp(i);
  for (std::size_t i = 0; i < acceptors_.size(); ++i) arm_accept(i);
  arm_sweep();
}

void Worker::run() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      // A bug in a handler must not take the relay down for everyone.
      spdlog::error("turn worker {}: {}", index_, e.what());
    }
  }
}

void Worker::stop() {
  asio::post(io_, [this] { shutdown(); });
}

void Worker::shutdown() {
  stopping_ = true;
  flush_sends();
  boost::system::error_code ignored;
  sweep_timer_->cancel();
  for (auto& l : udp_) l.socket.close(ignored);
  for (auto& [a, tls] : acceptors_) a.close(ignored);
  std::vector<std::shared_ptr<StreamConn>> conns(conns_.begin(), conns_.end());
  for (auto& c : conns) c->close();
  for (const auto& t : table_.tuples()) erase_allocation(t);
  io_.stop();
}

void Worker::publish_stats() {
  auto& m = shared_.metrics;
  if (stats_.packets_to_peer) {
    m.packets_to_peer.inc(stats_.packets_to_peer);
    m.bytes_to_peer.inc(stats_.bytes_to_peer);
  }
  if (stats_.packets_to_client) {
    m.packets_to_client.inc(stats_.packets_to_client);
    m.bytes_to_client.inc(stats_.bytes_to_client);
  }
  if (stats_.dropped_bandwidth) m.dropped_bandwidth.inc(stats_.dropped_bandwidth);
  if (stats_.dropped_permission) m.dropped_no_permission.inc(stats_.dropped_permission);
  if (stats_.dropped_queue) m.dropped_queue_full.inc(stats_.dropped_queue);
  stats_ = {};
}

void Worker::flush_sends() {
  to_peer_.flush();
  to_client_.flush();
}

// ---------------------------------------------------------------------------
// Sockets

void Worker::arm_udp(std::size_t index) {
  udp_[index].socket.async_wait(udp::socket::wait_read, [this, index](boost::system::error_code e) {
    if (e || stopping_) return;
    on_udp_readable(index);
    arm_udp(index);
  });
}

void Worker::on_udp_readable(std::size_t index) {
  auto& l = udp_[index];
  const int fd = l.socket.native_handle();
  // A few batches, then back to the loop so relays get their turn.
  for (int round = 0; round < 8; ++round) {
    const std::size_t n = rx_.receive(fd);
    if (n == 0) break;
    const auto now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (rx_.truncated(i)) continue;
      Client c;
      c.udp_from = rx_.from(i);
      c.tuple = {Transport::Udp, to_peer(c.udp_from), l.local};
      c.listen_fd = fd;
      handle_message(c, rx_.data(i), now);
    }
    flush_sends();
    if (n < net::kBatchSize) break;
  }
  publish_stats();
}

void Worker::arm_accept(std::size_t index) {
  auto& [acceptor, tls] = acceptors_[index];
  acceptor.async_accept([this, index](boost::system::error_code e, tcp::socket socket) {
    if (stopping_) return;
    if (e) {
      if (e == asio::error::operation_aborted) return;
      // Out of descriptors and the like: breathe, then accept again.
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, index, timer](boost::system::error_code) {
        if (!stopping_) arm_accept(index);
      });
      return;
    }
    const bool tls = acceptors_[index].second;
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto remote = socket.remote_endpoint(ignored);
    const auto local = socket.local_endpoint(ignored);
    std::shared_ptr<StreamConn> conn;
    if (tls && shared_.tls) {
      conn = std::make_shared<StreamConnImpl<ssl::stream<tcp::socket>>>(*this, std::move(socket),
                                                                         *shared_.tls);
    } else {
      conn = std::make_shared<StreamConnImpl<tcp::socket>>(*this, std::move(socket));
    }
    conn->tuple = {tls ? Transport::Tls : Transport::Tcp, to_peer(remote), to_peer(local)};
    conn->last_activity = Clock::now();
    conns_.insert(conn);
    conn->start();
    arm_accept(index);
  });
}

void Worker::on_stream_frame(StreamConn& conn, std::span<const std::uint8_t> frame) {
  Client c;
  c.tuple = conn.tuple;
  c.stream = &conn;
  handle_message(c, frame, Clock::now());
  publish_stats();
}

void Worker::on_stream_closed(StreamConn& conn) {
  // RFC 8656 §3.1: the allocation of a TCP/TLS client lives and dies with
  // its connection.
  erase_allocation(conn.tuple);
  std::erase_if(conns_, [&](const auto& p) { return p.get() == &conn; });
}

void Worker::arm_relay(const std::shared_ptr<Relay>& relay) {
  relay->socket.async_wait(udp::socket::wait_read, [this, relay](boost::system::error_code e) {
    if (e || stopping_ || relay->closed) return;
    on_relay_readable(*relay);
    if (!relay->closed) arm_relay(relay);
  });
}

void Worker::arm_sweep() {
  sweep_timer_->expires_after(kSweepPeriod);
  sweep_timer_->async_wait([this](boost::system::error_code e) {
    if (e || stopping_) return;
    sweep();
    arm_sweep();
  });
}

void Worker::sweep() {
  const auto now = Clock::now();
  for (const auto& t : table_.sweep(now)) {
    spdlog::debug("turn: allocation of {} expired", t.client.ip.to_string());
    erase_allocation(t);
  }
  if (index_ == 0) shared_.ports.expire(now);
  const auto idle = std::chrono::seconds(shared_.config.stream_idle_seconds);
  std::vector<std::shared_ptr<StreamConn>> idle_conns;
  for (const auto& c : conns_)
    if (!table_.find(c->tuple) && now - c->last_activity > idle) idle_conns.push_back(c);
  for (auto& c : idle_conns) c->close();
  publish_stats();
}

void Worker::erase_allocation(const FiveTuple& tuple) {
  // Queued datagrams name the relay's descriptor: send them before it closes
  // (and before the number can be reused by a new socket).
  flush_sends();
  auto relay = table_.erase(tuple);
  if (!relay) return;
  relay->closed = true;
  boost::system::error_code ignored;
  relay->socket.close(ignored);
  shared_.ports.release(relay->alloc.relayed().port);
  shared_.quota.release(relay->alloc.principal());
  shared_.metrics.allocations_active.add(-1);
}

// ---------------------------------------------------------------------------
// Sending

void Worker::send_to_client(const Client& c, std::span<const std::uint8_t> bytes) {
  if (c.stream)
    c.stream->enqueue(bytes);
  else
    to_client_.push(c.listen_fd, c.udp_from, bytes);
}

void Worker::send_to_client(const Relay& r, std::span<const std::uint8_t> bytes) {
  if (r.listen_fd >= 0) {
    to_client_.push(r.listen_fd, r.client_udp, bytes);
  } else if (auto s = r.stream.lock()) {
    s->enqueue(bytes);
  } else {
    return;
  }
  ++stats_.packets_to_client;
  stats_.bytes_to_client += bytes.size();
}

void Worker::relay_to_peer(Relay& r, const PeerAddress& peer, std::span<const std::uint8_t> data,
                           TimePoint now) {
  // Permissions are per IP (RFC 8656 §9); the server's own ports are never a
  // destination, whatever the permission.
  if (peer.port == 0 || shared_.policy.is_self(peer.ip, peer.port)) {
    ++stats_.dropped_permission;
    return;
  }
  if (!r.alloc.take_bandwidth(data.size(), now)) {
    ++stats_.dropped_bandwidth;
    return;
  }
  if (!to_peer_.push(r.socket.native_handle(), to_udp(peer), data)) return;
  ++stats_.packets_to_peer;
  stats_.bytes_to_peer += data.size();
}

stun::TransactionId Worker::next_indication_id() {
  stun::TransactionId id;
  const std::uint64_t a = rng_(), b = rng_();
  std::memcpy(id.bytes.data(), &a, 8);
  std::memcpy(id.bytes.data() + 8, &b, 4);
  return id;
}

// RFC 8656 §10.3 (Data indication), §12.7 (ChannelData): from a peer.
void Worker::on_relay_readable(Relay& r) {
  const int fd = r.socket.native_handle();
  const bool stream = r.listen_fd < 0;
  for (int round = 0; round < 8 && !r.closed; ++round) {
    const std::size_t n = rx_.receive(fd);
    if (n == 0) break;
    const auto now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (rx_.truncated(i)) continue;
      const auto from = rx_.from(i);
      const auto peer = to_peer(from);
      const auto data = rx_.data(i);
      if (!r.alloc.permissions().allowed(peer.ip, now)) {
        ++stats_.dropped_permission;
        continue;
      }
      if (!r.alloc.take_bandwidth(data.size(), now)) {
        ++stats_.dropped_bandwidth;
        continue;
      }
      if (const auto ch = r.alloc.channels().channel_of(peer, now)) {
        const auto framing = stream ? stun::Framing::Stream : stun::Framing::Datagram;
        if (!stream) {
          const auto slot = to_client_.slot(r.listen_fd, r.client_udp);
          if (const auto w = stun::encode_channel_data(slot, *ch, data, framing)) {
            to_client_.commit(*w);
            ++stats_.packets_to_client;
            stats_.bytes_to_client += *w;
          }
        } else if (const auto w = stun::encode_channel_data(scratch_, *ch, data, framing)) {
          send_to_client(r, std::span<const std::uint8_t>(scratch_.data(), *w));
        }
        continue;
      }
      tx_.reset({Method::Data, MessageClass::Indication}, next_indication_id());
      tx_.add(stun::XorPeerAddress{to_stun(peer)}).add(stun::Data{data});
      if (const auto bytes = tx_.finish()) send_to_client(r, *bytes);
    }
    flush_sends();
    if (n < net::kBatchSize) break;
  }
  publish_stats();
}

// ---------------------------------------------------------------------------
// Dispatch

void Worker::handle_message(const Client& c, std::span<const std::uint8_t> bytes, TimePoint now) {
  if (bytes.empty()) return;
  if (stun::looks_like_channel_data(bytes)) return handle_channel_data(c, bytes, now);
  const auto msg = stun::Message::parse(bytes);
  if (!msg) return;  // RFC 8489 §6.3: not STUN, silently discarded
  if (msg->trailers().fingerprint != stun::TrailerLayout::kAbsent &&
      !stun::verify_fingerprint(*msg))
    return;  // RFC 8489 §7.3
  switch (msg->message_class()) {
    case MessageClass::Request:
      handle_request(c, *msg, now);
      break;
    case MessageClass::Indication:
      if (msg->method() == Method::Send) handle_send(c, *msg, now);
      break;
    default:
      break;  // responses are not for a server
  }
}

// RFC 8656 §12.6: ChannelData from the client.
void Worker::handle_channel_data(const Client& c, std::span<const std::uint8_t> bytes,
                                 TimePoint now) {
  const auto cd = stun::parse_channel_data(
      bytes, c.stream ? stun::Framing::Stream : stun::Framing::Datagram);
  if (!cd) return;
  auto* r = table_.find(c.tuple);
  if (!r) return;
  const auto* peer = r->alloc.channels().peer_of(cd->channel, now);
  if (!peer) return;  // not bound: discarded
  if (!r->alloc.permissions().allowed(peer->ip, now)) {
    ++stats_.dropped_permission;
    return;
  }
  relay_to_peer(*r, *peer, cd->data, now);
}

// RFC 8656 §10.2: Send indication.
void Worker::handle_send(const Client& c, const stun::Message& ind, TimePoint now) {
  auto* r = table_.find(c.tuple);
  if (!r) return;
  const auto peer = ind.get<stun::XorPeerAddress>();
  const auto data = ind.get<stun::Data>();
  if (!peer || !data) return;
  const auto p = to_peer(peer->address);
  if (p.ip.v4 != r->alloc.relayed().ip.v4) return;
  if (!r->alloc.permissions().allowed(p.ip, now)) {
    ++stats_.dropped_permission;
    return;
  }
  relay_to_peer(*r, p, data->value, now);
}

template <class Fill>
void Worker::reply(const Client& c, const stun::Message& req, MessageClass cls,
                   const stun::LongTermKey* key, Fill&& fill) {
  tx_.reset({req.method(), cls}, req.transaction_id());
  fill(tx_);
  tx_.add(stun::Software{"parley"});
  if (key) {
    if (req.has(stun::AttributeType::MessageIntegritySha256))
      tx_.add_message_integrity_sha256(key->view());
    else
      tx_.add_message_integrity(key->view());
  }
  tx_.add_fingerprint();
  const auto bytes = tx_.finish();
  if (!bytes) {
    spdlog::warn("turn: cannot encode an answer: {}", stun::to_string(bytes.error()));
    return;
  }
  send_to_client(c, *bytes);
}

void Worker::reply_error(const Client& c, const stun::Message& req, std::uint16_t code,
                         const stun::LongTermKey* key) {
  reply(c, req, MessageClass::ErrorResponse, key, [&](stun::Builder& b) {
    b.add(stun::ErrorCode{code, ec::reason_phrase(code)});
  });
}

void Worker::challenge(const Client& c, const stun::Message& req, std::uint16_t code,
                       TimePoint now) {
  if (!unauth_limiter_.allow(c.tuple.client.ip, now)) return;  // rate-limited: silence
  const auto nonce = shared_.nonces.issue(unix_now(), c.tuple.client.ip.view());
  reply(c, req, MessageClass::ErrorResponse, nullptr, [&](stun::Builder& b) {
    b.add(stun::ErrorCode{code, ec::reason_phrase(code)})
        .add(stun::Realm{shared_.credentials.realm()})
        .add(stun::Nonce{nonce});
  });
}

void Worker::handle_request(const Client& c, const stun::Message& req, TimePoint now) {
  switch (req.method()) {
    case Method::Binding: {
      // RFC 8489 §6.3.1: open to all, no authentication.
      if (auto unknown = req.unknown_comprehension_required(); !unknown.empty()) {
        reply(c, req, MessageClass::ErrorResponse, nullptr, [&](stun::Builder& b) {
          b.add(stun::ErrorCode{ec::kUnknownAttribute, ec::reason_phrase(ec::kUnknownAttribute)})
              .add(stun::UnknownAttributes{std::move(unknown)});
        });
        return;
      }
      reply(c, req, MessageClass::SuccessResponse, nullptr, [&](stun::Builder& b) {
        b.add(stun::XorMappedAddress{to_stun(c.tuple.client)});
      });
      return;
    }
    case Method::Allocate:
    case Method::Refresh:
    case Method::CreatePermission:
    case Method::ChannelBind:
      break;
    default:
      reply_error(c, req, ec::kBadRequest, nullptr);
      return;
  }
  const auto auth = authenticate(c, req, now);
  if (!auth) return;
  if (auto unknown = req.unknown_comprehension_required(); !unknown.empty()) {
    reply(c, req, MessageClass::ErrorResponse, &auth->key, [&](stun::Builder& b) {
      b.add(stun::ErrorCode{ec::kUnknownAttribute, ec::reason_phrase(ec::kUnknownAttribute)})
          .add(stun::UnknownAttributes{std::move(unknown)});
    });
    return;
  }
  switch (req.method()) {
    case Method::Allocate: return handle_allocate(c, req, *auth, now);
    case Method::Refresh: return handle_refresh(c, req, *auth, now);
    case Method::CreatePermission: return handle_create_permission(c, req, *auth, now);
    case Method::ChannelBind: return handle_channel_bind(c, req, *auth, now);
    default: return;
  }
}

// RFC 8489 §9.2.4: long-term credential checks, in the RFC's order.
std::optional<Worker::AuthOk> Worker::authenticate(const Client& c, const stun::Message& req,
                                                   TimePoint now) {
  auto& m = shared_.metrics;
  if (!req.has(stun::AttributeType::MessageIntegrity) &&
      !req.has(stun::AttributeType::MessageIntegritySha256)) {
    challenge(c, req, ec::kUnauthenticated, now);  // first contact: no anonymous TURN
    return std::nullopt;
  }
  const auto user = req.get<stun::Username>();
  const auto realm = req.get<stun::Realm>();
  const auto nonce = req.get<stun::Nonce>();
  if (!user || !realm || !nonce) {
    m.auth_failure("bad_request");
    reply_error(c, req, ec::kBadRequest, nullptr);
    return std::nullopt;
  }
  const auto unix = unix_now();
  if (shared_.nonces.check(nonce->value, unix, c.tuple.client.ip.view()) !=
      NonceService::Verdict::Fresh) {
    m.auth_failure("stale_nonce");
    challenge(c, req, ec::kStaleNonce, now);
    return std::nullopt;
  }
  if (realm->value != shared_.credentials.realm()) {
    m.auth_failure("wrong_realm");
    challenge(c, req, ec::kUnauthenticated, now);
    return std::nullopt;
  }
  AuthOk ok;
  const auto key = shared_.credentials.key_for(user->value, unix, &ok.principal);
  if (!key) {
    m.auth_failure(key.error() == CredentialError::Expired ? "expired" : "unknown_user");
    challenge(c, req, ec::kUnauthenticated, now);
    return std::nullopt;
  }
  if (!stun::verify_integrity(req, key->view())) {
    m.auth_failure("bad_integrity");
    challenge(c, req, ec::kUnauthenticated, now);
    return std::nullopt;
  }
  ok.username = std::string(user->value);
  ok.key = *key;
  return ok;
}

// RFC 8656 §7.2
void Worker::handle_allocate(const Client& c, const stun::Message& req, const AuthOk& auth,
                             TimePoint now) {
  auto& m = shared_.metrics;
  const auto* key = &auth.key;
  const auto refuse = [&](std::uint16_t code, const char* reason) {
    m.refused(reason);
    reply_error(c, req, code, key);
  };
  if (const auto* existing = table_.find(c.tuple)) {
    // A retransmission of the request that created it gets the same answer.
    if (existing->alloc.created_by() == req.transaction_id() &&
        existing->alloc.username() == auth.username)
      return allocate_success(c, req, *existing, auth, false, now);
    return refuse(ec::kAllocationMismatch, "mismatch");
  }
  const auto transport = req.get<stun::RequestedTransport>();
  if (!transport) return refuse(ec::kBadRequest, "bad_request");
  if (transport->protocol != stun::kProtocolUdp)
    return refuse(ec::kUnsupportedTransportProtocol, "transport");
  const bool has_token = req.has(stun::AttributeType::ReservationToken);
  const bool has_even = req.has(stun::AttributeType::EvenPort);
  const bool has_family = req.has(stun::AttributeType::RequestedAddressFamily);
  const bool has_additional = req.has(stun::AttributeType::AdditionalAddressFamily);
  if (has_token && (has_even || has_family)) return refuse(ec::kBadRequest, "bad_request");
  const auto relay_family = family_of(shared_.relay_address);
  auto wanted = stun::AddressFamily::IPv4;  // RFC 8656 §7.2: IPv4 unless asked
  if (has_family) {
    const auto f = req.get<stun::RequestedAddressFamily>();
    if (!f) return refuse(ec::kBadRequest, "bad_request");
    if (has_additional) return refuse(ec::kBadRequest, "bad_request");
    wanted = f->family;
  }
  bool v6_unavailable = false;
  if (has_additional) {
    const auto f = req.get<stun::AdditionalAddressFamily>();
    if (!f || f->family != stun::AddressFamily::IPv6) return refuse(ec::kBadRequest, "bad_request");
    // A dual allocation: we relay on one family; the IPv6 half fails with
    // ADDRESS-ERROR-CODE (RFC 8656 §7.2) when that family is IPv4.
    v6_unavailable = relay_family == stun::AddressFamily::IPv4;
  }
  if (wanted != relay_family) return refuse(ec::kAddressFamilyNotSupported, "family");
  bool reserve_next = false;
  if (has_even) {
    const auto e = req.get<stun::EvenPort>();
    if (!e) return refuse(ec::kBadRequest, "bad_request");
    reserve_next = e->reserve_next;
  }
  std::optional<std::uint32_t> requested_lifetime;
  if (req.has(stun::AttributeType::Lifetime)) {
    const auto l = req.get<stun::Lifetime>();
    if (!l) return refuse(ec::kBadRequest, "bad_request");
    requested_lifetime = l->value;
  }
  std::optional<std::uint64_t> token_value;
  if (has_token) {
    const auto t = req.get<stun::ReservationToken>();
    if (!t) return refuse(ec::kBadRequest, "bad_request");
    token_value = t->value;
  }

  switch (shared_.quota.acquire(auth.principal)) {
    case AllocationQuota::Verdict::Ok: break;
    case AllocationQuota::Verdict::UserQuota:
      return refuse(ec::kAllocationQuotaReached, "user_quota");
    case AllocationQuota::Verdict::TotalQuota:
      return refuse(ec::kAllocationQuotaReached, "total_quota");
  }

  // A relay socket on a port of the range (RFC 8656 §7.2); 508 when none.
  udp::socket socket(io_);
  std::optional<std::uint16_t> port;
  std::optional<std::uint64_t> new_token;
  const auto try_bind = [&](std::uint16_t p) {
    boost::system::error_code e;
    socket.open(shared_.relay_address.is_v4() ? udp::v4() : udp::v6(), e);
    if (!e) socket.bind({shared_.relay_address, p}, e);
    if (!e) socket.non_blocking(true, e);
    if (e) {
      boost::system::error_code ignored;
      socket.close(ignored);
      return false;
    }
    return true;
  };
  if (token_value) {
    if (const auto p = shared_.ports.redeem(*token_value, now)) {
      if (try_bind(*p))
        port = *p;
      else
        shared_.ports.release(*p);
    }
  } else {
    for (int attempt = 0; attempt < 16 && !port; ++attempt) {
      const auto grant = shared_.ports.acquire(has_even, reserve_next, now);
      if (!grant) break;
      if (try_bind(grant->port)) {
        port = grant->port;
        new_token = grant->token;
      } else {
        // Someone outside holds it; give back ours and try another.
        shared_.ports.release(grant->port);
        if (grant->token)
          if (const auto p = shared_.ports.redeem(*grant->token, now)) shared_.ports.release(*p);
      }
    }
  }
  if (!port) {
    shared_.quota.release(auth.principal);
    return refuse(ec::kInsufficientCapacity, "capacity");
  }
  if (req.has(stun::AttributeType::DontFragment))
    net::set_dont_fragment(socket.native_handle(), !shared_.relay_address.is_v4());

  const auto lifetime = allocate_lifetime(requested_lifetime, shared_.config);
  const auto relayed = to_peer(shared_.relay_address, *port);
  Allocation alloc(c.tuple, auth.username, auth.principal, auth.key, req.transaction_id(), relayed,
                   lifetime, shared_.config, now);
  auto relay = std::make_shared<Relay>(std::move(alloc), std::move(socket));
  if (c.stream) {
    relay->stream = c.stream->shared_from_this();
  } else {
    relay->client_udp = c.udp_from;
    relay->listen_fd = c.listen_fd;
  }
  relay->token = new_token;
  table_.insert(relay);
  m.allocations_created.inc();
  m.allocations_active.add(1);
  arm_relay(relay);
  allocate_success(c, req, *relay, auth, v6_unavailable, now);
}

void Worker::allocate_success(const Client& c, const stun::Message& req, const Relay& relay,
                              const AuthOk& auth, bool v6_unavailable, TimePoint now) {
  reply(c, req, MessageClass::SuccessResponse, &auth.key, [&](stun::Builder& b) {
    b.add(stun::XorRelayedAddress{to_stun(relay.alloc.relayed())})
        .add(stun::Lifetime{relay.alloc.seconds_left(now)})
        .add(stun::XorMappedAddress{to_stun(c.tuple.client)});
    if (relay.token) b.add(stun::ReservationToken{*relay.token});
    if (v6_unavailable)
      b.add(stun::AddressErrorCode{stun::AddressFamily::IPv6, ec::kAddressFamilyNotSupported,
                                   ec::reason_phrase(ec::kAddressFamilyNotSupported)});
  });
}

// RFC 8656 §7.3
void Worker::handle_refresh(const Client& c, const stun::Message& req, const AuthOk& auth,
                            TimePoint now) {
  auto* r = table_.find(c.tuple);
  if (!r) return reply_error(c, req, ec::kAllocationMismatch, &auth.key);
  if (r->alloc.username() != auth.username)
    return reply_error(c, req, ec::kWrongCredentials, &auth.key);
  if (req.has(stun::AttributeType::RequestedAddressFamily)) {
    const auto f = req.get<stun::RequestedAddressFamily>();
    if (!f) return reply_error(c, req, ec::kBadRequest, &auth.key);
    if (f->family != family_of(shared_.relay_address))
      return reply_error(c, req, ec::kPeerAddressFamilyMismatch, &auth.key);
  }
  std::optional<std::uint32_t> requested;
  if (req.has(stun::AttributeType::Lifetime)) {
    const auto l = req.get<stun::Lifetime>();
    if (!l) return reply_error(c, req, ec::kBadRequest, &auth.key);
    requested = l->value;
  }
  const auto lifetime = refresh_lifetime(requested, shared_.config);
  // RFC 8656 §7.3: a zero lifetime deletes the allocation. Delete before
  // answering, so that a client told "done" finds its quota free again on
  // any worker.
  if (lifetime == 0)
    erase_allocation(c.tuple);
  else
    r->alloc.set_lifetime(lifetime, now);
  reply(c, req, MessageClass::SuccessResponse, &auth.key,
        [&](stun::Builder& b) { b.add(stun::Lifetime{lifetime}); });
}

// RFC 8656 §9.2
void Worker::handle_create_permission(const Client& c, const stun::Message& req,
                                      const AuthOk& auth, TimePoint now) {
  auto* r = table_.find(c.tuple);
  if (!r) return reply_error(c, req, ec::kAllocationMismatch, &auth.key);
  if (r->alloc.username() != auth.username)
    return reply_error(c, req, ec::kWrongCredentials, &auth.key);
  std::vector<net::IpAddress> ips;
  for (const auto& raw : req.attributes()) {
    if (raw.type != stun::AttributeType::XorPeerAddress) continue;
    const auto peer = stun::XorPeerAddress::decode(raw.value, req.transaction_id());
    if (!peer) return reply_error(c, req, ec::kBadRequest, &auth.key);
    const auto p = to_peer(peer->address);
    // Policy first, on the canonical form: ::ffff:127.0.0.1 is a 403, not a
    // family mismatch.
    if (!shared_.policy.allowed(p.ip, p.port)) {
      shared_.metrics.drop("peer_denied");
      return reply_error(c, req, ec::kForbidden, &auth.key);
    }
    if (p.ip.v4 != r->alloc.relayed().ip.v4)
      return reply_error(c, req, ec::kPeerAddressFamilyMismatch, &auth.key);
    ips.push_back(p.ip);
    if (ips.size() > shared_.config.max_permissions)
      return reply_error(c, req, ec::kInsufficientCapacity, &auth.key);
  }
  if (ips.empty()) return reply_error(c, req, ec::kBadRequest, &auth.key);
  if (!r->alloc.permissions().fits(ips, now))
    return reply_error(c, req, ec::kInsufficientCapacity, &auth.key);
  const auto expires = now + std::chrono::seconds(shared_.config.permission_lifetime);
  for (const auto& ip : ips) r->alloc.permissions().install(ip, expires, now);
  reply(c, req, MessageClass::SuccessResponse, &auth.key, [](stun::Builder&) {});
}

// RFC 8656 §11.2
void Worker::handle_channel_bind(const Client& c, const stun::Message& req, const AuthOk& auth,
                                 TimePoint now) {
  auto* r = table_.find(c.tuple);
  if (!r) return reply_error(c, req, ec::kAllocationMismatch, &auth.key);
  if (r->alloc.username() != auth.username)
    return reply_error(c, req, ec::kWrongCredentials, &auth.key);
  const auto channel = req.get<stun::ChannelNumber>();
  const auto peer = req.get<stun::XorPeerAddress>();
  if (!channel || !peer || !stun::is_valid_channel_number(channel->channel))
    return reply_error(c, req, ec::kBadRequest, &auth.key);
  const auto p = to_peer(peer->address);
  if (!shared_.policy.allowed(p.ip, p.port)) {
    shared_.metrics.drop("peer_denied");
    return reply_error(c, req, ec::kForbidden, &auth.key);
  }
  if (p.ip.v4 != r->alloc.relayed().ip.v4)
    return reply_error(c, req, ec::kPeerAddressFamilyMismatch, &auth.key);
  switch (r->alloc.channels().can_bind(channel->channel, p, now)) {
    case Channels::Verdict::Ok: break;
    case Channels::Verdict::Full: return reply_error(c, req, ec::kInsufficientCapacity, &auth.key);
    default: return reply_error(c, req, ec::kBadRequest, &auth.key);
  }
  const std::array<net::IpAddress, 1> one{p.ip};
  if (!r->alloc.permissions().fits(one, now))
    return reply_error(c, req, ec::kInsufficientCapacity, &auth.key);
  r->alloc.channels().bind(channel->channel, p,
                           now + std::chrono::seconds(shared_.config.channel_lifetime), now);
  // §11.2: binding also installs or refreshes the permission.
  r->alloc.permissions().install(p.ip, now + std::chrono::seconds(shared_.config.permission_lifetime),
                                 now);
  reply(c, req, MessageClass::SuccessResponse, &auth.key, [](stun::Builder&) {});
}

}  // namespace parley::turn
