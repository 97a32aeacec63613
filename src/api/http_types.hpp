#pragma once
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace parley::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Respond = std::function<void(Response)>;

// Who is on the other end of an HTTP connection.
struct Peer {
  bool loopback = false;  // 127.0.0.0/8 or ::1
  std::string address;    // for per-client limits
};

Response json_response(const Request& req, http::status status, const boost::json::object& body);
// `{"error": {"code", "message"}}`
Response error_response(const Request& req, http::status status, const Error& error);
Response text_response(const Request& req, http::status status, std::string body,
                       std::string_view content_type);

// The value of `name` in the target's query string, percent-decoded.
std::optional<std::string> query_param(std::string_view target, std::string_view name);
// The target without its query string.
std::string_view target_path(std::string_view target);
// The token of an `Authorization: Bearer <token>` header.
std::optional<std::string_view> bearer_token(const Request& req);
// An integer query parameter within [lo, hi], or `fallback` when absent.
Result<std::int64_t> int_param(std::string_view target, const char* name, std::int64_t fallback, std::int64_t lo,
                               std::int64_t hi);
// The body as a JSON object, or `invalid_json`.
Result<boost::json::object> json_body(const Request& req);

// The media type of the Content-Type, lower case, without parameters.
std::string media_type(const Request& req);

}  // namespace parley::api
