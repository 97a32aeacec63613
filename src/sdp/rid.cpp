#include "sdp/rid.hpp"

#include <algorithm>

#include "sdp/detail/text.hpp"

namespace parley::sdp {

namespace {

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(Error{0, std::move(message)});
}

// RFC 8851 §10 rid-param-other name: 1*(alpha-numeric / "-").
bool is_param_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
         });
}

}  // namespace

std::string_view to_string(RidDirection direction) {
  return direction == RidDirection::Send ? "send" : "recv";
}

RidDirection reversed(RidDirection direction) {
  return direction == RidDirection::Send ? RidDirection::Recv : RidDirection::Send;
}

Result<Rid> parse_rid(std::string_view value) {
  value = detail::trim(value);
  Rid rid;
  std::size_t space = value.find(' ');
  if (space == std::string_view::npos) return fail("expected \"<id> <send|recv>\"");
  std::string_view id = value.substr(0, space);
  if (!detail::is_rid_id(id) || id.size() > 255) {
    return fail("rid id " + detail::quote(id) + " is not alphanumeric, '-' or '_'");
  }
  rid.id = id;

  std::string_view rest = detail::trim(value.substr(space + 1));
  space = rest.find(' ');
  std::string_view direction = rest.substr(0, space);
  if (direction == "send") {
    rid.direction = RidDirection::Send;
  } else if (direction == "recv") {
    rid.direction = RidDirection::Recv;
  } else {
    return fail("direction " + detail::quote(direction) + " is not send or recv");
  }
  if (space == std::string_view::npos) return rid;

  std::string_view restrictions = detail::trim(rest.substr(space + 1));
  if (restrictions.find(' ') != std::string_view::npos) {
    return fail("restrictions " + detail::quote(restrictions) + " contain a space");
  }
  bool seen_pt = false;
  for (auto& param : parse_parameter_list(restrictions)) {
    if (param.name == "pt") {
      if (seen_pt) return fail("pt= given twice");
      seen_pt = true;
      for (std::string_view fmt : detail::split(param.value, ',')) {
        auto pt = detail::parse_uint<std::uint8_t>(fmt, 127);
        if (!pt) return fail("pt " + detail::quote(fmt) + " is not a payload type (0-127)");
        rid.payload_types.push_back(*pt);
      }
      continue;
    }
    if (!is_param_name(param.name)) return fail("restriction " + detail::quote(param.name) + " is not a name");
    if (!param.value.empty() && !detail::is_visible(param.value)) {
      return fail("restriction " + detail::quote(param.name) + " has non-printable bytes");
    }
    rid.params.push_back(std::move(param));
  }
  return rid;
}

std::string to_string(const Rid& rid) {
  std::string out = rid.id;
  out += ' ';
  out += to_string(rid.direction);
  std::string restrictions;
  if (!rid.payload_types.empty()) {
    restrictions = "pt=";
    for (std::size_t i = 0; i < rid.payload_types.size(); ++i) {
      if (i > 0) restrictions += ',';
      restrictions += std::to_string(rid.payload_types[i]);
    }
  }
  if (!rid.params.empty()) {
    if (!restrictions.empty()) restrictions += ';';
    restrictions += format_parameter_list(rid.params);
  }
  if (!restrictions.empty()) {
    out += ' ';
    out += restrictions;
  }
  return out;
}

}  // namespace parley::sdp
