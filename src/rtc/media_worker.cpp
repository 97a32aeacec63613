#include "rtc/media_worker.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include <random>
#include <stdexcept>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "dtls/certificate.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"
#include "rtc/answer.hpp"
#include "rtc/demux.hpp"
#include "rtc/echo_session.hpp"
#include "rtc/sdpfrag.hpp"
#include "sdp/writer.hpp"
#include "stun/asio_endpoint.hpp"

namespace parley::rtc {

namespace asio = boost::asio;
using asio::ip::udp;

struct MediaWorker::Session {
  explicit Session(asio::io_context& io) : dtls_timer(io) {}
  std::unique_ptr<EchoSession> echo;
  std::string echo_id;
  std::string owner;
  std::string mid;  // the BUNDLE tag: the section our sdpfrag answers name
  std::vector<ice::LocalCandidate> candidates;
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

void MediaWorker::start() {
  if (started_) return;
  const auto ep = parse_listen(config_.listen);
  socket_.open(ep.protocol());
  socket_.set_option(udp::socket::reuse_address(true));
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::receive_buffer_size(1 << 20), ec);  // best effort
  socket_.set_option(asio::socket_base::send_buffer_size(1 << 20), ec);
  socket_.bind(ep);
  socket_.non_blocking(true);
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
  started_ = true;
  start_receive();
  start_tick();
  thread_ = std::thread([this] { io_.run(); });
  spdlog::info("media worker on udp {} (announced {})", local_.to_string(), announced_.to_string());
}

void MediaWorker::stop() {
  if (!started_) return;
  started_ = false;
  asio::post(io_, [this] {
    std::vector<ice::TransportId> ids;
    for (const auto& [id, s] : sessions_) ids.push_back(id);
    for (auto id : ids) remove(id);  // close_notify to every browser
    boost::system::error_code ec;
    tick_.cancel();
    socket_.close(ec);
    io_.stop();
  });
  if (thread_.joinable()) thread_.join();
  sessions_.clear();
}

void MediaWorker::create_echo(sdp::SessionDescription offer, std::string owner,
                              asio::any_io_executor completion, CreateHandler done) {
  asio::post(io_, [this, offer = std::move(offer), owner = std::move(owner),
                   completion = std::move(completion), done = std::move(done)]() mutable {
    auto result = do_create(offer, owner);
    asio::post(completion, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

void MediaWorker::close_echo(std::string id, std::string owner, asio::any_io_executor completion,
                             CloseHandler done) {
  asio::post(io_, [this, id = std::move(id), owner = std::move(owner),
                   completion = std::move(completion), done = std::move(done)]() mutable {
    bool found = false;
    if (auto it = by_echo_id_.find(id); it != by_echo_id_.end()) {
      auto s = sessions_.find(it->second);
      if (s != sessions_.end() && s->second->owner == owner) {
        found = true;
        remove(it->second);
      }
    }
    asio::post(completion, [done = std::move(done), found] { done(found); });
  });
}

void MediaWorker::update_echo_ice(std::string id, std::string owner, ice::IceCredentials remote,
                                  asio::any_io_executor completion, IceHandler done) {
  asio::post(io_, [this, id = std::move(id), owner = std::move(owner), remote = std::move(remote),
                   completion = std::move(completion), done = std::move(done)]() mutable {
    auto result = do_update_ice(id, owner, remote);
    asio::post(completion, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

EchoIceResult MediaWorker::do_update_ice(const std::string& id, const std::string& owner,
                                         const ice::IceCredentials& remote) {
  using Kind = EchoIceResult::Kind;
  auto it = by_echo_id_.find(id);
  if (it == by_echo_id_.end()) return {Kind::NotFound, {}, {}};
  auto s = sessions_.find(it->second);
  if (s == sessions_.end() || s->second->owner != owner) return {Kind::NotFound, {}, {}};
  auto& session = *s->second;
  auto& transport = session.echo->transport();
  // RFC 9725 §4.3.1: the same ufrag/pwd is trickle, new ones an ICE restart.
  if (transport.ice().remote_credentials() == remote) return {Kind::Trickle, {}, {}};
  ice::IceCredentials creds;
  for (int attempt = 0;; ++attempt) {
    creds = ice::generate_credentials();
    // The previous ufrag keeps routing for the agent's restart overlap.
    if (router_.set_local_ufrag(it->second, creds.ufrag)) break;
    if (attempt == 3) return {Kind::Refused, {}, "cannot register the new ufrag"};
  }
  if (!transport.restart_ice(creds, remote, ice::Clock::now()))
    return {Kind::Refused, {}, "the ICE agent refused the restart"};
  spdlog::info("echo session {}: ICE restart", id);
  return {Kind::Restarted, write_sdpfrag(creds, session.mid, session.candidates), {}};
}

std::expected<EchoCreated, EchoError> MediaWorker::do_create(const sdp::SessionDescription& offer,
                                                             const std::string& owner) {
  using Kind = EchoError::Kind;
  if (sessions_.size() >= config_.max_sessions)
    return std::unexpected(EchoError{Kind::Unavailable, "too many media sessions"});
  auto cert = dtls::Certificate::process_certificate();
  if (!cert) return std::unexpected(EchoError{Kind::Internal, "DTLS certificate: " + cert.error()});

  const ice::TransportId id = next_id_++;
  ice::IceCredentials creds;
  for (int attempt = 0;; ++attempt) {
    creds = ice::generate_credentials();
    if (router_.add_transport(id, creds.ufrag)) break;
    if (attempt == 3) return std::unexpected(EchoError{Kind::Unavailable, "cannot register transport"});
  }
  auto unregister = [&] { router_.remove_transport(id); };

  AnswerOptions options;
  options.ice = creds;
  options.fingerprint = (*cert)->fingerprint();
  options.candidates.push_back(ice::make_host_candidate(announced_, ice::TransportProtocol::Udp));
  options.cname = random_hex(8);
  options.stream_id = "parley-echo";
  std::random_device rd;
  options.session_id = ((std::uint64_t{rd()} << 32) | rd()) & 0x7fffffffffffffffULL;
  auto answer = answer_for(offer, options);
  if (!answer) {
    unregister();
    return std::unexpected(EchoError{Kind::BadOffer, answer.error()});
  }

  TransportConfig tc;
  tc.id = id;
  tc.local_ice = creds;
  tc.remote_ice = answer->remote_ice;
  tc.dtls_role = answer->dtls_role;
  tc.certificate = *cert;
  tc.remote_fingerprint = answer->remote_fingerprint;
  auto transport = WebRtcTransport::create(
      std::move(tc), [this](std::span<const std::uint8_t> d, const stun::SocketAddress& to) { send(d, to); },
      ice::Clock::now());
  if (!transport) {
    unregister();
    return std::unexpected(EchoError{Kind::Internal, transport.error()});
  }
  (*transport)->on_remote_address([this, id](const stun::SocketAddress& remote) {
    router_.set_selected_address(id, remote);
  });
  (*transport)->on_state([this, id](TransportState state) {
    spdlog::debug("media transport {} {}", id, to_string(state));
    if (state == TransportState::Failed || state == TransportState::Closed) schedule_remove(id);
  });

  auto session = std::make_unique<Session>(io_);
  session->echo = std::make_unique<EchoSession>(std::move(*transport), *answer, options.cname,
                                                io_.get_executor());
  session->echo_id = random_id("echo_");
  session->owner = owner;
  if (auto first = std::ranges::find_if(answer->sections, [](const auto& a) { return a.accepted; });
      first != answer->sections.end())
    session->mid = first->mid;
  session->candidates = options.candidates;
  EchoCreated created{session->echo_id, sdp::serialize(answer->description)};
  by_echo_id_[session->echo_id] = id;
  sessions_.emplace(id, std::move(session));
  spdlog::info("echo session {} created for {}", created.id, owner);
  return created;
}

void MediaWorker::schedule_remove(ice::TransportId id) {
  asio::post(io_, [this, id] { remove(id); });
}

void MediaWorker::remove(ice::TransportId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto session = std::move(it->second);
  sessions_.erase(it);
  router_.remove_transport(id);
  by_echo_id_.erase(session->echo_id);
  session->dtls_timer.cancel();
  session->echo->transport().close();  // its state callback only schedules
  spdlog::info("echo session {} ended ({} packets, {} data channel messages echoed)",
               session->echo_id, session->echo->packets_echoed(), session->echo->messages_echoed());
}

void MediaWorker::arm_dtls_timer(Session& s) {
  const auto due = s.echo->transport().dtls_timeout();
  if (!due) {
    s.dtls_timer.cancel();
    return;
  }
  s.dtls_timer.expires_after(*due);
  const auto id = s.echo->transport().id();
  s.dtls_timer.async_wait([this, id](boost::system::error_code ec) {
    if (ec) return;
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    it->second->echo->transport().on_dtls_timeout();  // RFC 6347 §4.2.4
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
      auto it = sessions_.find(*id);
      if (it == sessions_.end()) continue;
      auto& transport = it->second->echo->transport();
      const auto cls = classify(data);
      // The whole slot is ours: SRTP may grow the packet in place.
      transport.handle_datagram(std::span<std::uint8_t>(data.data(), net::kMaxDatagram), data.size(),
                                from, now);
      if (cls == PacketClass::Dtls || cls == PacketClass::Stun) arm_dtls_timer(*it->second);
    }
  }
  start_receive();
}

void MediaWorker::start_tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const auto now = ice::Clock::now();
    for (auto& [id, s] : sessions_) {
      s->echo->transport().on_tick(now);  // RFC 7675 consent
      s->echo->on_tick(now);              // RTCP SR + SDES
    }
    start_tick();
  });
}

void MediaWorker::send(std::span<const std::uint8_t> datagram, const stun::SocketAddress& to) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram.data(), datagram.size()), stun::to_endpoint<udp::endpoint>(to), 0,
                  ec);  // non-blocking: a full buffer drops the datagram, as UDP may
}

}  // namespace parley::rtc
