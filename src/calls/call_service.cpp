#include "calls/call_service.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include "common/ids.hpp"
#include "common/log.hpp"

namespace parley::calls {

namespace asio = boost::asio;
namespace json = boost::json;

struct CallService::Call {
  Call(asio::any_io_executor ex)
      : ring_timer(ex), grace_timers{asio::steady_timer(ex), asio::steady_timer(ex)} {}

  std::string id;
  std::string type;
  std::string idempotency_claim;
  CallState state = CallState::ringing;
  bool resolving = true;        // the callee is still being looked up
  std::string callee_username;  // as invited; party[kCallee] is set once resolved
  json::value invite_ref;       // echoed in an error the lookup ends with
  std::array<UserRef, 2> party;
  std::array<std::string, 2> device;  // chosen device per side; callee's set on accept
  std::set<std::string> rung;         // callee devices that were told about the call
  std::optional<std::string> sdp_offer;
  std::vector<json::object> held_candidates;  // caller -> callee, before the answer
  std::array<std::unordered_set<std::string>, 2> seen_candidates;  // by sending side
  std::int64_t initiated_at = 0;
  std::int64_t answered_at = 0;
  SteadyClock::time_point invited_at;
  asio::steady_timer ring_timer;
  std::array<asio::steady_timer, 2> grace_timers;
  std::array<unsigned, 2> away_generation{0, 0};
  std::array<bool, 2> away{false, false};
};

namespace {
Role role_of(int side) { return side == 0 ? Role::caller : Role::callee; }

SharedText shared_text(const json::object& msg) {
  return std::make_shared<const std::string>(json::serialize(msg));
}

json::object with_call(std::string_view type, const std::string& call_id) {
  return {{"type", type}, {"call_id", call_id}};
}
}  // namespace

CallService::CallService(asio::any_io_executor exec, store::StoreThread& store,
                         state::EphemeralState& state, PushNotifier* push,
                         metrics::Registry& metrics, CallServiceConfig config)
    : exec_(std::move(exec)),
      store_(store),
      state_(state),
      push_(push),
      config_(config),
      calls_total_(metrics.counter("parley_calls_total", "1:1 calls ended, by outcome")),
      calls_live_(metrics.gauge("parley_calls_live", "1:1 calls ringing or active").with()),
      devices_connected_(
          metrics.gauge("parley_connected_devices", "Devices registered on a WebSocket").with()),
      setup_latency_(metrics
                         .histogram("parley_call_setup_seconds",
                                    "From call_invite received to incoming_call sent",
                                    {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                     0.5, 1, 2.5})
                         .with()) {}

CallService::~CallService() { shutdown(); }

void CallService::shutdown() {
  *alive_ = false;
  calls_.clear();
  users_.clear();
}

// ---------------------------------------------------------------- devices

CallService::UserEntry& CallService::user_entry(const UserRef& ref) {
  auto& e = users_[ref.user_id];
  if (e.ref.user_id.empty()) e.ref = ref;
  return e;
}

void CallService::forget_user_if_idle(const std::string& user_id) {
  auto it = users_.find(user_id);
  if (it != users_.end() && it->second.devices.empty() && it->second.calls.empty())
    users_.erase(it);
}

DeviceLink* CallService::link_of(const std::string& user_id, const std::string& device_id) const {
  auto u = users_.find(user_id);
  if (u == users_.end()) return nullptr;
  auto d = u->second.devices.find(device_id);
  return d == u->second.devices.end() ? nullptr : d->second.link.get();
}

void CallService::send_to(const std::string& user_id, const std::string& device_id,
                          json::object msg) {
  if (DeviceLink* link = link_of(user_id, device_id)) link->send(std::move(msg));
}

void CallService::attach(const UserRef& user, const std::string& device_id,
                         const std::string& device_name, const std::string& push_token,
                         std::shared_ptr<DeviceLink> link) {
  auto& entry = user_entry(user);
  auto& dev = entry.devices[device_id];
  if (dev.link && dev.link != link) dev.link->close(4000, "replaced");
  const bool was_connected = static_cast<bool>(dev.link);
  dev.name = device_name;
  dev.link = link;
  if (!was_connected) {
    state_.device_online(user.user_id, device_id);
    devices_connected_.add(1);
  }
  const auto now = unix_now();
  store_.post([rec = store::DeviceRecord{user.user_id, device_id, device_name, push_token, now}](
                  store::Store& store) {
    store.upsert_device(rec);
    store.set_last_seen(rec.user_id, rec.last_seen);
  });

  json::array resumed;
  std::vector<Call*> to_resume, to_ring;
  for (const auto& call_id : entry.calls) {
    auto it = calls_.find(call_id);
    if (it == calls_.end() || it->second->resolving) continue;
    Call& c = *it->second;
    const Side side = c.party[kCaller].user_id == user.user_id ? kCaller : kCallee;
    if (c.device[side] == device_id) {
      to_resume.push_back(&c);
      resumed.emplace_back(c.id);
    } else if (side == kCallee && c.state == CallState::ringing) {
      to_ring.push_back(&c);
    }
  }
  link->send({{"type", "registered"},
              {"device_id", device_id},
              {"user_id", user.user_id},
              {"resumed_calls", std::move(resumed)}});
  for (Call* c : to_resume) {
    const Side side = c->party[kCaller].user_id == user.user_id ? kCaller : kCallee;
    const Side other = side == kCaller ? kCallee : kCaller;
    json::object st = with_call("call_state", c->id);
    st["state"] = to_string(c->state);
    st["role"] = side == kCaller ? "caller" : "callee";
    st["call_type"] = c->type;
    st["peer"] = c->party[other].to_json();
    st["answered_at"] = c->answered_at;
    if (c->state == CallState::ringing && c->sdp_offer) st["sdp_offer"] = *c->sdp_offer;
    link->send(std::move(st));
    mark_back(*c, side);
  }
  for (Call* c : to_ring) {
    c->rung.insert(device_id);
    link->send(incoming_call_message(*c));
  }
}

void CallService::detach(const std::string& user_id, const std::string& device_id,
                         const DeviceLink* link) {
  auto u = users_.find(user_id);
  if (u == users_.end()) return;
  auto d = u->second.devices.find(device_id);
  if (d == u->second.devices.end() || d->second.link.get() != link) return;
  u->second.devices.erase(d);
  state_.device_offline(user_id, device_id);
  devices_connected_.add(-1);
  store_.post([user_id, now = unix_now()](store::Store& store) {
    store.set_last_seen(user_id, now);
  });
  for (const auto& call_id : std::vector<std::string>(u->second.calls.begin(),
                                                      u->second.calls.end())) {
    auto it = calls_.find(call_id);
    if (it == calls_.end()) continue;
    Call& c = *it->second;
    const Side side = c.party[kCaller].user_id == user_id ? kCaller : kCallee;
    if (c.device[side] == device_id) mark_away(c, side);
  }
  forget_user_if_idle(user_id);
}

// Reconnect: the chosen device of `side` dropped. RFC-free policy: the call is
// kept for the grace period, then ends as connection_lost.
void CallService::mark_away(Call& c, Side side) {
  c.away[side] = true;
  const unsigned generation = ++c.away_generation[side];
  const Side other = side == kCaller ? kCallee : kCaller;
  if (!c.device[other].empty())
    send_to(c.party[other].user_id, c.device[other], with_call("peer_disconnected", c.id));
  auto& timer = c.grace_timers[side];
  timer.expires_after(config_.reconnect_grace);
  timer.async_wait([this, alive = alive_, id = c.id, side, generation](boost::system::error_code ec) {
    if (ec || !*alive) return;
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    Call& call = *it->second;
    if (!call.away[side] || call.away_generation[side] != generation) return;
    finish(call, EndReason::connection_lost);
  });
}

void CallService::mark_back(Call& c, Side side) {
  if (!c.away[side]) return;
  c.away[side] = false;
  ++c.away_generation[side];
  c.grace_timers[side].cancel();
  const Side other = side == kCaller ? kCallee : kCaller;
  if (!c.device[other].empty())
    send_to(c.party[other].user_id, c.device[other], with_call("peer_reconnected", c.id));
}

// ---------------------------------------------------------------- lookups

CallService::Call* CallService::find_call(const Sender& from, const std::string& call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second->resolving) {
    from.reply_error({"call_not_found", "no live call " + call_id});
    return nullptr;
  }
  if (!side_of(*it->second, from.user.user_id)) {
    from.reply_error({"not_a_party", "call " + call_id + " is not yours"});
    return nullptr;
  }
  return it->second.get();
}

