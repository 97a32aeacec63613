#include "sfu/sfu_service.hpp"

#include <boost/asio/post.hpp>

#include "common/ids.hpp"
#include "common/log.hpp"

namespace parley::sfu {

namespace asio = boost::asio;
namespace json = boost::json;

SfuService::SfuService(std::vector<rtc::MediaWorker*> workers, RoomConfig config, metrics::Registry& metrics)
    : workers_(std::move(workers)), config_(config), rooms_per_worker_(workers_.size(), 0) {
  counters_.rooms = &metrics.gauge("parley_sfu_rooms", "SFU rooms").with();
  counters_.participants = &metrics.gauge("parley_sfu_participants", "participants in SFU rooms").with();
  counters_.tracks = &metrics.gauge("parley_sfu_tracks", "tracks published in SFU rooms").with();
  auto& packets = metrics.counter("parley_sfu_packets_total", "RTP packets through the SFU, by direction");
  counters_.packets_in = &packets.with({{"direction", "in"}});
  counters_.packets_out = &packets.with({{"direction", "out"}});
  counters_.bytes_in = &metrics.counter("parley_sfu_bytes_total", "RTP bytes received from publishers").with();
  auto& nacks = metrics.counter("parley_sfu_nacks_total", "generic NACKs, by direction");
  counters_.nacks_received = &nacks.with({{"direction", "from_subscriber"}});
  counters_.nacks_sent = &nacks.with({{"direction", "to_publisher"}});
  auto& plis = metrics.counter("parley_sfu_plis_total", "keyframe requests (PLI/FIR), by direction");
  counters_.plis_received = &plis.with({{"direction", "from_subscriber"}});
  counters_.plis_sent = &plis.with({{"direction", "to_publisher"}});
  counters_.layer_switches =
      &metrics.counter("parley_sfu_layer_switches_total", "simulcast layer changes decided for subscribers").with();
  counters_.probes =
      &metrics.counter("parley_sfu_probes_total", "bandwidth probe clusters sent to subscribers").with();
}

SfuService::~SfuService() = default;

void SfuService::shutdown_on(rtc::MediaWorker& worker) {
  std::vector<std::unique_ptr<Room>> doomed;
  {
    std::lock_guard lock(mutex_);
    for (auto it = rooms_.begin(); it != rooms_.end();) {
      if (workers_[it->second.worker] == &worker) {
        for (auto m = members_.begin(); m != members_.end();)
          m = m->second.room == it->first ? members_.erase(m) : std::next(m);
        doomed.push_back(std::move(it->second.room));
        it = rooms_.erase(it);
      } else {
        ++it;
      }
    }
  }
  doomed.clear();  // on the worker thread, outside the lock
}

bool SfuService::post_to_room(const std::string& room, std::function<void(Room&)> fn) {
  std::size_t worker = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return false;
    ++it->second.pending;
    worker = it->second.worker;
  }
  post_counted(room, worker, std::move(fn));
  return true;
}

void SfuService::post_counted(const std::string& room, std::size_t worker, std::function<void(Room&)> fn) {
  // `pending` keeps the room alive until this runs (maybe_destroy waits).
  asio::post(workers_[worker]->executor(), [this, room, fn = std::move(fn)] {
    Room* r = nullptr;
    {
      std::lock_guard lock(mutex_);
      auto it = rooms_.find(room);
      if (it == rooms_.end()) return;
      --it->second.pending;
      r = it->second.room.get();
    }
    fn(*r);
    maybe_destroy(room);
  });
}

void SfuService::maybe_destroy(const std::string& room) {
  std::unique_ptr<Room> doomed;
  {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(room);
    if (it == rooms_.end() || it->second.pending != 0 || it->second.room->size() != 0) return;
    doomed = std::move(it->second.room);
    --rooms_per_worker_[it->second.worker];
    rooms_.erase(it);
    counters_.rooms->add(-1);
  }
  spdlog::info("room {} closed", room);
}

std::string SfuService::join(const std::string& room, ParticipantInfo info, EventSink sink, json::object extra,
                             json::value ref, std::string id) {
  if (id.empty()) id = random_id("p_");
  if (workers_.empty()) {
    sink({{"type", "error"}, {"code", "media_unavailable"}, {"message", "no media worker"}, {"ref", ref}});
    return id;
  }
  std::size_t worker = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) {
      std::size_t best = 0;
      for (std::size_t i = 1; i < workers_.size(); ++i)
        if (rooms_per_worker_[i] < rooms_per_worker_[best]) best = i;
      RoomEntry entry;
      entry.worker = best;
      entry.room = std::make_unique<Room>(room, *workers_[best], config_, &counters_);
      entry.room->on_removed([this, room, worker = workers_[best]](const std::string& pid) {
        {
          std::lock_guard inner(mutex_);
          // It may have moved on to another room meanwhile (a breakout).
          if (auto m = members_.find(pid); m != members_.end() && m->second.room == room) members_.erase(m);
        }
        asio::post(worker->executor(), [this, room] { maybe_destroy(room); });
      });
      ++rooms_per_worker_[best];
      counters_.rooms->add(1);
      rooms_.emplace(room, std::move(entry));
    }
    members_[id] = Member{room, sink};
    // Counted in the same lock that found the room, so that it cannot close
    // in between (its last participant leaving on the worker).
    auto& entry = rooms_.at(room);
    ++entry.pending;
    worker = entry.worker;
  }
  post_counted(room, worker, [this, id, info = std::move(info), sink, extra = std::move(extra), ref](Room& r) mutable {
    auto joined = r.join(id, std::move(info), sink);
    if (!joined) {
      {
        std::lock_guard lock(mutex_);
        if (auto m = members_.find(id); m != members_.end() && m->second.room == r.name()) members_.erase(m);
      }
      sink({{"type", "error"}, {"code", joined.error().code}, {"message", joined.error().message}, {"ref", ref}});
      return;
    }
    for (auto& [k, v] : extra) (*joined)[k] = v;
    sink(std::move(*joined));
  });
  return id;
}

