#pragma once

// Meetings while they run (docs/protocol.md "Meetings", WebSocket): entry
// through the join token, the waiting room, chat, hands, reactions, the
// host's controls and breakout rooms. Media is the SFU's: each member is
// an SFU participant with the same id, in the meeting's main media room or
// its breakout room, and what it may publish follows its grants.
//
// Everything here runs on the signaling loop; only the store and the SFU
// are elsewhere, reached by posting. Meetings live in memory while anyone
// is in them; the records (participants, events, chat) are written through
// the store.

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/metrics.hpp"
#include "meetings/join_token.hpp"
#include "meetings/live_meeting.hpp"

namespace parley::sfu {
class SfuService;
}
namespace parley::store {
class StoreThread;
}

namespace parley::meetings {

// Who asked, and where an error goes.
struct Caller {
  Seat& seat;
  const boost::json::value& ref;
  void reply_error(const Error& e) const;
};

class MeetingService {
 public:
  using IceServersFunction = std::function<boost::json::array(const std::string& user_id)>;
  MeetingService(boost::asio::any_io_executor executor, store::StoreThread& store, sfu::SfuService* sfu,
                 const JoinTokens& tokens, IceServersFunction ice_servers, metrics::Registry& metrics,
                 std::chrono::milliseconds reconnect_grace = std::chrono::seconds(20));
  ~MeetingService();

  const JoinTokens& tokens() const { return tokens_; }
  // The server stops: timers go while their loop still exists, and what
  // disconnects after this leaves nothing behind.
  void shutdown();
  // The WebSocket message types of docs/protocol.md "Meetings".
  static bool handles(std::string_view type);
  static const std::vector<std::string_view>& message_types();

  // --- from the WebSocket ----------------------------------------------
  // A seat for the connection, or the token's error. The answer
  // (meeting_joined, waiting or an error) follows on the link.
  Result<std::shared_ptr<Seat>> join(std::string_view join_token, std::weak_ptr<calls::DeviceLink> link,
                                     const boost::json::value& ref);
  // Leaving. Idempotent.
  void leave(Seat& seat, std::string_view reason = "left");
  // The connection closed without leaving: a member keeps its place (and
  // its participant id, role and state) for the reconnect grace, and a
  // `meeting_join` with a token of the same identity takes it back.
  void disconnected(Seat& seat);

  void chat(const Caller& c, std::string text, std::optional<std::string> to);
  void reaction(const Caller& c, std::string_view emoji);
  void hand(const Caller& c, bool raised, std::optional<std::string> target);
  enum class MediaState { Audio, Video, Screen };
  void media_state(const Caller& c, MediaState what, bool on_or_muted);

  // Host controls (host_controls.cpp).
  void mute(const Caller& c, const std::string& target);
  void mute_all(const Caller& c, bool allow_unmute);
  void remove(const Caller& c, const std::string& target);
  void lock(const Caller& c, bool locked);
  void end_meeting(const Caller& c);
  void set_role(const Caller& c, const std::string& target, Role role);
  void admit(const Caller& c, const std::string& target);
  void admit_all(const Caller& c);
  void deny(const Caller& c, const std::string& target);
  struct PermissionChange {
    std::optional<bool> screen_share_all, allow_unmute, chat_all;
  };
  void set_permissions(const Caller& c, PermissionChange change);

  // Breakout rooms (breakouts.cpp). `names` empty: `count` rooms "Room N".
  void breakout_create(const Caller& c, std::size_t count, std::vector<std::string> names, bool auto_assign);
  void breakout_assign(const Caller& c, const std::string& target, std::optional<std::string> room_id);
  void breakout_open(const Caller& c);
  void breakout_broadcast(const Caller& c, std::string text);
  void breakout_close(const Caller& c, int countdown_seconds);

  // --- from the REST API -----------------------------------------------
  // {participants, waiting, locked} of a running meeting, else null.
  std::optional<boost::json::object> live_summary(const std::string& meeting_id) const;
  bool is_locked(const std::string& meeting_id) const;
  // May the holder of these claims publish or watch over WHIP/WHEP, outside
  // the WebSocket? Hosts may; others only into a running meeting that would
  // let them in directly (no waiting room, not locked, not removed).
  Result<void> may_stream(const JoinClaims& claims) const;
  bool is_kept_out(const std::string& meeting_id, const std::string& identity) const;
  void meeting_updated(const store::MeetingRecord& record);
  void meeting_deleted(const std::string& meeting_id);

 private:
  // Runs `then` with the live meeting, loading its record first if it is
  // not running; null when there is no such meeting.
  void with_meeting(const std::string& meeting_id, std::function<void(LiveMeeting*)> then);
  // The caller's meeting and membership, or an error to it (not_in_meeting).
  std::pair<LiveMeeting*, Member*> find(const Caller& c);
  std::pair<LiveMeeting*, Member*> find_host(const Caller& c, bool host_only = false);

  void arrive(LiveMeeting& m, std::shared_ptr<Seat> seat, const boost::json::value& ref);
  void admit_seat(LiveMeeting& m, std::shared_ptr<Seat> seat);
  void enter(const std::string& meeting_id, std::shared_ptr<Seat> seat, boost::json::array chat);
  void send_joined(LiveMeeting& m, const Member& member, boost::json::array chat);
  void come_back(LiveMeeting& m, Member& member, std::shared_ptr<Seat> seat, boost::json::array chat);
  void enter_media(LiveMeeting& m, Member& member);
  void move_to(LiveMeeting& m, Member& member, const std::string& room_id);
  void apply_grants(LiveMeeting& m, Member& member);  // after role or permission changes
  void set_audio_muted(LiveMeeting& m, Member& member, bool muted);
  void drop_member(LiveMeeting& m, const std::string& participant_id, std::string_view reason);
  void end(LiveMeeting& m, std::string_view reason);
  void forget_if_empty(const std::string& meeting_id);

  void send_to(LiveMeeting& m, const std::string& participant_id, boost::json::object message);
  void broadcast(LiveMeeting& m, const boost::json::object& message);
  void to_hosts(LiveMeeting& m, const boost::json::object& message);
  void member_changed(LiveMeeting& m, const Member& member);
  void record_event(const LiveMeeting& m, std::string type, const std::string& actor, const std::string& target,
                    boost::json::object detail = {});
  void save_stay(const LiveMeeting& m, const Member& member, std::int64_t left_at);

  boost::asio::any_io_executor executor_;
  store::StoreThread& store_;
  sfu::SfuService* sfu_;
  const JoinTokens& tokens_;
  IceServersFunction ice_servers_;
  std::chrono::milliseconds reconnect_grace_;
  bool stopping_ = false;
  std::map<std::string, std::unique_ptr<LiveMeeting>> live_;
  std::map<std::string, std::vector<std::function<void(LiveMeeting*)>>> loading_;
  // Identities removed by a host, kept out while the server runs.
  std::map<std::string, std::set<std::string>> kept_out_;
  metrics::Gauge* meetings_gauge_ = nullptr;
  metrics::Gauge* members_gauge_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::meetings