std::optional<CallService::Side> CallService::side_of(const Call& c,
                                                      const std::string& user_id) const {
  if (c.party[kCaller].user_id == user_id) return kCaller;
  if (c.party[kCallee].user_id == user_id) return kCallee;
  return std::nullopt;
}

// Glare, both invites still being looked up: the callee's own invite back to
// this caller does not make the callee busy. This call reached the server
// first, so it rings, and the callee's invite will find it and accept it.
bool CallService::is_busy(const std::string& callee_id, const Call& c) const {
  auto u = users_.find(callee_id);
  if (u == users_.end()) return false;
  return std::any_of(u->second.calls.begin(), u->second.calls.end(), [&](const std::string& id) {
    if (id == c.id) return false;
    const Call& other = *calls_.at(id);
    const bool glare_pending = other.resolving && other.party[kCaller].user_id == callee_id &&
                               other.callee_username == c.party[kCaller].username;
    return !glare_pending;
  });
}

bool CallService::is_chosen_device(const Call& c, Side side, const std::string& device_id) const {
  return !c.device[side].empty() && c.device[side] == device_id;
}

json::object CallService::incoming_call_message(const Call& c) const {
  json::object m = with_call("incoming_call", c.id);
  m["call_type"] = c.type;
  m["caller"] = c.party[kCaller].to_json();
  if (c.sdp_offer) m["sdp_offer"] = *c.sdp_offer;
  return m;
}