bool SfuService::is_member(const std::string& participant_id) const {
  std::lock_guard lock(mutex_);
  return members_.contains(participant_id);
}

void SfuService::leave(const std::string& participant_id) {
  std::string room;
  {
    std::lock_guard lock(mutex_);
    auto it = members_.find(participant_id);
    if (it == members_.end()) return;
    room = it->second.room;
    members_.erase(it);
  }
  post_to_room(room, [participant_id](Room& r) { r.leave(participant_id); });
}

void SfuService::with_room(const std::string& participant_id, RoomOp fn, json::value ref) {
  std::string room;
  EventSink sink;
  {
    std::lock_guard lock(mutex_);
    auto it = members_.find(participant_id);
    if (it == members_.end()) return;
    room = it->second.room;
    sink = it->second.sink;
  }
  post_to_room(room, [participant_id, fn = std::move(fn), sink, ref](Room& r) {
    if (!r.contains(participant_id)) return;
    auto result = fn(r, participant_id);
    if (!result)
      sink({{"type", "error"}, {"code", result.error().code}, {"message", result.error().message}, {"ref", ref}});
  });
}

void SfuService::open_session(const std::string& room, ParticipantInfo info, SessionOp offer,
                              asio::any_io_executor completion, SessionDone done) {
  using Outcome = Result<std::pair<std::string, std::string>>;
  auto reply = [completion, done](Outcome outcome) {
    asio::post(completion, [done, outcome = std::move(outcome)]() mutable { done(std::move(outcome)); });
  };
  // No WebSocket: what the room would tell it goes nowhere.
  EventSink sink = [](json::object) {};
  const std::string id = join(room, std::move(info), sink, {}, nullptr);
  if (workers_.empty()) return reply(fail("media_unavailable", "no media worker"));
  const bool posted = post_to_room(room, [this, id, offer = std::move(offer), reply](Room& r) {
    if (!r.contains(id)) return reply(fail("room_full", "the room is full"));
    auto answer = offer(r, id);
    if (!answer) {
      r.leave(id, "failed to connect");
      {
        std::lock_guard lock(mutex_);
        members_.erase(id);
      }
      return reply(std::unexpected(answer.error()));
    }
    reply(std::pair{id, std::move(*answer)});
  });
  if (!posted) reply(fail("media_unavailable", "the room closed"));
}

void SfuService::close_session(const std::string& room, const std::string& participant_id,
                               const std::string& user_id, asio::any_io_executor completion,
                               std::function<void(bool)> done) {
  {
    std::lock_guard lock(mutex_);
    auto it = members_.find(participant_id);
    if (it == members_.end() || it->second.room != room)
      return asio::post(completion, [done] { done(false); });
  }
  const bool posted = post_to_room(room, [this, participant_id, user_id, completion, done](Room& r) {
    const bool owner = r.user_of(participant_id) == user_id;
    if (owner) {
      r.leave(participant_id);
      std::lock_guard lock(mutex_);
      members_.erase(participant_id);
    }
    asio::post(completion, [done, owner] { done(owner); });
  });
  if (!posted) asio::post(completion, [done] { done(false); });  // the room closed meanwhile
}

void SfuService::snapshot(const std::string& room, asio::any_io_executor completion,
                          std::function<void(std::optional<json::object>)> done) {
  bool exists = false;
  {
    std::lock_guard lock(mutex_);
    exists = rooms_.contains(room);
  }
  if (!exists) return asio::post(completion, [done = std::move(done)] { done(std::nullopt); });
  // If the room closes before this runs, nobody answers: post_to_room drops
  // it. Guard with a shared flag so `done` still runs.
  auto pending = std::make_shared<std::function<void(std::optional<json::object>)>>(std::move(done));
  struct Guard {
    std::shared_ptr<std::function<void(std::optional<json::object>)>> fn;
    asio::any_io_executor completion;
    std::optional<json::object> result;
    ~Guard() {
      if (*fn) asio::post(completion, [fn = std::move(fn), result = std::move(result)]() mutable { (*fn)(std::move(result)); });
    }
  };
  auto guard = std::make_shared<Guard>();
  guard->fn = std::move(pending);
  guard->completion = std::move(completion);
  post_to_room(room, [guard](Room& r) { guard->result = r.snapshot(); });
}

}  // namespace parley::sfu
