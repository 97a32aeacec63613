#include "meetings/meeting_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "meetings/meeting_id.hpp"
#include "sfu/sfu_service.hpp"
#include "store/store_thread.hpp"

namespace parley::meetings {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr int kChatHistory = 100;
constexpr std::array<std::string_view, 6> kReactions = {"👍", "👏", "❤️", "😂", "😮", "🎉"};

json::object chat_json(const store::ChatRecord& r) {
  return {{"id", r.id},
          {"from", r.from_id},
          {"from_name", r.from_name},
          {"to", r.to_id.empty() ? json::value(nullptr) : json::value(r.to_id)},
          {"text", r.text},
          {"sent_at", r.sent_at}};
}

}  // namespace

const std::vector<std::string_view>& MeetingService::message_types() {
  static const std::vector<std::string_view> types = {
      "meeting_join", "meeting_leave", "chat",           "reaction",        "hand",
      "mute",         "mute_all",      "remove",         "lock",            "end_meeting",
      "set_role",     "admit",         "deny",           "admit_all",       "set_permissions",
      "breakout_create", "breakout_assign", "breakout_open", "breakout_broadcast", "breakout_close"};
  return types;
}

bool MeetingService::handles(std::string_view type) {
  return std::ranges::find(message_types(), type) != message_types().end();
}

void Caller::reply_error(const Error& e) const { seat.send_error(e, ref); }

MeetingService::MeetingService(asio::any_io_executor executor, store::StoreThread& store, sfu::SfuService* sfu,
                               const JoinTokens& tokens, IceServersFunction ice_servers,
                               metrics::Registry& metrics, std::chrono::milliseconds reconnect_grace)
    : executor_(std::move(executor)),
      store_(store),
      sfu_(sfu),
      tokens_(tokens),
      ice_servers_(std::move(ice_servers)),
      reconnect_grace_(reconnect_grace),
      meetings_gauge_(&metrics.gauge("parley_meetings_live", "meetings with someone in them").with()),
      members_gauge_(&metrics.gauge("parley_meeting_participants", "participants in running meetings").with()) {}

MeetingService::~MeetingService() { *alive_ = false; }

void MeetingService::shutdown() {
  stopping_ = true;
  *alive_ = false;
  loading_.clear();
  live_.clear();
  meetings_gauge_->set(0);
  members_gauge_->set(0);
}

// --- finding things ---------------------------------------------------------

void MeetingService::with_meeting(const std::string& meeting_id, std::function<void(LiveMeeting*)> then) {
  if (auto it = live_.find(meeting_id); it != live_.end()) return then(it->second.get());
  auto& queue = loading_[meeting_id];
  queue.push_back(std::move(then));
  if (queue.size() > 1) return;  // already on its way
  store_.run(
      executor_, [meeting_id](store::Store& s) { return s.meeting_by_id(meeting_id); },
      [this, alive = std::weak_ptr<bool>(alive_), meeting_id](Result<std::optional<store::MeetingRecord>> found) {
        if (alive.expired()) return;
        // The entry stays until every caller has run: a refused first
        // joiner must not close the meeting under the second one.
        auto waiting = std::move(loading_[meeting_id]);
        LiveMeeting* m = nullptr;
        if (auto it = live_.find(meeting_id); it != live_.end()) {
          m = it->second.get();
        } else if (found && *found) {
          auto live = std::make_unique<LiveMeeting>();
          live->record = **found;
          live->settings = settings_from_text(live->record.settings_json);
          live->permissions.screen_share_all = live->settings.screen_share;
          m = live.get();
          live_.emplace(meeting_id, std::move(live));
          meetings_gauge_->add(1);
        }
        for (auto& fn : waiting) fn(m);
        loading_.erase(meeting_id);
        forget_if_empty(meeting_id);  // everyone who asked may have gone meanwhile
      });
}

std::pair<LiveMeeting*, Member*> MeetingService::find(const Caller& c) {
  if (c.seat.in())
    if (auto it = live_.find(c.seat.meeting_id); it != live_.end())
      if (auto* member = it->second->member(c.seat.participant_id)) return {it->second.get(), member};
  c.reply_error({"not_in_meeting", "join the meeting first"});
  return {nullptr, nullptr};
}