// ---------------------------------------------------------------- invite

void CallService::invite(const Sender& from, const std::string& callee_username,
                         const std::string& call_type, const std::string& idempotency_key,
                         std::optional<std::string> sdp_offer) {
  const std::string call_id = random_id("c_");
  const std::string claim = "idem:" + from.user.user_id + ":" + idempotency_key;
  // Idempotency first: a retry must find its call even while that call rings.
  if (auto existing = state_.claim_key(claim, call_id, config_.idempotency_ttl)) {
    from.link.send({{"type", "call_initiated"}, {"call_id", *existing}, {"deduplicated", true}});
    auto it = calls_.find(*existing);
    if (it != calls_.end() && it->second->state == CallState::ringing && !it->second->resolving)
      from.link.send(with_call("call_ringing", *existing));
    return;
  }
  if (callee_username == from.user.username) {
    state_.release_key(claim);
    return from.reply_error({"invalid_callee", "you cannot call yourself"});
  }
  // An incoming call that still rings does not stop the user from calling out
  // (that is how glare happens); an outgoing or answered one does.
  if (auto u = users_.find(from.user.user_id); u != users_.end()) {
    for (const auto& id : u->second.calls) {
      const Call& c = *calls_.at(id);
      if (c.state != CallState::ringing || c.party[kCaller].user_id == from.user.user_id) {
        state_.release_key(claim);
        return from.reply_error({"invalid_state", "you are already in call " + id});
      }
    }
  }

  auto call = std::make_unique<Call>(exec_);
  call->id = call_id;
  call->type = call_type;
  call->idempotency_claim = claim;
  call->party[kCaller] = from.user;
  call->device[kCaller] = from.device_id;
  call->callee_username = callee_username;
  call->invite_ref = from.ref;
  call->sdp_offer = std::move(sdp_offer);
  call->initiated_at = unix_now();
  call->invited_at = SteadyClock::now();
  user_entry(from.user).calls.insert(call_id);
  calls_.emplace(call_id, std::move(call));
  calls_live_.add(1);
  resolve_callee(call_id, callee_username);
}

