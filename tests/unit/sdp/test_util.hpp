#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/sdp.hpp"

namespace parley::sdp {

// Readable failures: GoogleTest prints descriptions as SDP text.
inline void PrintTo(const SessionDescription& sd, std::ostream* out) { *out << "\n" << serialize(sd); }

}  // namespace parley::sdp

namespace parley::sdp::test {

// The text of tests/unit/sdp/fixtures/<name>.
inline std::string load_fixture(const std::string& name) {
  std::ifstream in(std::string(PARLEY_SDP_FIXTURE_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open fixture " << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline const char* const kFixtures[] = {
    "chromium_audio_video.sdp",
    "chromium_simulcast.sdp",
    "chromium_datachannel.sdp",
};

// Lines without their CRLF/LF.
inline std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    out.emplace_back(line);
    pos = end + 1;
  }
  return out;
}

// The lines of m= section `index` (-1: the session part), for checking the
// parser against the raw text.
inline std::vector<std::string> section_lines(std::string_view text, int index) {
  std::vector<std::string> out;
  int current = -1;
  for (auto& line : lines_of(text)) {
    if (line.starts_with("m=")) ++current;
    if (current == index) out.push_back(line);
  }
  return out;
}

// Values of the lines of a section that start with `prefix`, prefix removed.
inline std::vector<std::string> values_with_prefix(const std::vector<std::string>& lines, std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (line.starts_with(prefix)) out.push_back(line.substr(prefix.size()));
  }
  return out;
}

inline SessionDescription parse_ok(std::string_view text) {
  auto parsed = parse(text);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().to_string());
  return parsed ? std::move(*parsed) : SessionDescription{};
}

// A small valid offer to build test inputs from; {MEDIA} is replaced by the
// caller's extra media-level lines.
inline std::string minimal_offer(std::string_view media_lines = {}) {
  std::string sdp =
      "v=0\r\n"
      "o=- 123 1 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\n"
      "a=rtpmap:96 VP8/90000\r\n"
      "a=rtpmap:97 rtx/90000\r\n"
      "a=fmtp:97 apt=96\r\n";
  sdp += media_lines;
  return sdp;
}

}  // namespace parley::sdp::test