std::pair<LiveMeeting*, Member*> MeetingService::find_host(const Caller& c, bool host_only) {
  auto [m, me] = find(c);
  if (!me) return {nullptr, nullptr};
  if (host_only ? me->role != Role::Host : !is_host_like(me->role)) {
    c.reply_error({"not_allowed", host_only ? "only the host may do this" : "only hosts and co-hosts may do this"});
    return {nullptr, nullptr};
  }
  return {m, me};
}

// --- sending ----------------------------------------------------------------

void MeetingService::send_to(LiveMeeting& m, const std::string& participant_id, json::object message) {
  if (auto* member = m.member(participant_id)) member->seat->send(std::move(message));
}

void MeetingService::broadcast(LiveMeeting& m, const json::object& message) {
  auto text = std::make_shared<const std::string>(json::serialize(message));
  for (auto& [id, member] : m.members)
    if (auto link = member.seat->link.lock()) link->send_text(text);
}

void MeetingService::to_hosts(LiveMeeting& m, const json::object& message) {
  for (auto& [id, member] : m.members)
    if (is_host_like(member.role)) member.seat->send(message);
}

void MeetingService::member_changed(LiveMeeting& m, const Member& member) {
  broadcast(m, {{"type", "participant_update"}, {"participant", m.member_json(member)}});
}

void MeetingService::record_event(const LiveMeeting& m, std::string type, const std::string& actor,
                                  const std::string& target, json::object detail) {
  store::MeetingEventRecord e;
  e.meeting_id = m.id();
  e.at = unix_now();
  e.type = std::move(type);
  e.actor_id = actor;
  e.target_id = target;
  e.detail_json = json::serialize(detail);
  store_.post([e = std::move(e)](store::Store& s) { s.add_meeting_event(e); });
}

void MeetingService::save_stay(const LiveMeeting& m, const Member& member, std::int64_t left_at) {
  store::MeetingParticipantRecord r;
  r.meeting_id = m.id();
  r.participant_id = member.id();
  r.user_id = member.claims().user_id;
  r.identity = member.claims().identity;
  r.display_name = member.claims().display_name;
  r.role = std::string(to_string(member.role));
  r.joined_at = member.joined_at;
  r.left_at = left_at;
  store_.post([r = std::move(r)](store::Store& s) { s.save_meeting_participant(r); });
}

// --- entering ---------------------------------------------------------------

Result<std::shared_ptr<Seat>> MeetingService::join(std::string_view join_token, std::weak_ptr<calls::DeviceLink> link,
                                                   const json::value& ref) {
  auto claims = tokens_.verify(join_token);
  if (!claims) return std::unexpected(claims.error());
  auto seat = std::make_shared<Seat>();
  seat->meeting_id = claims->meeting_id;
  seat->participant_id = random_id("p_");
  seat->claims = std::move(*claims);
  seat->link = std::move(link);
  with_meeting(seat->meeting_id, [this, seat, ref = json::value(ref)](LiveMeeting* m) {
    if (seat->stage != Seat::Stage::Joining) return;  // left while the record loaded
    if (!m) {
      seat->stage = Seat::Stage::Out;
      return seat->send_error({"meeting_not_found", "this meeting does not exist (any more)"}, ref);
    }
    arrive(*m, seat, ref);
  });
  return seat;
}

void MeetingService::arrive(LiveMeeting& m, std::shared_ptr<Seat> seat, const json::value& ref) {
  const auto refuse = [&](Error e) {
    seat->stage = Seat::Stage::Out;
    seat->send_error(e, ref);
    forget_if_empty(m.id());
  };
  const bool host = seat->claims.grants.is_host;
  if (is_kept_out(m.id(), seat->claims.identity))
    return refuse({"removed", "the host removed you from this meeting"});
  if (auto* back = m.away_member(seat->claims.identity)) {
    // A reconnect: its place is kept, so no lock, limit or waiting room.
    seat->participant_id = back->id();
    return admit_seat(m, std::move(seat));
  }
  if (m.permissions.locked && !host) return refuse({"meeting_locked", "the host locked this meeting"});
  if (m.members.size() + m.entering >= static_cast<std::size_t>(m.settings.max_participants))
    return refuse({"meeting_full", "the meeting is full"});
  if (m.settings.waiting_room && !host) {
    seat->stage = Seat::Stage::Waiting;
    m.waiting.push_back({seat, unix_now()});
    seat->send({{"type", "waiting"},
                {"participant_id", seat->participant_id},
                {"meeting", {{"meeting_id", m.id()}, {"topic", m.record.topic}}}});
    to_hosts(m, m.waiting_json());
    record_event(m, "waiting", seat->participant_id, "", {{"display_name", seat->claims.display_name}});
    return;
  }
  admit_seat(m, std::move(seat));
}

