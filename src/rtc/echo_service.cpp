#include "rtc/echo_service.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <random>
#include <unordered_map>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "rtc/answer.hpp"
#include "rtc/echo_session.hpp"
#include "rtc/media_worker.hpp"
#include "rtc/sdpfrag.hpp"
#include "sdp/writer.hpp"

namespace parley::rtc {

namespace asio = boost::asio;

// Everything here is touched on its worker's thread only.
struct EchoService::PerWorker {
  struct Session {
    std::unique_ptr<EchoSession> echo;
    ice::TransportId transport = 0;
    std::string owner;
    std::string mid;  // the BUNDLE tag: the section our sdpfrag answers name
  };

  PerWorker(MediaWorker& w, std::size_t index, std::size_t max) : worker(w), index(index), max_sessions(max) {}

  std::expected<EchoCreated, EchoError> create(const sdp::SessionDescription& offer, const std::string& owner);
  EchoIceResult update_ice(const std::string& id, const std::string& owner, const ice::IceCredentials& remote);
  bool close(const std::string& id, const std::string& owner);
  void end(const std::string& id);
  void tick(std::chrono::steady_clock::time_point now) {
    for (auto& [id, s] : sessions) s.echo->on_tick(now);  // RTCP SR + SDES, SCTP start
  }