void CallService::resolve_callee(std::string call_id, std::string callee_username) {
  struct Lookup {
    std::optional<store::UserRecord> user;
    std::vector<store::DeviceRecord> devices;
  };
  store_.run(
      exec_,
      [name = std::move(callee_username)](store::Store& store) {
        Lookup l;
        l.user = store.user_by_name(name);
        if (l.user) l.devices = store.devices_of(l.user->user_id);
        return l;
      },
      [this, alive = alive_, call_id](Result<Lookup> result) {
        if (!*alive) return;
        auto it = calls_.find(call_id);
        if (it == calls_.end()) return;
        Call& c = *it->second;
        const UserRef caller = c.party[kCaller];
        const std::string caller_device = c.device[kCaller];
        auto drop_pending = [&](const Error& e) {
          const json::value ref = c.invite_ref;  // `c` is erased below
          state_.release_key(c.idempotency_claim);
          users_[caller.user_id].calls.erase(call_id);
          calls_.erase(it);
          calls_live_.add(-1);
          auto u = users_.find(caller.user_id);
          auto d = u == users_.end() ? nullptr : &u->second.devices;
          if (d && d->contains(caller_device) && d->at(caller_device).link)
            d->at(caller_device).link->send_error(e, ref);
          forget_user_if_idle(caller.user_id);
        };
        if (!result) return drop_pending({"internal", "the callee could not be looked up"});
        if (!result->user) return drop_pending({"user_not_found", "no such user"});
        const auto& rec = *result->user;
        UserRef callee{rec.user_id, rec.username, rec.display_name};

        // Glare: the callee is already ringing us. Their call, which reached
        // the server first, wins; our invite becomes its acceptance.
        if (auto u = users_.find(callee.user_id); u != users_.end()) {
          for (const auto& other_id : u->second.calls) {
            Call& other = *calls_.at(other_id);
            if (other.state == CallState::ringing && !other.resolving &&
                other.party[kCaller].user_id == callee.user_id &&
                other.party[kCallee].user_id == caller.user_id) {
              const std::string claim = c.idempotency_claim;
              users_[caller.user_id].calls.erase(call_id);
              calls_.erase(it);
              calls_live_.add(-1);
              state_.release_key(claim);
              state_.claim_key(claim, other.id, config_.idempotency_ttl);
              send_to(caller.user_id, caller_device,
                      {{"type", "call_initiated"},
                       {"call_id", other.id},
                       {"deduplicated", false},
                       {"glare", true}});
              connect(other, caller_device, std::nullopt, /*glare=*/true);
              return;
            }
          }
        }

        c.party[kCallee] = callee;
        c.resolving = false;
        user_entry(callee).calls.insert(call_id);
        send_to(caller.user_id, caller_device,
                {{"type", "call_initiated"}, {"call_id", call_id}, {"deduplicated", false}});
        if (is_busy(callee.user_id, c)) return finish(c, EndReason::busy);
        save(c);
        start_ringing(c, std::move(result->devices));
      });
}

void CallService::start_ringing(Call& c, std::vector<store::DeviceRecord> registered) {
  const auto& callee = c.party[kCallee];
  auto& entry = users_.at(callee.user_id);
  const auto incoming = shared_text(incoming_call_message(c));
  for (auto& [device_id, dev] : entry.devices) {
    if (!dev.link) continue;
    c.rung.insert(device_id);
    dev.link->send_text(incoming);
  }
  setup_latency_.observe(
      std::chrono::duration<double>(SteadyClock::now() - c.invited_at).count());

  json::array offline;
  for (const auto& d : registered)
    if (!entry.devices.contains(d.device_id))
      offline.push_back({{"device_id", d.device_id},
                         {"device_name", d.device_name},
                         {"pushkey", d.push_token}});
  if (push_ && !offline.empty()) {
    json::object n = incoming_call_message(c);
    n.erase("sdp_offer");
    n.erase("call_id");
    n["type"] = "incoming_call";
    n["call_id"] = c.id;
    n["callee_user_id"] = callee.user_id;
    n["devices"] = std::move(offline);
    push_->notify({{"notification", std::move(n)}}, [this, alive = alive_, id = c.id] {
      if (!*alive) return false;
      auto it = calls_.find(id);
      return it != calls_.end() && it->second->state == CallState::ringing;
    });
  }

  send_to(c.party[kCaller].user_id, c.device[kCaller], with_call("call_ringing", c.id));
  c.ring_timer.expires_after(config_.ring_timeout);
  c.ring_timer.async_wait([this, alive = alive_, id = c.id](boost::system::error_code ec) {
    if (ec || !*alive) return;
    auto it = calls_.find(id);
    if (it != calls_.end() && it->second->state == CallState::ringing)
      finish(*it->second, EndReason::no_answer);
  });
}

// ---------------------------------------------------------------- answer