void MeetingService::admit_seat(LiveMeeting& m, std::shared_ptr<Seat> seat) {
  seat->stage = Seat::Stage::Entering;
  ++m.entering;
  store_.run(
      executor_,
      [meeting_id = m.id(), identity = seat->claims.identity](store::Store& s) {
        return s.chat_visible_to(meeting_id, identity, kChatHistory);
      },
      [this, alive = std::weak_ptr<bool>(alive_), meeting_id = m.id(),
       seat](Result<std::vector<store::ChatRecord>> history) mutable {
        if (alive.expired()) return;
        json::array chat;
        if (history)
          for (const auto& r : *history) chat.push_back(chat_json(r));
        enter(meeting_id, std::move(seat), std::move(chat));
      });
}

void MeetingService::enter(const std::string& meeting_id, std::shared_ptr<Seat> seat, json::array chat) {
  auto it = live_.find(meeting_id);
  if (it == live_.end()) return;
  LiveMeeting& m = *it->second;
  --m.entering;
  if (seat->stage != Seat::Stage::Entering) return forget_if_empty(meeting_id);  // gone meanwhile

  if (auto* back = m.member(seat->participant_id)) return come_back(m, *back, std::move(seat), std::move(chat));
  Member member;
  member.seat = seat;
  member.grants = seat->claims.grants;
  if (member.grants.is_host)
    member.role = m.has_host() ? Role::Cohost : Role::Host;
  else
    member.role = m.settings.webinar ? Role::Attendee : Role::Participant;
  member.audio_muted = m.settings.mute_on_entry && !is_host_like(member.role);
  member.joined_at = unix_now();
  member.order = m.next_order++;
  seat->stage = Seat::Stage::In;
  auto& added = m.members.emplace(seat->participant_id, std::move(member)).first->second;
  members_gauge_->add(1);

  send_joined(m, added, std::move(chat));
  for (auto& [id, other] : m.members)
    if (id != added.id()) other.seat->send({{"type", "participant_update"}, {"participant", m.member_json(added)}});
  if (is_host_like(added.role)) seat->send(m.waiting_json());
  enter_media(m, added);
  save_stay(m, added, 0);
  record_event(m, "join", added.id(), "",
               {{"display_name", seat->claims.display_name}, {"role", to_string(added.role)}});
}

void MeetingService::send_joined(LiveMeeting& m, const Member& member, json::array chat) {
  json::array people;
  for (const auto& [id, other] : m.members) people.push_back(m.member_json(other));
  auto permissions = m.permissions_json();
  permissions.erase("type");
  auto breakouts = m.breakouts_json();
  breakouts.erase("type");
  member.seat->send({{"type", "meeting_joined"},
                     {"meeting", m.summary_json()},
                     {"you",
                      {{"participant_id", member.id()},
                       {"role", to_string(member.role)},
                       {"grants", to_json(m.effective(member))},
                       {"audio_muted", member.audio_muted},
                       {"room_id", member.room_id.empty() ? json::value(nullptr) : json::value(member.room_id)}}},
                     {"participants", std::move(people)},
                     {"chat", std::move(chat)},
                     {"permissions", std::move(permissions)},
                     {"breakouts", std::move(breakouts)}});
}

void MeetingService::come_back(LiveMeeting& m, Member& member, std::shared_ptr<Seat> seat, json::array chat) {
  if (member.grace) member.grace->cancel();
  member.grace.reset();
  member.away = false;
  member.seat->stage = Seat::Stage::Out;  // the dropped connection's seat
  seat->media_epoch = member.seat->media_epoch;
  seat->stage = Seat::Stage::In;
  member.seat = std::move(seat);
  send_joined(m, member, std::move(chat));
  if (is_host_like(member.role)) member.seat->send(m.waiting_json());
  // New media connections into the same room, under the same id.
  if (sfu_) sfu_->leave(member.id());
  enter_media(m, member);
  member_changed(m, member);
  record_event(m, "reconnect", member.id(), "");
}

