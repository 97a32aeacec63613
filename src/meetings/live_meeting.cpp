#include "meetings/live_meeting.hpp"

#include <boost/json/array.hpp>

namespace parley::meetings {

namespace json = boost::json;

std::string_view to_string(Role r) {
  switch (r) {
    case Role::Host: return "host";
    case Role::Cohost: return "cohost";
    case Role::Panelist: return "panelist";
    case Role::Participant: return "participant";
    case Role::Attendee: return "attendee";
  }
  return "participant";
}

std::optional<Role> role_from_string(std::string_view t) {
  for (Role r : {Role::Host, Role::Cohost, Role::Panelist, Role::Participant, Role::Attendee})
    if (to_string(r) == t) return r;
  return std::nullopt;
}

const BreakoutRoom* LiveMeeting::breakout(const std::string& room_id) const {
  for (const auto& b : breakouts)
    if (b.room_id == room_id) return &b;
  return nullptr;
}

Member* LiveMeeting::away_member(const std::string& identity) {
  for (auto& [id, m] : members)
    if (m.away && m.claims().identity == identity) return &m;
  return nullptr;
}

bool LiveMeeting::has_host() const {
  for (const auto& [id, m] : members)
    if (m.role == Role::Host) return true;
  return false;
}

Member* LiveMeeting::successor() {
  Member* best = nullptr;
  for (auto& [id, m] : members) {
    if (m.role == Role::Host) continue;
    const bool co = m.role == Role::Cohost;
    const bool best_co = best && best->role == Role::Cohost;
    if (!best || (co && !best_co) || (co == best_co && m.order < best->order)) best = &m;
  }
  return best;
}

Grants LiveMeeting::effective(const Member& m) const {
  Grants g = m.grants;
  const bool host_like = is_host_like(m.role);
  g.is_host = host_like;
  if (settings.webinar && !host_like && m.role != Role::Panelist) g.can_publish = false;
  if (!host_like && !permissions.screen_share_all) g.sources.screen = false;
  if (!host_like && !permissions.chat_all) g.can_chat = false;
  if (!g.can_publish) g.sources = {false, false, false};
  return g;
}

json::object LiveMeeting::member_json(const Member& m) const {
  return {{"participant_id", m.id()},
          {"display_name", m.claims().display_name},
          {"user_id", m.claims().user_id.empty() ? json::value(nullptr) : json::value(m.claims().user_id)},
          {"role", to_string(m.role)},
          {"audio_muted", m.audio_muted},
          {"video_muted", m.video_muted},
          {"screen_sharing", m.screen_sharing},
          {"hand_raised", m.hand_raised},
          {"connected", !m.away},
          {"joined_at", m.joined_at},
          {"room_id", m.room_id.empty() ? json::value(nullptr) : json::value(m.room_id)}};
}

json::object LiveMeeting::permissions_json() const {
  return {{"type", "permissions"},
          {"screen_share", permissions.screen_share_all ? "all" : "host"},
          {"allow_unmute", permissions.allow_unmute},
          {"chat", permissions.chat_all ? "all" : "host"},
          {"locked", permissions.locked}};
}

json::object LiveMeeting::breakouts_json() const {
  json::array rooms;
  for (const auto& b : breakouts) {
    json::array people;
    for (const auto& [pid, room] : assignment)
      if (room == b.room_id) people.push_back(json::value(pid));
    rooms.push_back(json::object{{"room_id", b.room_id}, {"name", b.name}, {"participants", std::move(people)}});
  }
  return {{"type", "breakouts"}, {"rooms", std::move(rooms)}, {"open", breakouts_open}};
}

json::object LiveMeeting::waiting_json() const {
  json::array list;
  for (const auto& w : waiting)
    list.push_back(json::object{{"participant_id", w.seat->participant_id},
                                {"display_name", w.seat->claims.display_name},
                                {"since", w.since}});
  return {{"type", "waiting_list"}, {"waiting", std::move(list)}};
}

json::object LiveMeeting::summary_json() const {
  return {{"meeting_id", record.meeting_id}, {"topic", record.topic}, {"settings", to_json(settings)}};
}

}  // namespace parley::meetings
