#pragma once

// Small text helpers shared by the SDP parser and writer. Internal: not part
// of the public API and may change freely.

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sdp::detail {

// Splits on every `sep`, keeping empty pieces ("a;;b" -> "a", "", "b").
std::vector<std::string_view> split(std::string_view text, char sep);

// Splits on runs of spaces and tabs, dropping empty pieces. SDP uses single
// spaces, but a lenient reader costs nothing here.
std::vector<std::string_view> split_words(std::string_view text);

// Strips leading and trailing spaces and tabs.
std::string_view trim(std::string_view text);

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view text);

// RFC 8866 §9 token-char: what mids, group semantics, attribute names and
// transport names are made of.
bool is_token_char(char c);
bool is_token(std::string_view text);

// Printable, non-space bytes (RFC 8866 byte-string without SP/controls);
// bytes >= 0x80 are allowed so UTF-8 passes through.
bool is_visible(std::string_view text);

// RFC 8839 §5.4 ice-char: ALPHA / DIGIT / "+" / "/".
bool is_ice_chars(std::string_view text);

// RFC 8851 §10 rid-id: 1*(alpha-numeric / "-" / "_").
bool is_rid_id(std::string_view text);

// A decimal number made only of digits (no sign, no spaces) that fits T.
template <std::unsigned_integral T>
std::optional<T> parse_uint(std::string_view text, T max = std::numeric_limits<T>::max()) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value > static_cast<std::uint64_t>(max)) return std::nullopt;
  return static_cast<T>(value);
}

// Quotes a piece of untrusted input for an error message: at most 40 bytes,
// non-printable bytes as \xNN.
std::string quote(std::string_view text);

}  // namespace parley::sdp::detail