void MeetingService::disconnected(Seat& seat) {
  if (stopping_) return;
  if (seat.stage != Seat::Stage::In || reconnect_grace_.count() <= 0) return leave(seat, "connection_lost");
  auto it = live_.find(seat.meeting_id);
  auto* member = it == live_.end() ? nullptr : it->second->member(seat.participant_id);
  if (!member || member->seat.get() != &seat) return;
  LiveMeeting& m = *it->second;
  member->away = true;
  member->grace = std::make_shared<boost::asio::steady_timer>(executor_, reconnect_grace_);
  member->grace->async_wait([this, alive = std::weak_ptr<bool>(alive_), meeting_id = m.id(), pid = member->id(),
                             timer = std::weak_ptr(member->grace)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    auto live = live_.find(meeting_id);
    if (live == live_.end()) return;
    auto* gone = live->second->member(pid);
    if (!gone || !gone->away || gone->grace != timer.lock()) return;
    gone->seat->stage = Seat::Stage::Out;
    drop_member(*live->second, pid, "connection_lost");
  });
  member_changed(m, *member);
}

void MeetingService::enter_media(LiveMeeting& m, Member& member) {
  if (!sfu_ || !sfu_->available())
    return member.seat->send_error({"media_unavailable", "the SFU is not running on this server"}, nullptr);
  const Grants g = m.effective(member);
  sfu::ParticipantInfo info;
  info.display_name = member.claims().display_name;
  info.user_id = member.claims().user_id;
  info.can_publish = g.can_publish;
  info.can_subscribe = g.can_subscribe;
  info.sources = g.sources;
  info.start_audio_muted = member.audio_muted;
  const std::uint64_t epoch = ++member.seat->media_epoch;
  // Called on a media worker: hop to the signaling loop, then deliver if
  // the seat is still in this media room.
  sfu::EventSink sink = [exec = executor_, seat = std::weak_ptr<Seat>(member.seat), epoch](json::object message) {
    asio::post(exec, [seat, epoch, message = std::move(message)]() mutable {
      auto s = seat.lock();
      if (s && s->in() && s->media_epoch == epoch) s->send(std::move(message));
    });
  };
  json::object extra{{"ice_servers", ice_servers_ ? ice_servers_(member.claims().user_id) : json::array()},
                     {"meeting_id", m.id()},
                     {"room_id", member.room_id.empty() ? json::value(nullptr) : json::value(member.room_id)}};
  sfu_->join(media_room(m.id(), member.room_id), std::move(info), std::move(sink), std::move(extra), nullptr,
             member.id());
}

// --- leaving ----------------------------------------------------------------

void MeetingService::leave(Seat& seat, std::string_view reason) {
  if (stopping_) return;
  const auto stage = seat.stage;
  seat.stage = Seat::Stage::Out;
  auto it = live_.find(seat.meeting_id);
  if (it == live_.end()) return;
  LiveMeeting& m = *it->second;
  if (stage == Seat::Stage::Waiting) {
    std::erase_if(m.waiting, [&](const Waiter& w) { return w.seat.get() == &seat; });
    to_hosts(m, m.waiting_json());
    return forget_if_empty(seat.meeting_id);
  }
  if (stage == Seat::Stage::In) drop_member(m, seat.participant_id, reason);
}

void MeetingService::drop_member(LiveMeeting& m, const std::string& pid, std::string_view reason) {
  auto it = m.members.find(pid);
  if (it == m.members.end()) return;
  Member gone = std::move(it->second);
  m.members.erase(it);
  members_gauge_->add(-1);
  gone.seat->stage = Seat::Stage::Out;
  if (sfu_) sfu_->leave(pid);
  save_stay(m, gone, unix_now());
  record_event(m, "leave", pid, "", {{"reason", reason}});
  m.assignment.erase(pid);
  broadcast(m, {{"type", "participant_gone"}, {"participant_id", pid}, {"reason", reason}});
  if (gone.role == Role::Host && !m.has_host()) {
    if (auto* next = m.successor()) {
      next->role = Role::Host;
      broadcast(m, {{"type", "role"}, {"participant_id", next->id()}, {"role", "host"}});
      apply_grants(m, *next);
      member_changed(m, *next);
      next->seat->send(m.waiting_json());
      next->seat->send(m.breakouts_json());
      record_event(m, "host_changed", next->id(), "", {{"reason", "host left"}});
    }
  }
  const std::string id = m.id();
  forget_if_empty(id);
}