  MediaWorker& worker;
  std::size_t index;
  std::size_t max_sessions;
  bool ticking = false;
  std::unordered_map<std::string, Session> sessions;
};

std::expected<EchoCreated, EchoError> EchoService::PerWorker::create(const sdp::SessionDescription& offer,
                                                                     const std::string& owner) {
  using Kind = EchoError::Kind;
  if (!ticking) {
    worker.add_tick([this](auto now) { tick(now); });
    ticking = true;
  }
  if (sessions.size() >= max_sessions)
    return std::unexpected(EchoError{Kind::Unavailable, "too many echo sessions"});
  auto local = worker.reserve_transport();
  if (!local) return std::unexpected(EchoError{Kind::Unavailable, local.error()});

  AnswerOptions options;
  options.ice = local->ice;
  options.fingerprint = local->certificate->fingerprint();
  options.candidates = local->candidates;
  options.cname = random_hex(8);
  options.stream_id = "parley-echo";
  std::random_device rd;
  options.session_id = ((std::uint64_t{rd()} << 32) | rd()) & 0x7fffffffffffffffULL;
  auto answer = answer_for(offer, options);
  if (!answer) {
    worker.release_transport(local->id);
    return std::unexpected(EchoError{Kind::BadOffer, answer.error()});
  }
  // The id names the worker so that later requests are posted straight to it.
  const std::string id = "echo_" + std::to_string(index) + "_" + random_hex(12);
  auto transport = worker.create_transport(
      local->id, RemoteTransport{answer->remote_ice, answer->remote_fingerprint, answer->dtls_role},
      [this, id] { end(id); });
  if (!transport) {
    worker.release_transport(local->id);
    return std::unexpected(EchoError{Kind::Internal, transport.error()});
  }
  Session session;
  session.echo = std::make_unique<EchoSession>(**transport, *answer, options.cname, worker.executor());
  session.transport = local->id;
  session.owner = owner;
  if (auto first = std::ranges::find_if(answer->sections, [](const auto& a) { return a.accepted; });
      first != answer->sections.end())
    session.mid = first->mid;
  sessions.emplace(id, std::move(session));
  spdlog::info("echo session {} created for {}", id, owner);
  return EchoCreated{id, sdp::serialize(answer->description)};
}

EchoIceResult EchoService::PerWorker::update_ice(const std::string& id, const std::string& owner,
                                                 const ice::IceCredentials& remote) {
  using Kind = EchoIceResult::Kind;
  auto it = sessions.find(id);
  if (it == sessions.end() || it->second.owner != owner) return {Kind::NotFound, {}, {}};
  auto& session = it->second;
  // RFC 9725 §4.3.1: the same ufrag/pwd is trickle, new ones an ICE restart.
  if (session.echo->transport().ice().remote_credentials() == remote) return {Kind::Trickle, {}, {}};
  auto creds = worker.restart_ice(session.transport, remote);
  if (!creds) return {Kind::Refused, {}, "the ICE agent refused the restart"};
  spdlog::info("echo session {}: ICE restart", id);
  return {Kind::Restarted, write_sdpfrag(*creds, session.mid, worker.candidates()), {}};
}

bool EchoService::PerWorker::close(const std::string& id, const std::string& owner) {
  auto it = sessions.find(id);
  if (it == sessions.end() || it->second.owner != owner) return false;
  const auto transport = it->second.transport;
  end(id);
  worker.release_transport(transport);
  return true;
}

void EchoService::PerWorker::end(const std::string& id) {
  auto it = sessions.find(id);
  if (it == sessions.end()) return;
  spdlog::info("echo session {} ended ({} packets, {} data channel messages echoed)", id,
               it->second.echo->packets_echoed(), it->second.echo->messages_echoed());
  sessions.erase(it);  // the SCTP association goes before the transport
}

EchoService::EchoService(std::vector<MediaWorker*> workers, std::size_t max_sessions_per_worker) {
  for (std::size_t i = 0; i < workers.size(); ++i)
    workers_.push_back(std::make_unique<PerWorker>(*workers[i], i, max_sessions_per_worker));
}

EchoService::~EchoService() = default;

void EchoService::shutdown_on(MediaWorker& worker) {
  for (auto& w : workers_) {
    if (&w->worker != &worker) continue;
    std::vector<std::string> ids;
    for (const auto& [id, s] : w->sessions) ids.push_back(id);
    for (const auto& id : ids) w->end(id);
  }
}

EchoService::PerWorker* EchoService::worker_for(const std::string& id) {
  // "echo_<worker>_<random>"
  constexpr std::string_view prefix = "echo_";
  if (!id.starts_with(prefix)) return nullptr;
  std::size_t index = 0;
  const auto* begin = id.data() + prefix.size();
  const auto [end, ec] = std::from_chars(begin, id.data() + id.size(), index);
  if (ec != std::errc{} || end == id.data() + id.size() || *end != '_' || index >= workers_.size())
    return nullptr;
  return workers_[index].get();
}

void EchoService::create(sdp::SessionDescription offer, std::string owner, asio::any_io_executor completion,
                         CreateHandler done) {
  if (workers_.empty()) {
    return asio::post(completion, [done = std::move(done)] {
      done(std::unexpected(EchoError{EchoError::Kind::Unavailable, "no media worker"}));
    });
  }
  auto* w = workers_[next_worker_++ % workers_.size()].get();
  asio::post(w->worker.executor(), [w, offer = std::move(offer), owner = std::move(owner),
                                    completion = std::move(completion), done = std::move(done)]() mutable {
    auto result = w->create(offer, owner);
    asio::post(completion, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

void EchoService::close(std::string id, std::string owner, asio::any_io_executor completion,
                        CloseHandler done) {
  auto* w = worker_for(id);
  if (!w) return asio::post(completion, [done = std::move(done)] { done(false); });
  asio::post(w->worker.executor(), [w, id = std::move(id), owner = std::move(owner),
                                    completion = std::move(completion), done = std::move(done)]() mutable {
    const bool found = w->close(id, owner);
    asio::post(completion, [done = std::move(done), found] { done(found); });
  });
}

void EchoService::update_ice(std::string id, std::string owner, ice::IceCredentials remote,
                             asio::any_io_executor completion, IceHandler done) {
  auto* w = worker_for(id);
  if (!w)
    return asio::post(completion, [done = std::move(done)] { done(EchoIceResult{}); });
  asio::post(w->worker.executor(), [w, id = std::move(id), owner = std::move(owner), remote = std::move(remote),
                                    completion = std::move(completion), done = std::move(done)]() mutable {
    auto result = w->update_ice(id, owner, remote);
    asio::post(completion, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

}  // namespace parley::rtc
