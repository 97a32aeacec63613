// libFuzzer target for the SDP parser (src/sdp): offers come from the
// network. Beyond "no crash", whatever parses must survive a round trip: the
// serialized text parses again, and serializing that gives the same text.
//
// Built as `sdp_fuzz` with Clang (libFuzzer) and as `sdp_fuzz_replay` with any
// compiler (../replay_main.cpp), which runs as a unit test.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "sdp/sdp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parley::sdp::parse(text);
  if (!parsed) return 0;
  const std::string once = parley::sdp::serialize(*parsed);
  auto again = parley::sdp::parse(once);
  if (!again) {
    std::fprintf(stderr, "sdp_fuzz: serialized SDP does not parse: %s\n",
                 again.error().message.c_str());
    std::abort();
  }
  if (parley::sdp::serialize(*again) != once) {
    std::fprintf(stderr, "sdp_fuzz: serialize is not stable\n");
    std::abort();
  }
  // Trickled candidates arrive alone, outside any SDP.
  (void)parley::sdp::parse_candidate(text);
  return 0;
}
