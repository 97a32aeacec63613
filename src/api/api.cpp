#include "api/api.hpp"

#include <boost/json/array.hpp>

#include "api/echo_endpoint.hpp"
#include "api/meetings_endpoint.hpp"
#include "meetings/meeting_id.hpp"
#include "api/whip_endpoint.hpp"
#include "sfu/sfu_service.hpp"
#include "api/ice_servers.hpp"
#include "api/web_assets.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/json_util.hpp"
#include "common/log.hpp"

namespace parley::api {

namespace json = boost::json;
using http::status;

namespace {

const Error kUnauthorized{"unauthorized", "a valid bearer token is required"};

// The outcome of a call as `viewer_is_caller` sees it (docs/protocol.md).
std::string call_status(const store::CallRecord& c, bool viewer_is_caller) {
  if (c.state != "ended") return c.state;
  if (c.answered_at > 0) return "completed";
  if (c.end_reason == "declined") return "declined";
  if (!viewer_is_caller) return "missed";
  if (c.end_reason == "connection_lost") return "failed";
  return c.end_reason;
}

json::object history_json(const store::CallHistoryEntry& e, const std::string& viewer) {
  const auto& c = e.call;
  const bool outgoing = c.caller_id == viewer;
  json::object peer{{"user_id", outgoing ? c.callee_id : c.caller_id},
                    {"username", outgoing ? e.callee_username : e.caller_username},
                    {"display_name", outgoing ? e.callee_display_name : e.caller_display_name}};
  auto time_or_null = [](std::int64_t t) { return t ? json::value(t) : json::value(nullptr); };
  return {{"call_id", c.call_id},
          {"call_type", c.call_type},
          {"direction", outgoing ? "outgoing" : "incoming"},
          {"peer", std::move(peer)},
          {"status", call_status(c, outgoing)},
          {"end_reason", c.end_reason.empty() ? json::value(nullptr) : json::value(c.end_reason)},
          {"initiated_at", c.initiated_at},
          {"answered_at", time_or_null(c.answered_at)},
          {"ended_at", time_or_null(c.ended_at)},
          {"duration_seconds", c.duration_seconds},
          {"caller_device", c.caller_device},
          {"callee_device", c.callee_device}};
}

}  // namespace

Api::Api(boost::asio::any_io_executor exec, store::StoreThread& store, BlockingPool& cpu_pool, state::EphemeralState& state, const TokenService& tokens,
         metrics::Registry& metrics, ApiConfig config)
    : exec_(std::move(exec)),
      store_(store),
      cpu_pool_(cpu_pool),
      state_(state),
      tokens_(tokens),
      metrics_(metrics),
      config_(std::move(config)),
      requests_(metrics.counter("parley_http_requests_total", "HTTP requests by route and status")),
      dummy_hash_(std::make_shared<const std::string>(hash_password(random_hex(16)))) {}

void Api::handle(Request req, const Peer& peer, Respond respond) {
  const std::string path(target_path(req.target()));
  auto counted = [this, route = path.starts_with("/api/v1/users/") ? std::string("/api/v1/users/*")
                                : path.starts_with("/api/v1/echo/") ? std::string("/api/v1/echo/*")
                                : path.starts_with("/api/v1/rooms/") ? std::string("/api/v1/rooms/*")
                                : path.starts_with("/api/v1/meetings/") ? std::string("/api/v1/meetings/*")
                                : path.starts_with("/whip/") ? std::string("/whip/*")
                                : path.starts_with("/whep/") ? std::string("/whep/*")
                                : path.starts_with("/api/") || path == "/health" ||
                                          path == "/metrics"
                                    ? path
                                    : std::string("static"),
                  respond = std::move(respond)](Response res) {
    requests_.with({{"route", route}, {"status", std::to_string(res.result_int())}}).inc();
    respond(std::move(res));
  };
  const auto method = req.method();
  auto only = [&](http::verb v) {
    if (method == v) return true;
    counted(error_response(req, status::method_not_allowed,
                           {"method_not_allowed", "use " + std::string(http::to_string(v))}));
    return false;
  };

  if (path == "/health") {
    if (only(http::verb::get)) health(std::move(req), std::move(counted));
    return;
  }
  if (path == "/metrics") {
    if (!only(http::verb::get)) return;
    const auto token = bearer_token(req);
    const bool allowed = config_.metrics_token.empty()
                             ? peer.loopback
                             : token && *token == config_.metrics_token;
    if (!allowed) return counted(error_response(req, status::unauthorized, kUnauthorized));
    return counted(text_response(req, status::ok, metrics_.render(),
                                 "text/plain; version=0.0.4; charset=utf-8"));
  }
  if (path == "/api/v1/auth/register") {
    if (only(http::verb::post)) register_user(std::move(req), std::move(counted));
    return;
  }
  if (path == "/api/v1/auth/login") {
    if (only(http::verb::post)) login(std::move(req), std::move(counted));
    return;
  }
  if (is_whip_path(path)) {
    const auto token = bearer_token(req);
    if (!token) return counted(error_response(req, status::unauthorized, kUnauthorized));
    WhipCaller caller;
    if (auto me = tokens_.verify(*token)) {
      caller.owner_id = caller.user_id = me->user_id;
      caller.display_name = me->display_name;
    } else {
      // A meeting's join token, within its grants and the meeting's rules.
      auto stream = config_.meetings ? config_.meetings->whip_caller(*token)
                                     : Result<WhipCaller>(std::unexpected(me.error()));
      if (!stream)
        return counted(error_response(
            req, stream.error().code == "unauthorized" ? status::unauthorized : status::forbidden, stream.error()));
      caller = std::move(*stream);
    }
    return handle_whip(config_.sfu, exec_, std::move(req), caller, path, counted);
  }
  if (config_.meetings && MeetingsEndpoint::matches(path))
    return config_.meetings->handle(std::move(req), peer, path, counted);  // join needs no account
  if (!path.starts_with("/api/")) {
    if (method != http::verb::get && method != http::verb::head)
      return counted(error_response(req, status::method_not_allowed,
                                    {"method_not_allowed", "use GET"}));
    return static_file(req, counted);
  }

  // Everything else under /api needs a token.
  const auto token = bearer_token(req);
  auto me = token ? tokens_.verify(*token) : Result<calls::UserRef>(std::unexpected(kUnauthorized));
  if (!me) return counted(error_response(req, status::unauthorized, me.error()));

  if (path == "/api/v1/me") {
    if (only(http::verb::get)) counted(json_response(req, status::ok, me->to_json()));
    return;
  }
  if (path == "/api/v1/ice-servers") {
    if (only(http::verb::get))
      counted(json_response(req, status::ok,
                            ice_servers_response(config_.ice_servers, config_.turn_secret,
                                                 me->user_id, unix_now(),
                                                 config_.turn_credential_ttl)));
    return;
  }
  if (path == "/api/v1/calls") {
    if (only(http::verb::get)) call_history(std::move(req), *me, std::move(counted));
    return;
  }
  if (path == kEchoPath || path.starts_with(std::string(kEchoPath) + "/"))
    return handle_echo(config_.media, exec_, std::move(req), *me, path, counted);
  constexpr std::string_view kRooms = "/api/v1/rooms/";
  if (path.starts_with(kRooms) && path.size() > kRooms.size()) {
    if (!only(http::verb::get)) return;
    if (!config_.sfu || !config_.sfu->available())
      return counted(error_response(req, status::service_unavailable, {"media_unavailable", "the SFU is not running"}));
    const std::string room = path.substr(kRooms.size());
    // A meeting's people are for its host: GET /api/v1/meetings/{id}/participants.
    if (meetings::is_meeting_room(room))
      return counted(error_response(req, status::not_found, {"not_found", "no such room"}));
    return config_.sfu->snapshot(room, exec_, [req = std::move(req), counted](std::optional<boost::json::object> snap) {
      if (!snap) return counted(error_response(req, status::not_found, {"not_found", "no such room"}));
      counted(json_response(req, status::ok, *snap));
    });
  }
  constexpr std::string_view kUsers = "/api/v1/users/";
  if (path.starts_with(kUsers) && path.size() > kUsers.size()) {
    if (only(http::verb::get))
      user_profile(std::move(req), *me, path.substr(kUsers.size()), std::move(counted));
    return;
  }
  counted(error_response(req, status::not_found, {"not_found", "no such endpoint"}));
}

void Api::register_user(Request req, Respond respond) {
  auto body = json_body(req);
  if (!body) return respond(error_response(req, status::bad_request, body.error()));
  FieldReader r(*body);
  auto username = r.string("username", 64);
  auto password = r.string("password", 1024);
  auto display = r.optional_string("display_name", 256);
  for (const Error* e : {username ? nullptr : &username.error(),
                         password ? nullptr : &password.error(),
                         display ? nullptr : &display.error()})
    if (e) return respond(error_response(req, status::bad_request, *e));
  const std::string name(*username);
  const std::string shown(display->value_or(name));
  for (auto check : {check_username(name), check_password(*password), check_display_name(shown)})
    if (!check) return respond(error_response(req, status::bad_request, check.error()));

  store::UserRecord user{random_id("u_"), name, shown, "", unix_now(), 0};
  cpu_pool_.run(
      exec_, [pw = std::string(*password)] { return hash_password(pw); },
      [this, req = std::move(req), respond = std::move(respond),
       user = std::move(user)](Result<std::string> hash) mutable {
        if (!hash) return respond(error_response(req, status::internal_server_error, hash.error()));
        user.password_hash = std::move(*hash);
        store_.run(
            exec_, [user](store::Store& store) { return store.create_user(user); },
            [this, req = std::move(req), respond = std::move(respond),
             user](Result<bool> created) {
              if (!created)
                return respond(error_response(req, status::internal_server_error, created.error()));
              if (!*created)
                return respond(error_response(
                    req, status::conflict,
                    {"username_taken", "the username '" + user.username + "' is taken"}));
              const calls::UserRef ref{user.user_id, user.username, user.display_name};
              json::object out = ref.to_json();
              out["token"] = tokens_.issue(ref);
              spdlog::info("registered user {}", user.user_id);
              respond(json_response(req, status::created, out));
            });
      });
}

void Api::login(Request req, Respond respond) {
  auto body = json_body(req);
  if (!body) return respond(error_response(req, status::bad_request, body.error()));
  FieldReader r(*body);
  auto username = r.string("username", 64);
  if (!username) return respond(error_response(req, status::bad_request, username.error()));
  auto password = r.string("password", 1024);
  if (!password) return respond(error_response(req, status::bad_request, password.error()));
  store_.run(
      exec_, [name = std::string(*username)](store::Store& store) { return store.user_by_name(name); },
      [this, req = std::move(req), respond = std::move(respond),
       pw = std::string(*password)](Result<std::optional<store::UserRecord>> found) mutable {
        if (!found)
          return respond(error_response(req, status::internal_server_error, found.error()));
        // Unknown users cost the same hash check, so timing does not tell them apart.
        auto user = std::move(*found);
        const std::string hash = user ? user->password_hash : *dummy_hash_;
        cpu_pool_.run(
            exec_, [hash, pw = std::move(pw)] { return verify_password(hash, pw); },
            [this, req = std::move(req), respond = std::move(respond),
             user = std::move(user)](Result<bool> ok) {
              if (!ok || !*ok || !user)
                return respond(error_response(
                    req, status::unauthorized,
                    {"invalid_credentials", "wrong username or password"}));
              const calls::UserRef ref{user->user_id, user->username, user->display_name};
              json::object out = ref.to_json();
              out["token"] = tokens_.issue(ref);
              respond(json_response(req, status::ok, out));
            });
      });
}

void Api::user_profile(Request req, const calls::UserRef&, std::string username,
                       Respond respond) {
  store_.run(
      exec_, [username](store::Store& store) { return store.user_by_name(username); },
      [this, req = std::move(req), respond = std::move(respond)](
          Result<std::optional<store::UserRecord>> found) {
        if (!found)
          return respond(error_response(req, status::internal_server_error, found.error()));
        if (!*found)
          return respond(error_response(req, status::not_found, {"user_not_found", "no such user"}));
        const auto& u = **found;
        respond(json_response(req, status::ok,
                              {{"user_id", u.user_id},
                               {"username", u.username},
                               {"display_name", u.display_name},
                               {"online", state_.user_online(u.user_id)},
                               {"last_seen", u.last_seen}}));
      });
}

void Api::call_history(Request req, const calls::UserRef& me, Respond respond) {
  const auto limit = int_param(req.target(), "limit", 50, 1, 200);
  if (!limit) return respond(error_response(req, status::bad_request, limit.error()));
  const auto before = int_param(req.target(), "before", 0, 0, INT64_MAX);
  if (!before) return respond(error_response(req, status::bad_request, before.error()));
  store_.run(
      exec_,
      [user = me.user_id, limit = *limit, before = *before](store::Store& store) {
        return store.calls_of(user, static_cast<int>(limit), before);
      },
      [req = std::move(req), respond = std::move(respond), user = me.user_id,
       limit = *limit](Result<std::vector<store::CallHistoryEntry>> calls) {
        if (!calls)
          return respond(error_response(req, status::internal_server_error, calls.error()));
        json::array items;
        for (const auto& e : *calls) items.push_back(history_json(e, user));
        json::value next = nullptr;
        if (static_cast<std::int64_t>(calls->size()) == limit && !calls->empty())
          next = calls->back().call.initiated_at;
        respond(json_response(req, status::ok, {{"calls", std::move(items)}, {"next_before", next}}));
      });
}

void Api::health(Request req, Respond respond) {
  store_.run(exec_, [](store::Store& store) { return store.healthy(); },
                  [req = std::move(req), respond = std::move(respond)](Result<bool> ok) {
                    const bool good = ok.value_or(false);
                    respond(json_response(req, good ? status::ok : status::service_unavailable,
                                          {{"status", good ? "ok" : "degraded"},
                                           {"store", good ? "ok" : "unreachable"}}));
                  });
}

void Api::static_file(const Request& req, const Respond& respond) {
  std::string path(target_path(req.target()));
  if (path == "/") path = "/index.html";
  const WebAsset* asset = find_web_asset(path);
  if (!asset)
    return respond(error_response(req, status::not_found, {"not_found", "no such file"}));
  auto res = text_response(req, status::ok, std::string(asset->body), asset->content_type);
  res.set(http::field::cache_control, "no-cache");
  if (asset->content_type.starts_with("text/html"))
    res.set("Content-Security-Policy",
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
            "media-src 'self' blob: mediastream:; style-src 'self' 'unsafe-inline'");
  if (req.method() == http::verb::head) res.body().clear();
  respond(std::move(res));
}

}  // namespace parley::api
