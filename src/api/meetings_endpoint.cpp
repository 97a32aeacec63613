#include "api/meetings_endpoint.hpp"

#include <openssl/crypto.h>

#include <boost/json/serialize.hpp>

#include <cctype>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/json_util.hpp"
#include "meetings/join_token.hpp"
#include "meetings/meeting_id.hpp"
#include "meetings/meeting_service.hpp"
#include "meetings/meeting_settings.hpp"
#include "store/store_thread.hpp"

namespace parley::api {

namespace json = boost::json;
using http::status;

namespace {

constexpr std::string_view kBase = "/api/v1/meetings";
const Error kUnauthorized{"unauthorized", "a valid bearer token is required"};
const Error kNotFound{"meeting_not_found", "no such meeting"};

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Where the meeting page is, as the client that asked reaches us.
std::string join_url(const Request& req, const store::MeetingRecord& m) {
  std::string host(req[http::field::host]);
  if (host.empty() || host.size() > 255) host = "localhost";
  const auto proto = req["X-Forwarded-Proto"];
  std::string url = (proto == "https" ? "https://" : "http://") + host + "/#/meeting/" + m.meeting_id;
  if (!m.password.empty()) url += "?pwd=" + percent_encode(m.password);
  return url;
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// An optional JSON body: none is an empty object.
Result<json::object> optional_json_body(const Request& req) {
  return req.body().empty() ? Result<json::object>(json::object{}) : json_body(req);
}

// A store job's outcome for one meeting the caller must host.
enum class Access { Ok, NotFound, Invalid };

}  // namespace

MeetingsEndpoint::MeetingsEndpoint(boost::asio::any_io_executor exec, store::StoreThread& store,
                                   const TokenService& tokens, meetings::MeetingService& meetings,
                                   IceServersFunction ice_servers)
    : exec_(std::move(exec)), store_(store), tokens_(tokens), meetings_(meetings), ice_servers_(std::move(ice_servers)) {}

bool MeetingsEndpoint::matches(std::string_view path) {
  return path == kBase || path.starts_with(std::string(kBase) + "/");
}

void MeetingsEndpoint::handle(Request req, const Peer& peer, const std::string& path, const Respond& respond) {
  const auto method = req.method();
  auto wrong_method = [&](std::string_view allowed) {
    respond(error_response(req, status::method_not_allowed,
                           {"method_not_allowed", "use " + std::string(allowed)}));
  };
  // /api/v1/meetings[/{id}[/{action}]]
  std::string id, action;
  if (path.size() > kBase.size()) {
    std::string_view rest = std::string_view(path).substr(kBase.size() + 1);
    const auto slash = rest.find('/');
    id = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) action = std::string(rest.substr(slash + 1));
    if (!meetings::is_meeting_id(id)) return respond(error_response(req, status::not_found, kNotFound));
  }
  const auto token = bearer_token(req);
  std::optional<calls::UserRef> me;
  if (token) {
    auto verified = tokens_.verify(*token);
    if (!verified) return respond(error_response(req, status::unauthorized, verified.error()));
    me = std::move(*verified);
  }
  if (action == "join") {
    if (method != http::verb::post) return wrong_method("POST");
    return join(std::move(req), std::move(me), peer, std::move(id), respond);
  }
  if (!me) return respond(error_response(req, status::unauthorized, kUnauthorized));
  if (id.empty()) {
    if (method == http::verb::post) return create(std::move(req), *me, respond);
    if (method == http::verb::get) return list(std::move(req), *me, respond);
    return wrong_method("GET or POST");
  }
  if (action == "participants" || action == "events") {
    if (method != http::verb::get) return wrong_method("GET");
    return records(std::move(req), *me, std::move(id), action == "events", respond);
  }
  if (!action.empty()) return respond(error_response(req, status::not_found, {"not_found", "no such endpoint"}));
  if (method == http::verb::get) return read(std::move(req), *me, std::move(id), respond);
  if (method == http::verb::patch) return update(std::move(req), *me, std::move(id), respond);
  if (method == http::verb::delete_) return remove(std::move(req), *me, std::move(id), respond);
  wrong_method("GET, PATCH or DELETE");
}

Result<WhipCaller> MeetingsEndpoint::whip_caller(std::string_view join_token) const {
  auto claims = meetings_.tokens().verify(join_token);
  if (!claims) return fail("unauthorized", claims.error().message);
  if (auto ok = meetings_.may_stream(*claims); !ok) return std::unexpected(ok.error());
  WhipCaller c;
  c.owner_id = claims->identity;
  c.user_id = claims->user_id;
  c.display_name = claims->display_name;
  c.meeting_id = claims->meeting_id;
  c.can_publish = claims->grants.can_publish;
  c.can_subscribe = claims->grants.can_subscribe;
  c.sources = claims->grants.sources;
  return c;
}

namespace {

json::object meeting_json(const Request& req, const store::MeetingRecord& m, const meetings::MeetingService& live) {
  json::object out{{"meeting_id", m.meeting_id},
                   {"topic", m.topic},
                   {"start_time", m.start_time},
                   {"duration", m.duration_minutes},
                   {"password", m.password},
                   {"settings", meetings::to_json(meetings::settings_from_text(m.settings_json))},
                   {"host_id", m.host_id},
                   {"host_key", m.host_key},
                   {"join_url", join_url(req, m)},
                   {"created_at", m.created_at},
                   {"updated_at", m.updated_at}};
  auto summary = live.live_summary(m.meeting_id);
  out["live"] = summary ? json::value(std::move(*summary)) : json::value(nullptr);
  return out;
}

}  // namespace

void MeetingsEndpoint::create(Request req, const calls::UserRef& me, const Respond& respond) {
  auto body = optional_json_body(req);
  if (!body) return respond(error_response(req, status::bad_request, body.error()));
  store::MeetingRecord m;
  m.host_id = me.user_id;
  m.topic = me.display_name + "'s meeting";
  m.host_key = meetings::new_host_key();
  m.created_at = m.updated_at = unix_now();
  if (auto ok = meetings::apply_meeting_request(*body, m, m.created_at); !ok)
    return respond(error_response(req, status::bad_request, ok.error()));
  store_.run(
      exec_,
      [m](store::Store& s) mutable -> std::optional<store::MeetingRecord> {
        // 26^10 ids: a collision is rare, three in a row never happens.
        for (int attempt = 0; attempt < 3; ++attempt) {
          m.meeting_id = meetings::new_meeting_id();
          if (s.create_meeting(m)) return m;
        }
        return std::nullopt;
      },
      [this, req = std::move(req), respond](Result<std::optional<store::MeetingRecord>> created) {
        if (!created || !*created)
          return respond(error_response(req, status::internal_server_error, {"internal", "the meeting was not saved"}));
        respond(json_response(req, status::created, meeting_json(req, **created, meetings_)));
      });
}

void MeetingsEndpoint::list(Request req, const calls::UserRef& me, const Respond& respond) {
  store_.run(
      exec_, [host = me.user_id](store::Store& s) { return s.meetings_of(host, unix_now(), 200); },
      [this, req = std::move(req), respond](Result<std::vector<store::MeetingRecord>> found) {
        if (!found) return respond(error_response(req, status::internal_server_error, found.error()));
        json::array list;
        for (const auto& m : *found) list.push_back(meeting_json(req, m, meetings_));
        respond(json_response(req, status::ok, {{"meetings", std::move(list)}}));
      });
}

void MeetingsEndpoint::read(Request req, const calls::UserRef& me, std::string id, const Respond& respond) {
  store_.run(
      exec_, [id](store::Store& s) { return s.meeting_by_id(id); },
      [this, req = std::move(req), respond, host = me.user_id](Result<std::optional<store::MeetingRecord>> found) {
        // Someone else's meeting is answered like a missing one: ids are not
        // to be probed.
        if (!found || !*found || (*found)->host_id != host)
          return respond(error_response(req, status::not_found, kNotFound));
        respond(json_response(req, status::ok, meeting_json(req, **found, meetings_)));
      });
}

void MeetingsEndpoint::update(Request req, const calls::UserRef& me, std::string id, const Respond& respond) {
  auto body = json_body(req);
  if (!body) return respond(error_response(req, status::bad_request, body.error()));
  struct Outcome {
    Access access = Access::NotFound;
    Error error;
    store::MeetingRecord record;
  };
  // Read, change and write in one store job: two PATCHes cannot interleave.
  store_.run(
      exec_,
      [id, host = me.user_id, body = std::move(*body)](store::Store& s) {
        Outcome out;
        auto m = s.meeting_by_id(id);
        if (!m || m->host_id != host) return out;
        if (auto ok = meetings::apply_meeting_request(body, *m, unix_now()); !ok) {
          out.access = Access::Invalid;
          out.error = ok.error();
          return out;
        }
        m->updated_at = unix_now();
        s.update_meeting(*m);
        out.access = Access::Ok;
        out.record = std::move(*m);
        return out;
      },
      [this, req = std::move(req), respond](Result<Outcome> done) {
        if (!done) return respond(error_response(req, status::internal_server_error, done.error()));
        if (done->access == Access::NotFound) return respond(error_response(req, status::not_found, kNotFound));
        if (done->access == Access::Invalid) return respond(error_response(req, status::bad_request, done->error));
        meetings_.meeting_updated(done->record);
        respond(json_response(req, status::ok, meeting_json(req, done->record, meetings_)));
      });
}

void MeetingsEndpoint::remove(Request req, const calls::UserRef& me, std::string id, const Respond& respond) {
  store_.run(
      exec_,
      [id, host = me.user_id](store::Store& s) {
        auto m = s.meeting_by_id(id);
        return m && m->host_id == host && s.delete_meeting(id);
      },
      [this, req = std::move(req), respond, id](Result<bool> deleted) {
        if (!deleted) return respond(error_response(req, status::internal_server_error, deleted.error()));
        if (!*deleted) return respond(error_response(req, status::not_found, kNotFound));
        meetings_.meeting_deleted(id);
        Response res{status::no_content, req.version()};
        res.keep_alive(req.keep_alive());
        respond(std::move(res));
      });
}

void MeetingsEndpoint::join(Request req, std::optional<calls::UserRef> me, const Peer& peer, std::string id,
                            const Respond& respond) {
  const std::string attempts_key = id + "|" + peer.address;
  if (auto wait = wrong_passwords_.blocked(attempts_key, AttemptLimiter::Clock::now())) {
    auto res = error_response(req, status::too_many_requests,
                              {"too_many_attempts", "too many wrong passwords: try again in " +
                                                        std::to_string(wait->count()) + " seconds"});
    res.set(http::field::retry_after, std::to_string(wait->count()));
    return respond(std::move(res));
  }
  auto body = optional_json_body(req);
  if (!body) return respond(error_response(req, status::bad_request, body.error()));
  FieldReader r(*body);
  auto name = r.optional_string("display_name", 256);
  auto password = r.optional_string("password", 256);
  auto host_key = r.optional_string("host_key", 64);
  for (const Error* e : {name ? nullptr : &name.error(), password ? nullptr : &password.error(),
                         host_key ? nullptr : &host_key.error()})
    if (e) return respond(error_response(req, status::bad_request, *e));
  std::string display = name->value_or("").empty() && me ? me->display_name : std::string(name->value_or(""));
  if (auto ok = check_display_name(display); !ok) return respond(error_response(req, status::bad_request, ok.error()));

  store_.run(
      exec_, [id](store::Store& s) { return s.meeting_by_id(id); },
      [this, req = std::move(req), respond, me = std::move(me), display = std::move(display),
       password = std::string(password->value_or("")), host_key = std::string(host_key->value_or("")),
       attempts_key](Result<std::optional<store::MeetingRecord>> found) {
        if (!found) return respond(error_response(req, status::internal_server_error, found.error()));
        if (!*found) return respond(error_response(req, status::not_found, kNotFound));
        const auto& m = **found;
        const bool owner = me && me->user_id == m.host_id;
        // The host's own meeting needs no password; everyone else's does.
        if (!owner && !m.password.empty() && !same_secret(password, m.password)) {
          wrong_passwords_.failure(attempts_key, AttemptLimiter::Clock::now());
          return respond(error_response(req, status::forbidden,
                                        {"wrong_password", "the meeting password is wrong"}));
        }
        if (!host_key.empty() && !same_secret(host_key, m.host_key)) {
          wrong_passwords_.failure(attempts_key, AttemptLimiter::Clock::now());
          return respond(error_response(req, status::forbidden, {"wrong_host_key", "the host key is wrong"}));
        }
        const bool host = owner || !host_key.empty();
        const auto settings = meetings::settings_from_text(m.settings_json);
        meetings::JoinClaims claims;
        claims.meeting_id = m.meeting_id;
        claims.user_id = me ? me->user_id : "";
        claims.identity = me ? "u:" + me->user_id : "g:" + random_id("");
        claims.display_name = display;
        claims.grants.is_host = host;
        claims.grants.can_publish = host || !settings.webinar;
        if (!claims.grants.can_publish) claims.grants.sources = {false, false, false};
        if (meetings_.is_kept_out(m.meeting_id, claims.identity))
          return respond(error_response(req, status::forbidden,
                                        {"removed", "the host removed you from this meeting"}));
        if (meetings_.is_locked(m.meeting_id) && !host)
          return respond(error_response(req, status::forbidden, {"meeting_locked", "the host locked this meeting"}));
        const std::string token = meetings_.tokens().issue(claims);
        respond(json_response(req, status::ok,
                              {{"join_token", token},
                               {"meeting_id", m.meeting_id},
                               {"topic", m.topic},
                               {"display_name", display},
                               {"ice_servers", ice_servers_ ? ice_servers_(claims.user_id) : json::array()},
                               {"grants", meetings::to_json(claims.grants)},
                               {"settings", meetings::to_json(settings)},
                               {"expires_at", claims.expires_at}}));
      });
}

void MeetingsEndpoint::records(Request req, const calls::UserRef& me, std::string id, bool events,
                               const Respond& respond) {
  const auto limit = int_param(req.target(), "limit", 500, 1, 5000);
  if (!limit) return respond(error_response(req, status::bad_request, limit.error()));
  store_.run(
      exec_,
      [id, host = me.user_id, events, n = static_cast<int>(*limit)](store::Store& s) -> std::optional<json::array> {
        auto m = s.meeting_by_id(id);
        if (!m || m->host_id != host) return std::nullopt;
        json::array out;
        if (events) {
          for (const auto& e : s.events_of_meeting(id, n)) {
            auto detail = parse_object(e.detail_json);
            out.push_back(json::object{{"at", e.at},
                                       {"type", e.type},
                                       {"actor_id", e.actor_id},
                                       {"target_id", e.target_id},
                                       {"detail", detail ? json::value(std::move(*detail)) : json::value(json::object{})}});
          }
        } else {
          for (const auto& p : s.participants_of_meeting(id))
            out.push_back(json::object{{"participant_id", p.participant_id},
                                       {"user_id", p.user_id.empty() ? json::value(nullptr) : json::value(p.user_id)},
                                       {"display_name", p.display_name},
                                       {"role", p.role},
                                       {"joined_at", p.joined_at},
                                       {"left_at", p.left_at}});
        }
        return out;
      },
      [req = std::move(req), respond, events](Result<std::optional<json::array>> found) {
        if (!found) return respond(error_response(req, status::internal_server_error, found.error()));
        if (!*found) return respond(error_response(req, status::not_found, kNotFound));
        respond(json_response(req, status::ok, {{events ? "events" : "participants", std::move(**found)}}));
      });
}

}  // namespace parley::api
