#include "api/whip_endpoint.hpp"

#include "meetings/meeting_id.hpp"

#include <algorithm>
#include <cctype>
#include <ranges>
#include <vector>

#include "common/ids.hpp"
#include "sfu/sfu_service.hpp"

namespace parley::api {

namespace {

using status = http::status;

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    const auto next = path.find('/', pos);
    out.emplace_back(path.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

Response session_error(const Request& req, const Error& e) {
  const auto code = e.code == "invalid_sdp" || e.code == "unacceptable_offer" ? status::bad_request
                    : e.code == "not_found"                                   ? status::not_found
                    : e.code == "forbidden"                                   ? status::forbidden
                                                                              : status::service_unavailable;
  return error_response(req, code, e);
}

}  // namespace

bool is_whip_path(std::string_view path) { return path.starts_with("/whip/") || path.starts_with("/whep/"); }

void handle_whip(sfu::SfuService* sfu, const boost::asio::any_io_executor& exec, Request req,
                 const WhipCaller& me, const std::string& path, const Respond& respond) {
  const auto parts = segments(path);
  const bool whip = parts[0] == "whip";
  // whip/{room}[/{id}] or whep/{room}/{participant}[/{id}]
  const std::size_t base = whip ? 2 : 3;
  if (parts.size() < base || parts.size() > base + 1 ||
      !std::ranges::all_of(parts | std::views::drop(1), [](const std::string& s) { return is_token_name(s, 64); }))
    return respond(error_response(req, status::not_found, {"not_found", "no such endpoint"}));
  if (!sfu || !sfu->available())
    return respond(error_response(req, status::service_unavailable, {"media_unavailable", "the SFU is not running"}));
  // A meeting's media room is entered through the meeting, by its rules:
  // with a join token for that meeting, {room} being the meeting id.
  if (meetings::is_meeting_room(parts[1]) || (me.meeting_id && parts[1] != *me.meeting_id))
    return respond(error_response(req, status::forbidden, {"forbidden", "this token is not for this room"}));
  const std::string room = me.meeting_id ? meetings::media_room(*me.meeting_id) : parts[1];

  if (parts.size() == base + 1) {
    // RFC 9725 §4.2: DELETE on the session URL ends it.
    if (req.method() != http::verb::delete_)
      return respond(error_response(req, status::method_not_allowed,
                                    {"method_not_allowed", "use DELETE (no trickle or ICE restart here)"}));
    return sfu->close_session(room, parts[base], me.owner_id, exec, [req, respond](bool found) {
      if (!found) return respond(error_response(req, status::not_found, {"not_found", "no such session"}));
      respond(text_response(req, status::no_content, "", "text/plain"));
    });
  }
  if (req.method() != http::verb::post)
    return respond(error_response(req, status::method_not_allowed, {"method_not_allowed", "use POST"}));
  if (whip ? !me.can_publish : !me.can_subscribe)
    return respond(error_response(req, status::forbidden,
                                  {"forbidden", whip ? "this token may not publish" : "this token may not watch"}));
  if (media_type(req) != "application/sdp")
    return respond(error_response(req, status::unsupported_media_type,
                                  {"unsupported_media_type", "the body must be application/sdp"}));
  sfu::ParticipantInfo info;
  info.user_id = me.owner_id;  // close_session checks it
  info.display_name = me.display_name;
  info.sources = me.sources;
  sfu::SfuService::SessionOp op;
  if (whip) {
    info.can_subscribe = false;
    op = [sdp = req.body()](sfu::Room& r, const std::string& id) { return r.publisher_offer(id, sdp, {}); };
  } else {
    info.can_publish = false;
    op = [sdp = req.body(), publisher = parts[2]](sfu::Room& r, const std::string& id) {
      return r.viewer_offer(id, sdp, publisher);
    };
  }
  // WHEP into a room that does not exist would create it: refuse first.
  auto open = [sfu, exec, req, respond, room, info = std::move(info), op = std::move(op), path]() mutable {
    sfu->open_session(room, std::move(info), std::move(op), exec,
                      [req, respond, path](Result<std::pair<std::string, std::string>> result) {
                        if (!result) return respond(session_error(req, result.error()));
                        auto res = text_response(req, status::created, std::move(result->second), "application/sdp");
                        res.set(http::field::location, path + "/" + result->first);  // RFC 9725 §4.2
                        respond(std::move(res));
                      });
  };
  if (whip) return open();
  sfu->snapshot(room, exec, [req, respond, open = std::move(open)](std::optional<boost::json::object> snap) mutable {
    if (!snap) return respond(error_response(req, status::not_found, {"not_found", "no such room"}));
    open();
  });
}

}  // namespace parley::api
