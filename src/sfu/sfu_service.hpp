#pragma once

// The SFU as the rest of the server sees it: rooms by name, each placed on
// one media worker (the one with the fewest rooms when it is created), and
// participants by id. Callable from any thread: every operation is posted
// to the room's worker, and whatever the participant must hear (answers,
// offers, events, errors with the client's `ref`) goes to its EventSink,
// which is called on the worker thread and must only post.
//
// A room exists while it has participants; the last one out destroys it
// on its worker.

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "sfu/participant.hpp"
#include "sfu/room.hpp"

namespace parley::sfu {

struct SfuCounters {
  metrics::Gauge* rooms = nullptr;
  metrics::Gauge* participants = nullptr;
  metrics::Gauge* tracks = nullptr;
  metrics::Counter* packets_in = nullptr;
  metrics::Counter* bytes_in = nullptr;
  metrics::Counter* packets_out = nullptr;
  metrics::Counter* nacks_received = nullptr;
  metrics::Counter* nacks_sent = nullptr;
  metrics::Counter* plis_received = nullptr;
  metrics::Counter* plis_sent = nullptr;
  metrics::Counter* layer_switches = nullptr;
  metrics::Counter* probes = nullptr;
};

class SfuService {
 public:
  SfuService(std::vector<rtc::MediaWorker*> workers, RoomConfig config, metrics::Registry& metrics);
  ~SfuService();
  SfuService(const SfuService&) = delete;
  SfuService& operator=(const SfuService&) = delete;

  bool available() const { return !workers_.empty(); }
  // Drops the rooms of a worker; call on its thread (MediaWorker::stop's before_close).
  void shutdown_on(rtc::MediaWorker& worker);

  // Joins `room` (created if needed) as a new participant; the sink gets
  // `joined` (with `extra` merged in, e.g. ice_servers) or an error.
  // Returns the participant id: `id` when given (a meeting keeps one id
  // across its main and breakout rooms), else a new one.
  std::string join(const std::string& room, ParticipantInfo info, EventSink sink, boost::json::object extra,
                   boost::json::value ref, std::string id = {});
  void leave(const std::string& participant_id);
  bool is_member(const std::string& participant_id) const;

  // Runs `fn` on the participant's room worker; an error it returns goes
  // to the sink with `ref`. Nothing happens if the participant is gone.
  using RoomOp = std::function<Result<void>(Room& room, const std::string& participant_id)>;
  void with_room(const std::string& participant_id, RoomOp fn, boost::json::value ref);

  // An HTTP-created session (WHIP publisher, WHEP viewer): joins `room` as
  // a participant without a WebSocket and runs `offer` (e.g.
  // Room::publisher_offer) for it on the room's worker. `done` gets the
  // participant id and the answer, or the error (the participant is gone
  // again then). Runs on `completion`.
  using SessionOp = std::function<Result<std::string>(Room& room, const std::string& participant_id)>;
  using SessionDone = std::function<void(Result<std::pair<std::string, std::string>>)>;
  void open_session(const std::string& room, ParticipantInfo info, SessionOp offer,
                    boost::asio::any_io_executor completion, SessionDone done);
  // Ends a session if `user_id` opened it; `done(false)` otherwise.
  void close_session(const std::string& room, const std::string& participant_id, const std::string& user_id,
                     boost::asio::any_io_executor completion, std::function<void(bool)> done);

  // The room's snapshot (GET /api/v1/rooms/{room}), or null if there is no such room.
  void snapshot(const std::string& room, boost::asio::any_io_executor completion,
                std::function<void(std::optional<boost::json::object>)> done);

 private:
  struct RoomEntry {
    std::size_t worker = 0;
    std::unique_ptr<Room> room;
    std::size_t pending = 0;  // operations posted but not run yet
  };
  struct Member {
    std::string room;
    EventSink sink;
  };

  // False when the room is gone (nothing was posted). Once posted, `fn`
  // runs: the room's pending count keeps it open until then.
  bool post_to_room(const std::string& room, std::function<void(Room&)> fn);
  // The room's `pending` was counted under the lock already.
  void post_counted(const std::string& room, std::size_t worker, std::function<void(Room&)> fn);
  void maybe_destroy(const std::string& room);

  std::vector<rtc::MediaWorker*> workers_;
  RoomConfig config_;
  SfuCounters counters_;
  mutable std::mutex mutex_;
  std::map<std::string, RoomEntry> rooms_;
  std::map<std::string, Member> members_;
  std::vector<std::size_t> rooms_per_worker_;
};

}  // namespace parley::sfu
