#include "api/http_types.hpp"

#include <cctype>

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "common/json_util.hpp"

namespace parley::api {

Response text_response(const Request& req, http::status status, std::string body,
                       std::string_view content_type) {
  Response res{status, req.version()};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, http::status status, const boost::json::object& body) {
  return text_response(req, status, boost::json::serialize(body), "application/json");
}

Response error_response(const Request& req, http::status status, const Error& error) {
  return json_response(req, status,
                       {{"error", {{"code", error.code}, {"message", error.message}}}});
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  auto params = url->params();
  auto it = params.find(name);
  if (it == params.end() || !(*it).has_value) return std::nullopt;
  return std::string((*it).value);
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string media_type(const Request& req) {
  std::string_view value = req[http::field::content_type];
  value = value.substr(0, value.find(';'));
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.remove_suffix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
  std::string out(value);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::optional<std::string_view> bearer_token(const Request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view v = it->value();
  constexpr std::string_view kPrefix = "Bearer ";
  if (v.size() <= kPrefix.size() || v.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return v.substr(kPrefix.size());
}

// An integer query parameter within [lo, hi], or `fallback` when absent.
Result<std::int64_t> int_param(std::string_view target, const char* name, std::int64_t fallback,
                               std::int64_t lo, std::int64_t hi) {
  auto text = query_param(target, name);
  if (!text) return fallback;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(*text, &used);
    if (used == text->size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  return fail("invalid_field", std::string("query parameter '") + name + "' must be an integer in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

Result<boost::json::object> json_body(const Request& req) {
  auto obj = parse_object(req.body());
  if (!obj) return fail("invalid_json", "the body must be a JSON object");
  return std::move(*obj);
}

}  // namespace parley::api