void MeetingService::end(LiveMeeting& m, std::string_view reason) {
  const std::string id = m.id();
  const auto now = unix_now();
  for (auto& [pid, member] : m.members) {
    member.seat->send({{"type", "meeting_ended"}, {"reason", reason}});
    member.seat->stage = Seat::Stage::Out;
    if (sfu_) sfu_->leave(pid);
    save_stay(m, member, now);
  }
  members_gauge_->add(-static_cast<std::int64_t>(m.members.size()));
  m.members.clear();
  for (auto& w : m.waiting) {
    w.seat->send({{"type", "meeting_ended"}, {"reason", reason}});
    w.seat->stage = Seat::Stage::Out;
  }
  m.waiting.clear();
  record_event(m, "end", "", "", {{"reason", reason}});
  forget_if_empty(id);
}

void MeetingService::forget_if_empty(const std::string& meeting_id) {
  auto it = live_.find(meeting_id);
  if (it == live_.end() || loading_.contains(meeting_id)) return;
  const auto& m = *it->second;
  if (!m.members.empty() || !m.waiting.empty() || m.entering != 0) return;
  if (m.closing) m.closing->cancel();
  live_.erase(it);  // members' grace timers go with it
  meetings_gauge_->add(-1);
}

// --- in the meeting ---------------------------------------------------------

void MeetingService::chat(const Caller& c, std::string text, std::optional<std::string> to) {
  auto [m, me] = find(c);
  if (!me) return;
  if (!m->effective(*me).can_chat) return c.reply_error({"not_allowed", "chat is for hosts only right now"});
  store::ChatRecord r;
  r.meeting_id = m->id();
  r.from_id = me->id();
  r.from_identity = me->claims().identity;
  r.from_name = me->claims().display_name;
  if (to) {
    auto* target = m->member(*to);
    if (!target) return c.reply_error(no_such_participant("to"));
    r.to_id = target->id();
    r.to_identity = target->claims().identity;
  }
  r.text = std::move(text);
  r.sent_at = unix_now();
  record_event(*m, "chat", r.from_id, r.to_id, {{"private", !r.to_id.empty()}});
  // Delivered once it is on disk: nobody sees a message that a crash loses.
  store_.run(
      executor_, [r](store::Store& s) { return s.add_chat(r); },
      [this, alive = std::weak_ptr<bool>(alive_), r, seat = me->seat, ref = json::value(c.ref)](
          Result<std::int64_t> id) mutable {
        if (alive.expired()) return;
        if (!id) return seat->send_error({"internal", "the message could not be saved"}, ref);
        r.id = *id;
        auto it = live_.find(r.meeting_id);
        if (it == live_.end()) return;
        json::object message{{"type", "chat"}, {"message", chat_json(r)}};
        if (r.to_id.empty()) return broadcast(*it->second, message);
        send_to(*it->second, r.to_id, message);
        if (r.to_id != r.from_id) seat->send(message);
      });
}

void MeetingService::reaction(const Caller& c, std::string_view emoji) {
  auto [m, me] = find(c);
  if (!me) return;
  if (std::ranges::find(kReactions, emoji) == kReactions.end())
    return c.reply_error({"invalid_field", "emoji must be one of 👍 👏 ❤️ 😂 😮 🎉"});
  broadcast(*m, {{"type", "reaction"}, {"participant_id", me->id()}, {"emoji", emoji}});
}

void MeetingService::hand(const Caller& c, bool raised, std::optional<std::string> target) {
  auto [m, me] = find(c);
  if (!me) return;
  Member* who = me;
  if (target && *target != me->id()) {
    if (!is_host_like(me->role) || raised)
      return c.reply_error({"not_allowed", "only hosts may lower someone else's hand, and nobody may raise it"});
    who = m->member(*target);
    if (!who) return c.reply_error(no_such_participant("participant_id"));
  }
  if (who->hand_raised == raised) return;
  who->hand_raised = raised;
  member_changed(*m, *who);
  record_event(*m, raised ? "hand_raised" : "hand_lowered", me->id(), who->id());
}

void MeetingService::set_audio_muted(LiveMeeting& m, Member& member, bool muted) {
  member.audio_muted = muted;
  if (sfu_)
    sfu_->with_room(
        member.id(),
        [muted](sfu::Room& room, const std::string& id) { return room.set_muted(id, sdp::MediaKind::Audio, muted); },
        nullptr);
  member_changed(m, member);
}

