#include "sdp/codec.hpp"

#include "sdp/detail/text.hpp"

namespace parley::sdp {

bool Codec::is(std::string_view encoding_name) const { return detail::iequals(name, encoding_name); }

std::optional<std::string_view> Codec::fmtp_value(std::string_view key) const {
  return find_parameter(fmtp, key);
}

std::optional<std::uint8_t> Codec::apt() const {
  auto value = fmtp_value("apt");
  if (!value) return std::nullopt;
  return detail::parse_uint<std::uint8_t>(*value, 127);
}

bool Codec::has_feedback(std::string_view type, std::string_view parameter) const {
  for (const auto& fb : rtcp_fb) {
    if (detail::iequals(fb.type, type) && detail::iequals(fb.parameter, parameter)) return true;
  }
  return false;
}

std::string Codec::fmtp_text() const {
  // The received text when it still says what `fmtp` says, so that a round
  // trip keeps it byte for byte.
  if (fmtp.empty() || parse_parameter_list(fmtp_raw) == fmtp) return fmtp_raw;
  return format_parameter_list(fmtp);
}

std::optional<Codec> static_codec(std::uint8_t payload_type) {
  struct Entry {
    std::uint8_t pt;
    const char* name;
    std::uint32_t clock_rate;
    std::uint32_t channels;
  };
  // RFC 3551 §6, tables 4 and 5 (reserved and unassigned numbers left out).
  static constexpr Entry kTable[] = {
      {0, "PCMU", 8000, 0},   {3, "GSM", 8000, 0},     {4, "G723", 8000, 0},
      {5, "DVI4", 8000, 0},   {6, "DVI4", 16000, 0},   {7, "LPC", 8000, 0},
      {8, "PCMA", 8000, 0},   {9, "G722", 8000, 0},    {10, "L16", 44100, 2},
      {11, "L16", 44100, 0},  {12, "QCELP", 8000, 0},  {13, "CN", 8000, 0},
      {14, "MPA", 90000, 0},  {15, "G728", 8000, 0},   {16, "DVI4", 11025, 0},
      {17, "DVI4", 22050, 0}, {18, "G729", 8000, 0},   {25, "CelB", 90000, 0},
      {26, "JPEG", 90000, 0}, {28, "nv", 90000, 0},    {31, "H261", 90000, 0},
      {32, "MPV", 90000, 0},  {33, "MP2T", 90000, 0},  {34, "H263", 90000, 0},
  };
  for (const auto& e : kTable) {
    if (e.pt == payload_type) {
      Codec c;
      c.payload_type = e.pt;
      c.name = e.name;
      c.clock_rate = e.clock_rate;
      c.channels = e.channels;
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace parley::sdp
