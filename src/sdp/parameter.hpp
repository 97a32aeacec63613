#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sdp {

// One "name=value" item of a list such as an fmtp line (RFC 8866 §6.15), rid
// restrictions (RFC 8851 §4) or a candidate extension (RFC 8839 §5.1). An
// item written without "=" (e.g. the "111/111" of RED's fmtp) has an empty
// value and is written back bare.
struct Parameter {
  std::string name;
  std::string value;

  bool operator==(const Parameter&) const = default;
};

// The value of the first parameter called `name` (case-insensitive), if any.
std::optional<std::string_view> find_parameter(const std::vector<Parameter>& params,
                                               std::string_view name);

// Splits "a=1;b=2;c" on ';' and at the first '=' of each item. Spaces around
// items are dropped and empty items are skipped.
std::vector<Parameter> parse_parameter_list(std::string_view text);

// The inverse: "a=1;b=2;c".
std::string format_parameter_list(const std::vector<Parameter>& params);

}  // namespace parley::sdp
