// Breakout rooms of MeetingService (docs/protocol.md "Meetings"): each is
// its own SFU room; a move is a leave and a join of the same participant id
// on the same WebSocket, announced by `breakout_moved`.

#include <boost/asio/steady_timer.hpp>

#include "meetings/breakout_plan.hpp"
#include "meetings/meeting_service.hpp"
#include "sfu/sfu_service.hpp"

namespace parley::meetings {

namespace json = boost::json;

void MeetingService::move_to(LiveMeeting& m, Member& member, const std::string& room_id) {
  if (member.room_id == room_id) return;
  if (sfu_) sfu_->leave(member.id());
  member.room_id = room_id;
  const auto* room = m.breakout(room_id);
  member.seat->send({{"type", "breakout_moved"},
                     {"room_id", room_id.empty() ? json::value(nullptr) : json::value(room_id)},
                     {"name", room ? room->name : "Main room"}});
  enter_media(m, member);
  member_changed(m, member);
  record_event(m, "breakout_moved", member.id(), "", {{"room_id", room_id}});
}

void MeetingService::breakout_create(const Caller& c, std::size_t count, std::vector<std::string> names,
                                     bool auto_assign) {
  auto [m, me] = find_host(c);
  if (!me) return;
  if (m->breakouts_open) return c.reply_error({"invalid_state", "close the breakout rooms first"});
  m->breakouts = plan_rooms(count, std::move(names));
  m->assignment.clear();
  if (auto_assign) {
    std::vector<std::pair<std::uint64_t, std::string>> people;  // arrival order
    for (const auto& [id, member] : m->members)
      if (!is_host_like(member.role)) people.emplace_back(member.order, id);
    std::ranges::sort(people);
    std::vector<std::string> ids;
    for (auto& [order, id] : people) ids.push_back(id);
    m->assignment = assign_round_robin(ids, m->breakouts);
  }
  to_hosts(*m, m->breakouts_json());
  record_event(*m, "breakouts_created", me->id(), "",
               {{"rooms", m->breakouts.size()}, {"assign", auto_assign ? "auto" : "manual"}});
}

void MeetingService::breakout_assign(const Caller& c, const std::string& target, std::optional<std::string> room_id) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto* t = m->member(target);
  if (!t) return c.reply_error(no_such_participant("participant_id"));
  if (room_id && !m->breakout(*room_id)) return c.reply_error({"invalid_field", "room_id: no such breakout room"});
  if (room_id)
    m->assignment[target] = *room_id;
  else
    m->assignment.erase(target);
  if (m->breakouts_open) {
    move_to(*m, *t, room_id.value_or(""));
    broadcast(*m, m->breakouts_json());
  } else {
    to_hosts(*m, m->breakouts_json());
  }
}

void MeetingService::breakout_open(const Caller& c) {
  auto [m, me] = find_host(c);
  if (!me) return;
  if (m->breakouts.empty()) return c.reply_error({"invalid_state", "create breakout rooms first"});
  if (m->breakouts_open) return c.reply_error({"invalid_state", "the breakout rooms are open already"});
  if (m->closing) m->closing->cancel();
  m->breakouts_open = true;
  broadcast(*m, m->breakouts_json());
  for (const auto& [pid, room_id] : m->assignment)
    if (auto* member = m->member(pid)) move_to(*m, *member, room_id);
  record_event(*m, "breakouts_opened", me->id(), "");
}

void MeetingService::breakout_broadcast(const Caller& c, std::string text) {
  auto [m, me] = find_host(c);
  if (!me) return;
  broadcast(*m, {{"type", "breakout_message"}, {"text", text}, {"from", me->claims().display_name}});
  record_event(*m, "breakout_broadcast", me->id(), "");
}

void MeetingService::breakout_close(const Caller& c, int countdown) {
  auto [m, me] = find_host(c);
  if (!me) return;
  if (!m->breakouts_open) return c.reply_error({"invalid_state", "the breakout rooms are not open"});
  broadcast(*m, {{"type", "breakout_closing"}, {"seconds", countdown}});
  record_event(*m, "breakouts_closing", me->id(), "", {{"seconds", countdown}});
  m->closing = std::make_unique<boost::asio::steady_timer>(executor_, std::chrono::seconds(countdown));
  m->closing->async_wait([this, alive = std::weak_ptr<bool>(alive_), id = m->id()](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    auto it = live_.find(id);
    if (it == live_.end() || !it->second->breakouts_open) return;
    auto& meeting = *it->second;
    meeting.breakouts_open = false;
    for (auto& [pid, member] : meeting.members) move_to(meeting, member, "");
    broadcast(meeting, meeting.breakouts_json());
    record_event(meeting, "breakouts_closed", "", "");
  });
}

}  // namespace parley::meetings
