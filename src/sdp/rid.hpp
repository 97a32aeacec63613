#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/error.hpp"
#include "sdp/parameter.hpp"

namespace parley::sdp {

enum class RidDirection : std::uint8_t { Send, Recv };

std::string_view to_string(RidDirection direction);  // "send", "recv"
RidDirection reversed(RidDirection direction);

// a=rid:<id> <send|recv> [pt=<fmt>,...;][<restriction>=<value>;...]
// (RFC 8851 §10). `payload_types` is the pt= list; `params` the other
// restrictions (max-width, max-fps, depend, ...) in order.
struct Rid {
  std::string id;  // 1*(ALPHA / DIGIT / "-" / "_")
  RidDirection direction = RidDirection::Send;
  std::vector<std::uint8_t> payload_types;
  std::vector<Parameter> params;

  bool operator==(const Rid&) const = default;
};

// Parses the attribute value ("q send max-width=320"). Errors have line 0.
Result<Rid> parse_rid(std::string_view value);

// The attribute value, without "a=rid:".
std::string to_string(const Rid& rid);

}  // namespace parley::sdp
