#pragma once
// A tiny blocking HTTP/1.1 client for Parley's own WebRTC client: enough to
// POST an SDP offer to /api/v1/echo (RFC 9725 §4.2, WHIP-style) and DELETE
// the session it creates (§4.3). One connection per request, loopback or LAN.
#include <chrono>
#include <expected>
#include <string>

namespace parley::rtc {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string location;  // the Location header, "" when absent
};

// `method` "GET"/"POST"/"DELETE"; `content_type` is only sent with a body.
// Fails (with the reason) on a connection error or after `timeout`.
std::expected<HttpReply, std::string> http_request(
    const std::string& host, unsigned short port, const std::string& method,
    const std::string& target, const std::string& body = {}, const std::string& content_type = {},
    const std::string& bearer_token = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace parley::rtc
