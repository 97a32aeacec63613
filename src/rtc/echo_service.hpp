#pragma once

// The echo service behind /api/v1/echo (WHIP-style, RFC 9725): each session
// is one WebRtcTransport on a media worker with an EchoSession riding on it.
// Sessions are spread over the workers round-robin; a session id names its
// worker, so later requests go straight there. Called from any thread; the
// work is posted to the session's worker and `done` is posted back to
// `completion`.

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ice/credentials.hpp"
#include "sdp/session_description.hpp"

namespace parley::rtc {

class MediaWorker;

struct EchoCreated {
  std::string id;
  std::string answer_sdp;
};

struct EchoError {
  enum class Kind : std::uint8_t { BadOffer, Unavailable, Internal } kind = Kind::BadOffer;
  std::string message;
};

// The outcome of a PATCH (RFC 9725 §4.3.1) on an echo session.
struct EchoIceResult {
  enum class Kind : std::uint8_t { Restarted, Trickle, NotFound, Refused } kind = Kind::NotFound;
  std::string fragment;  // Restarted: our answer, application/trickle-ice-sdpfrag
  std::string message;   // Refused: why
};

class EchoService {
 public:
  explicit EchoService(std::vector<MediaWorker*> workers, std::size_t max_sessions_per_worker = 1000);
  ~EchoService();
  EchoService(const EchoService&) = delete;
  EchoService& operator=(const EchoService&) = delete;

  // Ends every session; call on each worker's thread before it closes its
  // transports (MediaWorker::stop's before_close).
  void shutdown_on(MediaWorker& worker);

  using CreateHandler = std::function<void(std::expected<EchoCreated, EchoError>)>;
  using CloseHandler = std::function<void(bool found)>;
  using IceHandler = std::function<void(EchoIceResult)>;

  // Answers `offer` with a new echo session owned by `owner`.
  void create(sdp::SessionDescription offer, std::string owner, boost::asio::any_io_executor completion,
              CreateHandler done);
  // Ends the session if `owner` owns it; `done(false)` otherwise.
  void close(std::string id, std::string owner, boost::asio::any_io_executor completion, CloseHandler done);
  // The owner's new remote credentials (from an SDP fragment): if they
  // differ from the current ones, an ICE restart (RFC 8445 §9) with new local
  // credentials; otherwise trickle, which we have nothing to do for (we are
  // lite and the browser's candidates are learned from its checks).
  void update_ice(std::string id, std::string owner, ice::IceCredentials remote,
                  boost::asio::any_io_executor completion, IceHandler done);

 private:
  struct PerWorker;
  PerWorker* worker_for(const std::string& id);

  std::vector<std::unique_ptr<PerWorker>> workers_;
  std::atomic<std::size_t> next_worker_{0};
};

}  // namespace parley::rtc
