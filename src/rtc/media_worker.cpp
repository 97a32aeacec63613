#include "rtc/media_worker.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <stdexcept>

#include "common/log.hpp"
#include "rtc/demux.hpp"
#include "stun/asio_endpoint.hpp"

namespace parley::rtc {

namespace asio = boost::asio;
using asio::ip::udp;

struct MediaWorker::Slot {
  explicit Slot(asio::io_context& io) : dtls_timer(io) {}
  LocalTransport local;
  std::unique_ptr<WebRtcTransport> transport;  // null while only reserved
  ClosedFunction on_closed;
  asio::steady_timer dtls_timer;
};

namespace {

udp::endpoint parse_listen(const std::string& hostport) {
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("expected HOST:PORT, got " + hostport);
  std::string host = hostport.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  return {asio::ip::make_address(host), static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)))};
}

}  // namespace

MediaWorker::MediaWorker(MediaWorkerConfig config) : config_(std::move(config)) {}

MediaWorker::~MediaWorker() { stop(); }

void MediaWorker::bind_sockets(const udp::endpoint& ep) {
  boost::system::error_code ec;
  if (socket_.is_open()) socket_.close(ec);
  socket_.open(ep.protocol());
  socket_.set_option(udp::socket::reuse_address(true));
  socket_.set_option(asio::socket_base::receive_buffer_size(1 << 21), ec);  // best effort
  socket_.set_option(asio::socket_base::send_buffer_size(1 << 21), ec);
  socket_.bind(ep);
  socket_.non_blocking(true);
  tcp_.reset();
  tcp_local_.reset();
  if (!config_.ice_tcp) return;
  // The same IP and port number for TCP (RFC 6544 passive candidate).
  const asio::ip::tcp::endpoint tcp_ep(ep.address(), socket_.local_endpoint().port());
  auto tcp = std::make_unique<TcpMediaListener>(
      io_, config_.tcp_limits,
      [this](std::span<const std::uint8_t> stun) -> std::optional<ice::TransportId> {
        const auto ufrag = ice::stun_local_ufrag(stun);
        if (!ufrag) return std::nullopt;
        return router_.route_by_ufrag(*ufrag);
      },
      [this](ice::TransportId id, std::span<std::uint8_t> buffer, std::size_t len,
             const stun::SocketAddress& from) { deliver(id, buffer, len, from, ice::Clock::now()); });
  if (const auto e = tcp->listen(tcp_ep)) {
    spdlog::debug("media worker: tcp {}:{}: {}", tcp_ep.address().to_string(), tcp_ep.port(), e.message());
    return;
  }
  tcp_local_ = tcp->local_address();
  tcp_ = std::move(tcp);
}

void MediaWorker::start() {
  if (started_) return;
  const auto ep = parse_listen(config_.listen);
  // An ephemeral UDP port's TCP twin may be taken: try a few other ports.
  const int attempts = ep.port() == 0 && config_.ice_tcp ? 8 : 1;
  for (int attempt = 1;; ++attempt) {
    bind_sockets(ep);
    if (tcp_ || !config_.ice_tcp) break;
    if (attempt == attempts) {
      spdlog::warn("media worker: tcp port {} on {} is taken: no ICE-TCP candidate, UDP only",
                   socket_.local_endpoint().port(), ep.address().to_string());
      break;
    }
  }
  local_ = stun::from_endpoint(socket_.local_endpoint());
  announced_ = local_;
  if (!config_.announce_ip.empty()) {
    auto a = stun::SocketAddress::from_string(config_.announce_ip, local_.port);
    if (!a) throw std::runtime_error("media announce IP '" + config_.announce_ip + "' is not an IP address");
    announced_ = *a;
  } else if (ep.address().is_unspecified()) {
    spdlog::warn("media socket bound to {} without --media-announce-ip: announcing 127.0.0.1",
                 ep.address().to_string());
    announced_ = *stun::SocketAddress::from_string("127.0.0.1", local_.port);
  }
  candidates_ = {ice::make_host_candidate(announced_, ice::TransportProtocol::Udp)};
  if (tcp_) {
    // RFC 6544 §4.5: "tcptype passive", the port we listen on; its TCP local
    // preference ranks it below the UDP candidate (§4.2).
    auto announced_tcp = announced_;
    announced_tcp.port = tcp_local_->port;
    candidates_.push_back(ice::make_host_candidate(announced_tcp, ice::TransportProtocol::Tcp));
    tcp_->start();
  }
  started_ = true;
  start_receive();
  start_tick();
  thread_ = std::thread([this] { io_.run(); });
  spdlog::info("media worker on udp {}{} (announced {})", local_.to_string(),
               tcp_ ? " and tcp " + tcp_local_->to_string() : std::string(), announced_.to_string());
}