void CallService::accept(const Sender& from, const std::string& call_id,
                         std::optional<std::string> sdp_answer) {
  Call* c = find_call(from, call_id);
  if (!c) return;
  const Side side = *side_of(*c, from.user.user_id);
  if (c->state == CallState::active && side == kCallee) {
    if (c->device[kCallee] == from.device_id)
      return from.link.send(with_call("call_connected", c->id));
    return from.reply_error({"already_answered", "call " + call_id + " was answered elsewhere"});
  }
  auto t = transition(c->state, Action::accept, role_of(side));
  if (!t) return from.reply_error(t.error());
  connect(*c, from.device_id, std::move(sdp_answer), /*glare=*/false);
}

void CallService::connect(Call& c, const std::string& device_id,
                          std::optional<std::string> sdp_answer, bool glare) {
  c.state = CallState::active;
  c.device[kCallee] = device_id;
  c.answered_at = unix_now();
  c.ring_timer.cancel();
  const auto& caller = c.party[kCaller];
  const auto& callee = c.party[kCallee];

  json::object accepted = with_call("call_accepted", c.id);
  accepted["sdp_answer"] = sdp_answer ? json::value(*sdp_answer) : json::value(nullptr);
  accepted["device_id"] = device_id;
  send_to(caller.user_id, c.device[kCaller], std::move(accepted));

  json::object connected = with_call("call_connected", c.id);
  if (glare) {
    connected["glare"] = true;
    if (c.sdp_offer) connected["sdp_offer"] = *c.sdp_offer;
  }
  send_to(callee.user_id, device_id, std::move(connected));

  if (auto u = users_.find(callee.user_id); u != users_.end()) {
    const auto elsewhere = shared_text(with_call("call_answered_elsewhere", c.id));
    for (const auto& [other, dev] : u->second.devices)
      if (other != device_id && dev.link) dev.link->send_text(elsewhere);
  }

  for (auto& cand : c.held_candidates) send_to(callee.user_id, device_id, std::move(cand));
  c.held_candidates.clear();
  save(c);
}

// ---------------------------------------------------------------- endings

// decline, cancel and end: a party's move that ends the call. Any ringing
// device of the callee may decline; cancel and end come from the device in the call.
void CallService::end_by_party(const Sender& from, const std::string& call_id, Action action) {
  Call* c = find_call(from, call_id);
  if (!c) return;
  const Side side = *side_of(*c, from.user.user_id);
  auto t = transition(c->state, action, role_of(side));
  if (!t) return from.reply_error(t.error());
  if (action != Action::decline && !is_chosen_device(*c, side, from.device_id))
    return from.reply_error({"not_a_party", "call " + call_id + " is on another of your devices"});
  finish(*c, *t->reason);
}

void CallService::decline(const Sender& from, const std::string& call_id) {
  end_by_party(from, call_id, Action::decline);
}

void CallService::cancel(const Sender& from, const std::string& call_id) {
  end_by_party(from, call_id, Action::cancel);
}

void CallService::end(const Sender& from, const std::string& call_id) {
  end_by_party(from, call_id, Action::end);
}

void CallService::handoff(const Sender& from, const std::string& call_id) {
  Call* c = find_call(from, call_id);
  if (!c) return;
  const Side side = *side_of(*c, from.user.user_id);
  auto t = transition(c->state, Action::handoff, role_of(side));
  if (!t) return from.reply_error(t.error());
  if (is_chosen_device(*c, side, from.device_id))
    return from.reply_error({"invalid_state", "the call is already on this device"});
  const std::string old_device = c->device[side];
  const Side other = side == kCaller ? kCallee : kCaller;
  c->device[side] = from.device_id;
  if (side == kCallee) c->rung.erase(old_device);  // told below; not told twice
  if (c->away[side]) {
    c->away[side] = false;
    ++c->away_generation[side];
    c->grace_timers[side].cancel();
  }
  c->seen_candidates = {};
  json::object ended = with_call("call_ended", c->id);
  ended["reason"] = "handed_off";
  ended["duration_seconds"] = unix_now() - c->answered_at;
  send_to(from.user.user_id, old_device, std::move(ended));
  json::object connected = with_call("call_connected", c->id);
  connected["handoff"] = true;
  connected["call_type"] = c->type;
  connected["peer"] = c->party[other].to_json();
  connected["role"] = side == kCaller ? "caller" : "callee";
  from.link.send(std::move(connected));
  json::object moved = with_call("call_handed_off", c->id);
  moved["device_id"] = from.device_id;
  send_to(c->party[other].user_id, c->device[other], std::move(moved));
  save(*c);
}

