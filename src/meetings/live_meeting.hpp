#pragma once

// A meeting while people are in it: who is in (and in which breakout
// room), who waits, the roles and the host's rules. Plain data with the
// few rules that need no I/O (roles, effective grants, host succession);
// MeetingService does the talking.

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "calls/device_link.hpp"
#include "meetings/join_token.hpp"
#include "meetings/meeting_settings.hpp"
#include "store/records.hpp"

namespace parley::meetings {

enum class Role { Host, Cohost, Panelist, Participant, Attendee };

// `field` names a participant the meeting does not have.
inline Error no_such_participant(std::string_view field) {
  return {"invalid_field", std::string(field) + ": no such participant in this meeting"};
}
std::string_view to_string(Role role);
std::optional<Role> role_from_string(std::string_view text);
inline bool is_host_like(Role r) { return r == Role::Host || r == Role::Cohost; }

// A connection's place in a meeting, shared between the signaling
// connection and the meeting.
struct Seat {
  enum class Stage { Joining, Waiting, Entering, In, Out };
  Stage stage = Stage::Joining;
  std::string meeting_id;
  std::string participant_id;
  JoinClaims claims;
  std::weak_ptr<calls::DeviceLink> link;
  // Bumped at each move between media rooms: what the room it left still
  // had on its way is dropped, not delivered after the new room's `joined`.
  std::uint64_t media_epoch = 0;

  bool in() const { return stage == Stage::In; }
  void send(boost::json::object message) const {
    if (auto l = link.lock()) l->send(std::move(message));
  }
  // Through the link's own error path, so that it is counted by code.
  void send_error(const Error& error, const boost::json::value& ref) const {
    if (auto l = link.lock()) l->send_error(error, ref);
  }
};

struct Member {
  std::shared_ptr<Seat> seat;
  Role role = Role::Participant;
  Grants grants;  // from the join token, changed by role changes
  bool audio_muted = false;
  bool video_muted = false;
  bool screen_sharing = false;
  bool hand_raised = false;
  std::int64_t joined_at = 0;
  std::uint64_t order = 0;  // arrival order: host succession goes to the longest present
  std::string room_id;      // the breakout room it is in; empty: the main room
  // Its connection dropped: it keeps its place for the reconnect grace.
  bool away = false;
  std::shared_ptr<boost::asio::steady_timer> grace;

  const std::string& id() const { return seat->participant_id; }
  const JoinClaims& claims() const { return seat->claims; }
};

struct Waiter {
  std::shared_ptr<Seat> seat;
  std::int64_t since = 0;
};

struct Permissions {
  bool screen_share_all = true;  // false: hosts only
  bool allow_unmute = true;
  bool chat_all = true;  // false: hosts only
  bool locked = false;
};

struct BreakoutRoom {
  std::string room_id;  // "b1", "b2", ...
  std::string name;
};

struct LiveMeeting {
  store::MeetingRecord record;
  MeetingSettings settings;
  std::map<std::string, Member> members;  // by participant id
  std::vector<Waiter> waiting;            // in arrival order
  std::size_t entering = 0;               // admitted, chat history on its way
  Permissions permissions;
  std::uint64_t next_order = 1;
  std::vector<BreakoutRoom> breakouts;
  std::map<std::string, std::string> assignment;  // participant id -> room id
  bool breakouts_open = false;
  std::unique_ptr<boost::asio::steady_timer> closing;  // breakout_close countdown

  const std::string& id() const { return record.meeting_id; }
  // A member of that identity whose connection dropped, or null.
  Member* away_member(const std::string& identity);
  Member* member(const std::string& participant_id) {
    auto it = members.find(participant_id);
    return it == members.end() ? nullptr : &it->second;
  }
  const BreakoutRoom* breakout(const std::string& room_id) const;
  bool has_host() const;
  // Who becomes host when the host leaves: the longest-present co-host,
  // else the longest-present participant; null when nobody is left.
  Member* successor();
  // What a member may do now: its grants narrowed by the meeting's rules.
  Grants effective(const Member& m) const;
  boost::json::object member_json(const Member& m) const;
  boost::json::object permissions_json() const;
  boost::json::object breakouts_json() const;
  boost::json::object waiting_json() const;
  boost::json::object summary_json() const;  // meeting_id, topic, settings
};

}  // namespace parley::meetings
