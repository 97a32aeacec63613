#include "common/json_util.hpp"

namespace parley {

Result<std::string_view> FieldReader::string(std::string_view key, std::size_t max_len) const {
  auto v = optional_string(key, max_len);
  if (!v) return std::unexpected(v.error());
  if (!*v) return fail("missing_field", "field '" + std::string(key) + "' is required");
  return **v;
}

Result<std::optional<std::string_view>> FieldReader::optional_string(std::string_view key,
                                                                     std::size_t max_len) const {
  const auto* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string_view>{};
  if (!v->is_string())
    return fail("invalid_field", "field '" + std::string(key) + "' must be a string");
  const auto& s = v->get_string();
  if (s.size() > max_len)
    return fail("invalid_field",
                "field '" + std::string(key) + "' is longer than " + std::to_string(max_len));
  return std::optional<std::string_view>{std::string_view(s)};
}

Result<bool> FieldReader::boolean(std::string_view key) const {
  const auto* v = obj_.if_contains(key);
  if (!v) return fail("missing_field", "field '" + std::string(key) + "' is required");
  if (!v->is_bool()) return fail("invalid_field", "field '" + std::string(key) + "' must be true or false");
  return v->as_bool();
}

Result<std::int64_t> FieldReader::integer(std::string_view key, std::int64_t min,
                                          std::int64_t max) const {
  const auto* v = obj_.if_contains(key);
  if (!v) return fail("missing_field", "field '" + std::string(key) + "' is required");
  std::int64_t n = 0;
  if (v->is_int64())
    n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    n = static_cast<std::int64_t>(v->get_uint64());
  else
    return fail("invalid_field", "field '" + std::string(key) + "' must be an integer");
  if (n < min || n > max)
    return fail("invalid_field", "field '" + std::string(key) + "' is out of range");
  return n;
}

Result<const json::object*> FieldReader::object(std::string_view key) const {
  const auto* v = obj_.if_contains(key);
  if (!v) return fail("missing_field", "field '" + std::string(key) + "' is required");
  if (!v->is_object())
    return fail("invalid_field", "field '" + std::string(key) + "' must be an object");
  return &v->get_object();
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

}  // namespace parley