void MediaWorker::stop(std::function<void()> before_close) {
  if (!started_) return;
  started_ = false;
  asio::post(io_, [this, before_close = std::move(before_close)] {
    if (before_close) before_close();
    std::vector<ice::TransportId> ids;
    for (const auto& [id, s] : slots_) ids.push_back(id);
    for (auto id : ids) remove(id, true);  // close_notify to every browser
    ticks_.clear();
    boost::system::error_code ec;
    tick_.cancel();
    if (tcp_) tcp_->close();
    socket_.close(ec);
    io_.stop();
  });
  if (thread_.joinable()) thread_.join();
  slots_.clear();
}

std::expected<LocalTransport, std::string> MediaWorker::reserve_transport() {
  if (slots_.size() >= config_.max_transports) return std::unexpected("too many media transports");
  auto cert = dtls::Certificate::process_certificate();
  if (!cert) return std::unexpected("DTLS certificate: " + cert.error());
  const ice::TransportId id = next_id_++;
  ice::IceCredentials creds;
  for (int attempt = 0;; ++attempt) {
    creds = ice::generate_credentials();
    if (router_.add_transport(id, creds.ufrag)) break;
    if (attempt == 3) return std::unexpected("cannot register the transport");
  }
  auto slot = std::make_unique<Slot>(io_);
  slot->local = LocalTransport{id, creds, *cert, candidates_};
  auto local = slot->local;
  slots_.emplace(id, std::move(slot));
  return local;
}

std::expected<WebRtcTransport*, std::string> MediaWorker::create_transport(ice::TransportId id,
                                                                           const RemoteTransport& remote,
                                                                           ClosedFunction on_closed) {
  auto it = slots_.find(id);
  if (it == slots_.end()) return std::unexpected("no such transport");
  auto& slot = *it->second;
  if (slot.transport) return std::unexpected("the transport exists already");
  TransportConfig tc;
  tc.id = id;
  tc.local_ice = slot.local.ice;
  tc.remote_ice = remote.ice;
  tc.dtls_role = remote.our_dtls_role;
  tc.certificate = slot.local.certificate;
  tc.remote_fingerprint = remote.fingerprint;
  auto transport = WebRtcTransport::create(
      std::move(tc),
      [this, id](std::span<const std::uint8_t> d, const stun::SocketAddress& to) { send(id, d, to); },
      ice::Clock::now());
  if (!transport) return std::unexpected(transport.error());
  (*transport)->on_remote_address([this, id](const stun::SocketAddress& address) {
    router_.set_selected_address(id, address);
  });
  (*transport)->on_state([this, id](TransportState state) {
    spdlog::debug("media transport {} {}", id, to_string(state));
    if (state == TransportState::Failed || state == TransportState::Closed) schedule_remove(id);
  });
  slot.transport = std::move(*transport);
  slot.on_closed = std::move(on_closed);
  return slot.transport.get();
}

WebRtcTransport* MediaWorker::transport(ice::TransportId id) {
  auto it = slots_.find(id);
  return it == slots_.end() ? nullptr : it->second->transport.get();
}

void MediaWorker::release_transport(ice::TransportId id) { remove(id, false); }

