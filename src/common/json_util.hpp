#pragma once
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace parley {

namespace json = boost::json;

// Typed access to the fields of a JSON object received from the network.
// Each getter answers `missing_field` or `invalid_field` with the field's name,
// so that a client always learns which field was wrong.
class FieldReader {
 public:
  explicit FieldReader(const json::object& obj) : obj_(obj) {}

  Result<std::string_view> string(std::string_view key, std::size_t max_len = 1024) const;
  Result<std::optional<std::string_view>> optional_string(std::string_view key,
                                                          std::size_t max_len = 1024) const;
  Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  Result<const json::object*> object(std::string_view key) const;
  Result<bool> boolean(std::string_view key) const;
  bool has(std::string_view key) const { return obj_.contains(key); }

 private:
  const json::object& obj_;
};

// Parses text as a JSON object without throwing; nullopt when it is not one.
std::optional<json::object> parse_object(std::string_view text);

}  // namespace parley
