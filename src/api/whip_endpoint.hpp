#pragma once
// WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) into SFU rooms, so that
// OBS Studio, GStreamer and plain `fetch` + RTCPeerConnection pages can
// publish and watch without the WebSocket protocol:
//
//   POST   /whip/{room}                   offer -> 201 answer, Location /whip/{room}/{id}
//   DELETE /whip/{room}/{id}              ends the publisher (RFC 9725 §4.2)
//   POST   /whep/{room}/{participant}     recvonly offer -> 201 answer with that
//                                         participant's tracks, Location .../{id}
//   DELETE /whep/{room}/{participant}/{id}
//
// Bearer token as the rest of the API. The room is created by a WHIP
// publisher if needed; a WHIP publisher appears in the room like any
// participant (and receives nothing); a WHEP viewer gets what the publisher
// sends at the time of its offer. No trickle or ICE restart (PATCH is 405,
// RFC 9725 §4.3: our candidates are in the answer and we are ICE-lite).
#include <boost/asio/any_io_executor.hpp>

#include <string>

#include "api/http_types.hpp"
#include "calls/device_link.hpp"
#include "sfu/participant.hpp"

#include <optional>

namespace parley::sfu {
class SfuService;
}

namespace parley::api {

bool is_whip_path(std::string_view path);

// Who asks: a user (any room but a meeting's), or the holder of a meeting's
// join token (only that meeting, {room} being its id, within its grants).
struct WhipCaller {
  std::string owner_id;  // who may DELETE the session: a user id, or the token's identity
  std::string user_id;
  std::string display_name;
  std::optional<std::string> meeting_id;
  bool can_publish = true;
  bool can_subscribe = true;
  sfu::SourceSet sources;
};

void handle_whip(sfu::SfuService* sfu, const boost::asio::any_io_executor& exec, Request req,
                 const WhipCaller& me, const std::string& path, const Respond& respond);

}  // namespace parley::api
