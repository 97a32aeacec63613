// The host's and co-hosts' controls of MeetingService (docs/protocol.md
// "Meetings"): muting, removal, lock, end, roles, the waiting room and
// permissions.

#include "common/clock.hpp"
#include "meetings/meeting_service.hpp"
#include "sfu/sfu_service.hpp"

namespace parley::meetings {

namespace json = boost::json;

void MeetingService::mute(const Caller& c, const std::string& target) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto* t = m->member(target);
  if (!t) return c.reply_error(no_such_participant("participant_id"));
  if (t->role == Role::Host && me->role != Role::Host) return c.reply_error({"not_allowed", "co-hosts cannot mute the host"});
  t->seat->send({{"type", "muted_by_host"}, {"kind", "audio"}, {"by", me->id()}});
  if (!t->audio_muted) set_audio_muted(*m, *t, true);
  record_event(*m, "muted_by_host", me->id(), t->id());
}

void MeetingService::mute_all(const Caller& c, bool allow_unmute) {
  auto [m, me] = find_host(c);
  if (!me) return;
  m->permissions.allow_unmute = allow_unmute;
  for (auto& [id, member] : m->members) {
    if (is_host_like(member.role)) continue;
    member.seat->send({{"type", "muted_by_host"}, {"kind", "audio"}, {"by", me->id()}});
    if (!member.audio_muted) set_audio_muted(*m, member, true);
  }
  broadcast(*m, m->permissions_json());
  record_event(*m, "mute_all", me->id(), "", {{"allow_unmute", allow_unmute}});
}

void MeetingService::remove(const Caller& c, const std::string& target) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto* t = m->member(target);
  if (!t) return c.reply_error(no_such_participant("participant_id"));
  if (t == me) return c.reply_error({"not_allowed", "leave instead of removing yourself"});
  if (t->role == Role::Host) return c.reply_error({"not_allowed", "the host cannot be removed"});
  kept_out_[m->id()].insert(t->claims().identity);
  t->seat->send({{"type", "removed"}});
  record_event(*m, "removed", me->id(), t->id());
  drop_member(*m, target, "removed");
}

void MeetingService::lock(const Caller& c, bool locked) {
  auto [m, me] = find_host(c);
  if (!me) return;
  if (m->permissions.locked == locked) return;
  m->permissions.locked = locked;
  broadcast(*m, m->permissions_json());
  record_event(*m, locked ? "locked" : "unlocked", me->id(), "");
}

void MeetingService::end_meeting(const Caller& c) {
  auto [m, me] = find_host(c, true);
  if (!me) return;
  end(*m, "ended_by_host");
}

void MeetingService::set_role(const Caller& c, const std::string& target, Role role) {
  auto [m, me] = find_host(c, true);
  if (!me) return;
  auto* t = m->member(target);
  if (!t) return c.reply_error(no_such_participant("participant_id"));
  if (t == me) return c.reply_error({"not_allowed", "give the host role to someone else instead"});
  if ((role == Role::Panelist || role == Role::Attendee) && !m->settings.webinar)
    return c.reply_error({"invalid_field", "panelist and attendee are webinar roles"});
  if (role == Role::Participant && m->settings.webinar) role = Role::Attendee;
  // A host's role change lifts or sets what the token allowed: a webinar
  // attendee made panelist may publish from now on, and back again.
  const auto give = [&](Member& who, Role r) {
    who.role = r;
    const bool publishes = r != Role::Attendee;
    who.grants.can_publish = publishes;
    who.grants.sources = publishes ? sfu::SourceSet{} : sfu::SourceSet{false, false, false};
  };
  const auto announce = [&](Member& who) {
    broadcast(*m, {{"type", "role"}, {"participant_id", who.id()}, {"role", to_string(who.role)}});
    apply_grants(*m, who);
    member_changed(*m, who);
    if (is_host_like(who.role)) {
      who.seat->send(m->waiting_json());
      who.seat->send(m->breakouts_json());
    }
  };
  if (role == Role::Host) {
    // Transfer: the old host stays as a co-host, as the one who just
    // handed over is usually still helping to run the meeting.
    give(*me, Role::Cohost);
    give(*t, Role::Host);
    announce(*t);
    announce(*me);
  } else {
    give(*t, role);
    announce(*t);
  }
  record_event(*m, "role", me->id(), t->id(), {{"role", to_string(role)}});
}

void MeetingService::admit(const Caller& c, const std::string& target) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto it = std::ranges::find_if(m->waiting, [&](const Waiter& w) { return w.seat->participant_id == target; });
  if (it == m->waiting.end()) return c.reply_error({"invalid_field", "participant_id: nobody by that id is waiting"});
  auto seat = it->seat;
  m->waiting.erase(it);
  to_hosts(*m, m->waiting_json());
  record_event(*m, "admitted", me->id(), target);
  admit_seat(*m, std::move(seat));
}

void MeetingService::admit_all(const Caller& c) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto waiting = std::move(m->waiting);
  m->waiting.clear();
  to_hosts(*m, m->waiting_json());
  for (auto& w : waiting) {
    record_event(*m, "admitted", me->id(), w.seat->participant_id);
    admit_seat(*m, std::move(w.seat));
  }
}

void MeetingService::deny(const Caller& c, const std::string& target) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto it = std::ranges::find_if(m->waiting, [&](const Waiter& w) { return w.seat->participant_id == target; });
  if (it == m->waiting.end()) return c.reply_error({"invalid_field", "participant_id: nobody by that id is waiting"});
  it->seat->stage = Seat::Stage::Out;
  it->seat->send({{"type", "denied"}});
  m->waiting.erase(it);
  to_hosts(*m, m->waiting_json());
  record_event(*m, "denied", me->id(), target);
}

void MeetingService::set_permissions(const Caller& c, PermissionChange change) {
  auto [m, me] = find_host(c);
  if (!me) return;
  auto& p = m->permissions;
  if (change.screen_share_all) p.screen_share_all = *change.screen_share_all;
  if (change.allow_unmute) p.allow_unmute = *change.allow_unmute;
  if (change.chat_all) p.chat_all = *change.chat_all;
  for (auto& [id, member] : m->members)
    if (!is_host_like(member.role)) apply_grants(*m, member);
  broadcast(*m, m->permissions_json());
  auto detail = m->permissions_json();
  detail.erase("type");
  record_event(*m, "permissions", me->id(), "", std::move(detail));
}

}  // namespace parley::meetings
