#include "api/echo_endpoint.hpp"

#include <algorithm>
#include <cctype>

#include "rtc/echo_service.hpp"
#include "rtc/sdpfrag.hpp"
#include "sdp/parser.hpp"

namespace parley::api {

using http::status;

namespace {


void create(rtc::EchoService& media, const boost::asio::any_io_executor& exec, Request req,
            const calls::UserRef& me, const Respond& respond) {
  // RFC 9725 §4.2: the offer is an application/sdp body.
  if (media_type(req) != "application/sdp")
    return respond(error_response(req, status::unsupported_media_type,
                                  {"unsupported_media_type", "the body must be application/sdp"}));
  auto offer = sdp::parse(req.body());
  if (!offer)
    return respond(error_response(req, status::bad_request,
                                  {"invalid_sdp", offer.error().to_string()}));
  media.create(
      std::move(*offer), me.user_id, exec,
      [req, respond](std::expected<rtc::EchoCreated, rtc::EchoError> created) {
        if (!created) {
          const auto& e = created.error();
          const auto code = e.kind == rtc::EchoError::Kind::BadOffer      ? status::bad_request
                            : e.kind == rtc::EchoError::Kind::Unavailable ? status::service_unavailable
                                                                          : status::internal_server_error;
          return respond(error_response(
              req, code,
              {e.kind == rtc::EchoError::Kind::BadOffer ? "unacceptable_offer" : "media_unavailable",
               e.message}));
        }
        auto res = text_response(req, status::created, std::move(created->answer_sdp), "application/sdp");
        res.set(http::field::location, std::string(kEchoPath) + "/" + created->id);  // RFC 9725 §4.2
        respond(std::move(res));
      });
}

// RFC 9725 §4.3.1: PATCH with an SDP fragment (RFC 8840 §9) on the session
// URL: new ICE credentials restart ICE (200 with our new ones), the current
// ones are trickle (204: as a lite server we have nothing to add).
void patch(rtc::EchoService& media, const boost::asio::any_io_executor& exec, Request req,
           const calls::UserRef& me, const std::string& id, const Respond& respond) {
  if (media_type(req) != rtc::kSdpFragType)
    return respond(error_response(
        req, status::unsupported_media_type,
        {"unsupported_media_type", "the body must be " + std::string(rtc::kSdpFragType)}));
  auto fragment = rtc::parse_sdpfrag(req.body());
  if (!fragment)
    return respond(error_response(req, status::bad_request, {"invalid_sdpfrag", fragment.error()}));
  media.update_ice(
      id, me.user_id, std::move(fragment->ice), exec, [req, respond](rtc::EchoIceResult result) {
        using Kind = rtc::EchoIceResult::Kind;
        switch (result.kind) {
          case Kind::NotFound:
            return respond(error_response(req, status::not_found, {"not_found", "no such echo session"}));
          case Kind::Refused:
            return respond(error_response(req, status::conflict, {"ice_restart_failed", result.message}));
          case Kind::Trickle:
            return respond(text_response(req, status::no_content, "", "text/plain"));
          case Kind::Restarted:
            return respond(text_response(req, status::ok, std::move(result.fragment),
                                         std::string(rtc::kSdpFragType)));
        }
      });
}

}  // namespace

void handle_echo(rtc::EchoService* media, const boost::asio::any_io_executor& exec, Request req,
                 const calls::UserRef& me, const std::string& path, const Respond& respond) {
  const bool collection = path == kEchoPath;
  const std::string id = collection ? std::string() : path.substr(kEchoPath.size() + 1);
  if (collection && req.method() != http::verb::post)
    return respond(error_response(req, status::method_not_allowed, {"method_not_allowed", "use POST"}));
  const bool item_method = req.method() == http::verb::delete_ || req.method() == http::verb::patch;
  if (!collection && (!item_method || id.empty() || id.contains('/')))
    return respond(id.empty() || id.contains('/')
                       ? error_response(req, status::not_found, {"not_found", "no such endpoint"})
                       : error_response(req, status::method_not_allowed,
                                        {"method_not_allowed", "use DELETE or PATCH"}));
  if (!media)
    return respond(error_response(req, status::service_unavailable,
                                  {"media_unavailable", "the media worker is not running"}));
  if (collection) return create(*media, exec, std::move(req), me, respond);
  if (req.method() == http::verb::patch) return patch(*media, exec, std::move(req), me, id, respond);
  // RFC 9725 §4.3: DELETE ends the session; only its owner may.
  media->close(id, me.user_id, exec, [req, respond](bool found) {
    if (!found)
      return respond(error_response(req, status::not_found, {"not_found", "no such echo session"}));
    respond(text_response(req, status::no_content, "", "text/plain"));
  });
}

}  // namespace parley::api
