#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sdp/error.hpp"

namespace parley::sdp {

// One rid in a simulcast list; "~q" is rid q, paused (RFC 8853 §5.1).
struct SimulcastStream {
  std::string rid;
  bool paused = false;

  bool operator==(const SimulcastStream&) const = default;
};

// One simulcast stream slot: a rid and its alternatives ("1,2" in "1,2;3").
using SimulcastAlternatives = std::vector<SimulcastStream>;

// a=simulcast:[send <list>] [recv <list>] (RFC 8853 §5.1), where a list is
// alternatives separated by ';' and alternatives are rids separated by ','.
// "send q;h;f" gives send = {{q}, {h}, {f}}.
struct Simulcast {
  std::vector<SimulcastAlternatives> send;
  std::vector<SimulcastAlternatives> recv;

  bool operator==(const Simulcast&) const = default;
};

// Parses the attribute value ("send q;h;f", "recv a,~b;c send d").
// Errors have line 0.
Result<Simulcast> parse_simulcast(std::string_view value);

// The attribute value, without "a=simulcast:"; send first.
std::string to_string(const Simulcast& simulcast);

// Send and recv swapped: what an answerer writes back to accept an offer.
Simulcast reversed(const Simulcast& simulcast);

}  // namespace parley::sdp