void MeetingService::media_state(const Caller& c, MediaState what, bool value) {
  auto [m, me] = find(c);
  if (!me) return;
  const Grants g = m->effective(*me);
  const std::string id = me->id();
  switch (what) {
    case MediaState::Audio: {
      const bool muted = value;
      if (!muted && !g.sources.microphone) return c.reply_error({"not_allowed", "you may not use the microphone here"});
      if (!muted && me->audio_muted && !is_host_like(me->role) && !m->permissions.allow_unmute)
        return c.reply_error({"not_allowed", "the host muted everyone and does not allow unmuting"});
      if (me->audio_muted == muted) return;
      set_audio_muted(*m, *me, muted);
      return record_event(*m, muted ? "mute" : "unmute", id, id);
    }
    case MediaState::Video: {
      const bool muted = value;
      if (!muted && !g.sources.camera) return c.reply_error({"not_allowed", "you may not use the camera here"});
      if (me->video_muted == muted) return;
      me->video_muted = muted;
      if (sfu_)
        sfu_->with_room(
            id,
            [muted](sfu::Room& room, const std::string& pid) {
              return room.set_muted(pid, sdp::MediaKind::Video, muted);
            },
            c.ref);
      member_changed(*m, *me);
      return record_event(*m, muted ? "camera_off" : "camera_on", id, id);
    }
    case MediaState::Screen: {
      const bool sharing = value;
      if (sharing && !g.sources.screen) return c.reply_error({"not_allowed", "screen sharing is for hosts only"});
      if (me->screen_sharing == sharing) return;
      me->screen_sharing = sharing;
      if (sfu_)
        sfu_->with_room(
            id,
            [sharing](sfu::Room& room, const std::string& pid) { return room.set_screen_sharing(pid, sharing); },
            c.ref);
      member_changed(*m, *me);
      return record_event(*m, sharing ? "screen_share_start" : "screen_share_stop", id, id);
    }
  }
}

void MeetingService::apply_grants(LiveMeeting& m, Member& member) {
  const Grants g = m.effective(member);
  if (sfu_)
    sfu_->with_room(
        member.id(),
        [g](sfu::Room& room, const std::string& id) { return room.set_publishing(id, g.can_publish, g.sources); },
        nullptr);
  if (member.screen_sharing && !g.sources.screen) {
    member.screen_sharing = false;
    member_changed(m, member);
  }
  member.seat->send({{"type", "grants"}, {"role", to_string(member.role)}, {"grants", to_json(g)}});
}

// --- for the REST API -------------------------------------------------------

std::optional<json::object> MeetingService::live_summary(const std::string& meeting_id) const {
  auto it = live_.find(meeting_id);
  if (it == live_.end()) return std::nullopt;
  const auto& m = *it->second;
  return json::object{{"participants", m.members.size()},
                      {"waiting", m.waiting.size()},
                      {"locked", m.permissions.locked}};
}

bool MeetingService::is_locked(const std::string& meeting_id) const {
  auto it = live_.find(meeting_id);
  return it != live_.end() && it->second->permissions.locked;
}

Result<void> MeetingService::may_stream(const JoinClaims& claims) const {
  if (is_kept_out(claims.meeting_id, claims.identity)) return fail("removed", "the host removed you from this meeting");
  if (claims.grants.is_host) return {};
  auto it = live_.find(claims.meeting_id);
  if (it == live_.end()) return fail("not_started", "the meeting has not started: wait for the host");
  const auto& m = *it->second;
  if (m.permissions.locked) return fail("meeting_locked", "the host locked this meeting");
  if (m.settings.waiting_room) return fail("waiting_room", "this meeting has a waiting room: join from the meeting page");
  return {};
}

bool MeetingService::is_kept_out(const std::string& meeting_id, const std::string& identity) const {
  auto it = kept_out_.find(meeting_id);
  return it != kept_out_.end() && it->second.contains(identity);
}

void MeetingService::meeting_updated(const store::MeetingRecord& record) {
  auto it = live_.find(record.meeting_id);
  if (it == live_.end()) return;
  auto& m = *it->second;
  m.record = record;
  m.settings = settings_from_text(record.settings_json);
}

void MeetingService::meeting_deleted(const std::string& meeting_id) {
  kept_out_.erase(meeting_id);
  if (auto it = live_.find(meeting_id); it != live_.end()) end(*it->second, "deleted");
}

}  // namespace parley::meetings
