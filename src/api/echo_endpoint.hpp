#pragma once
// The WHIP-style echo endpoint (RFC 9725 §4.2, with the echo as the media
// "server"): POST /api/v1/echo with an SDP offer (application/sdp) creates a
// session whose answer comes back as 201 with Location /api/v1/echo/<id>;
// DELETE on that URL ends it; PATCH on it with an SDP fragment
// (application/trickle-ice-sdpfrag, RFC 9725 §4.3.1 / RFC 8840 §9) restarts
// ICE when the fragment's credentials are new (200 with our new ones) and is
// a no-op trickle otherwise (204). The media worker does the work on its own
// thread; the handlers here only post to it and answer when it is done.
#include <boost/asio/any_io_executor.hpp>

#include <string>

#include "api/http_types.hpp"
#include "calls/device_link.hpp"

namespace parley::rtc {
class EchoService;
}

namespace parley::api {

inline constexpr std::string_view kEchoPath = "/api/v1/echo";

// `path` is /api/v1/echo or /api/v1/echo/<id>; `me` is the authenticated
// user. `media` may be null (no media worker): 503.
void handle_echo(rtc::EchoService* media, const boost::asio::any_io_executor& exec, Request req,
                 const calls::UserRef& me, const std::string& path, const Respond& respond);

}  // namespace parley::api