std::optional<ice::IceCredentials> MediaWorker::restart_ice(ice::TransportId id,
                                                            const ice::IceCredentials& remote) {
  auto* t = transport(id);
  if (!t) return std::nullopt;
  ice::IceCredentials creds;
  for (int attempt = 0;; ++attempt) {
    creds = ice::generate_credentials();
    // The previous ufrag keeps routing for the agent's restart overlap.
    if (router_.set_local_ufrag(id, creds.ufrag)) break;
    if (attempt == 3) return std::nullopt;
  }
  if (!t->restart_ice(creds, remote, ice::Clock::now())) return std::nullopt;
  slots_.at(id)->local.ice = creds;
  return creds;
}

void MediaWorker::schedule_remove(ice::TransportId id) {
  asio::post(io_, [this, id] { remove(id, true); });
}

void MediaWorker::remove(ice::TransportId id, bool notify) {
  auto it = slots_.find(id);
  if (it == slots_.end()) return;
  auto slot = std::move(it->second);
  slots_.erase(it);
  router_.remove_transport(id);
  slot->dtls_timer.cancel();
  // The owner lets go of the transport (and what rides on it, e.g. SCTP)
  // before the transport goes.
  if (notify && slot->on_closed) slot->on_closed();
  if (slot->transport) slot->transport->close();  // its state callback only schedules
  // After close(): its close_notify is queued on the connection first.
  if (tcp_) tcp_->close_transport(id);
}

void MediaWorker::arm_dtls_timer(Slot& s) {
  const auto due = s.transport->dtls_timeout();
  if (!due) {
    s.dtls_timer.cancel();
    return;
  }
  s.dtls_timer.expires_after(*due);
  const auto id = s.local.id;
  s.dtls_timer.async_wait([this, id](boost::system::error_code ec) {
    if (ec) return;
    auto it = slots_.find(id);
    if (it == slots_.end() || !it->second->transport) return;
    it->second->transport->on_dtls_timeout();  // RFC 6347 §4.2.4
    arm_dtls_timer(*it->second);
  });
}

void MediaWorker::start_receive() {
  socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;
    on_readable();
  });
}

void MediaWorker::on_readable() {
  const int fd = socket_.native_handle();
  batching_sends_ = true;
  for (int round = 0; round < 16; ++round) {
    const std::size_t n = recv_.receive(fd);
    if (n == 0) break;
    const auto now = ice::Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (recv_.truncated(i)) continue;
      const auto data = recv_.mutable_data(i);
      const auto from = stun::from_endpoint(recv_.from(i));
      const auto id = router_.route(data, from);
      if (!id) continue;
      // The whole slot is ours: SRTP may grow the packet in place.
      deliver(*id, std::span<std::uint8_t>(data.data(), net::kMaxDatagram), data.size(), from, now);
    }
    send_.flush();
  }
  batching_sends_ = false;
  start_receive();
}

void MediaWorker::deliver(ice::TransportId id, std::span<std::uint8_t> buffer, std::size_t len,
                          const stun::SocketAddress& from, ice::TimePoint now) {
  auto it = slots_.find(id);
  if (it == slots_.end() || !it->second->transport) return;  // reserved: the peer retransmits
  const auto cls = classify(buffer.first(len));
  it->second->transport->handle_datagram(buffer, len, from, now);
  // The callbacks may have released the transport.
  if (cls == PacketClass::Dtls || cls == PacketClass::Stun) {
    if (auto again = slots_.find(id); again != slots_.end() && again->second->transport)
      arm_dtls_timer(*again->second);
  }
}

void MediaWorker::start_tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const auto now = ice::Clock::now();
    for (auto& [id, s] : slots_)
      if (s->transport) s->transport->on_tick(now);  // RFC 7675 consent
    for (auto& tick : ticks_) tick(now);
    start_tick();
  });
}

void MediaWorker::send(ice::TransportId id, std::span<const std::uint8_t> datagram,
                       const stun::SocketAddress& to) {
  if (tcp_ && tcp_->send(id, datagram, to)) return;  // RFC 4571 framed on its connection
  if (batching_sends_) {
    send_.push(socket_.native_handle(), stun::to_endpoint<udp::endpoint>(to), datagram);
    return;
  }
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram.data(), datagram.size()), stun::to_endpoint<udp::endpoint>(to), 0,
                  ec);  // non-blocking: a full buffer drops the datagram, as UDP may
}

}  // namespace parley::rtc