store::CallRecord CallService::record_of(const Call& c) const {
  store::CallRecord r;
  r.call_id = c.id;
  r.call_type = c.type;
  r.caller_id = c.party[kCaller].user_id;
  r.callee_id = c.party[kCallee].user_id;
  r.state = std::string(to_string(c.state));
  r.initiated_at = c.initiated_at;
  r.answered_at = c.answered_at;
  r.caller_device = c.device[kCaller];
  r.callee_device = c.device[kCallee];
  return r;
}

void CallService::save(const Call& c) {
  store_.post([rec = record_of(c)](store::Store& store) { store.save_call(rec); });
}

void CallService::finish(Call& c, EndReason reason) {
  c.state = CallState::ended;
  c.ring_timer.cancel();
  for (auto& t : c.grace_timers) t.cancel();
  store::CallRecord rec = record_of(c);
  rec.end_reason = std::string(to_string(reason));
  rec.ended_at = unix_now();
  rec.duration_seconds = c.answered_at ? std::max<std::int64_t>(0, rec.ended_at - c.answered_at) : 0;

  // Who is told: the caller's device, every callee device that rang, and the
  // device that answered. Resolved again when the message goes out, because
  // a device may reconnect while the record is being written.
  std::vector<std::pair<std::string, std::string>> recipients;
  recipients.emplace_back(c.party[kCaller].user_id, c.device[kCaller]);
  std::set<std::string> callee_devices = c.rung;
  if (!c.device[kCallee].empty()) callee_devices.insert(c.device[kCallee]);
  for (const auto& d : callee_devices) recipients.emplace_back(c.party[kCallee].user_id, d);

  json::object msg = with_call("call_ended", c.id);
  msg["reason"] = rec.end_reason;
  msg["duration_seconds"] = rec.duration_seconds;

  calls_total_.with({{"outcome", rec.end_reason}}).inc();
  calls_live_.add(-1);
  const std::string id = c.id;
  for (const auto& p : c.party) {
    if (p.user_id.empty()) continue;
    if (auto u = users_.find(p.user_id); u != users_.end()) u->second.calls.erase(id);
  }
  const std::array<std::string, 2> users{c.party[kCaller].user_id, c.party[kCallee].user_id};
  calls_.erase(id);  // `c` is gone from here on
  for (const auto& u : users)
    if (!u.empty()) forget_user_if_idle(u);

  // Durable before anyone is told: a client that saw call_ended finds the
  // call in its history, even across a crash.
  store_.run(
      exec_, [rec = std::move(rec)](store::Store& store) { store.save_call(rec); },
      [this, alive = alive_, recipients = std::move(recipients),
       msg = std::move(msg)](Result<void>) {
        if (!*alive) return;
        const auto text = shared_text(msg);
        for (const auto& [user, device] : recipients)
          if (DeviceLink* link = link_of(user, device)) link->send_text(text);
      });
}

// ---------------------------------------------------------------- media relay

void CallService::relay(const Sender& from, const std::string& call_id, Relay kind,
                        json::object message) {
  Call* c = find_call(from, call_id);
  if (!c) return;
  const Side side = *side_of(*c, from.user.user_id);
  if (!is_chosen_device(*c, side, from.device_id))
    return from.reply_error(
        {c->state == CallState::ringing ? "invalid_state" : "not_a_party",
         c->state == CallState::ringing ? "answer the call before negotiating media"
                                        : "call " + call_id + " is on another device"});
  std::string dedupe_key;
  if (kind == Relay::candidate) {
    const auto& cand = message.at("candidate");
    dedupe_key = json::serialize(cand);
    if (!c->seen_candidates[side].insert(dedupe_key).second) return;  // duplicate: drop
  }
  message["from_device"] = from.device_id;
  if (c->state == CallState::ringing) {
    // Only the caller's trickled candidates can exist before the answer; they
    // are held for whichever device answers.
    if (kind != Relay::candidate)
      return from.reply_error({"invalid_state", "the call has not been answered yet"});
    c->held_candidates.push_back(std::move(message));
    return;
  }
  const Side other = side == kCaller ? kCallee : kCaller;
  send_to(c->party[other].user_id, c->device[other], std::move(message));
}

}  // namespace parley::calls
