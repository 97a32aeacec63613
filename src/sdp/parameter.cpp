#include "sdp/parameter.hpp"

#include "sdp/detail/text.hpp"

namespace parley::sdp {

std::optional<std::string_view> find_parameter(const std::vector<Parameter>& params,
                                               std::string_view name) {
  for (const auto& p : params) {
    if (detail::iequals(p.name, name)) return std::string_view(p.value);
  }
  return std::nullopt;
}

std::vector<Parameter> parse_parameter_list(std::string_view text) {
  std::vector<Parameter> out;
  for (std::string_view item : detail::split(text, ';')) {
    item = detail::trim(item);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      out.push_back({std::string(item), {}});
    } else {
      out.push_back({std::string(detail::trim(item.substr(0, eq))),
                     std::string(detail::trim(item.substr(eq + 1)))});
    }
  }
  return out;
}

std::string format_parameter_list(const std::vector<Parameter>& params) {
  std::string out;
  for (const auto& p : params) {
    if (!out.empty()) out += ';';
    out += p.name;
    if (!p.value.empty()) {
      out += '=';
      out += p.value;
    }
  }
  return out;
}

}  // namespace parley::sdp
