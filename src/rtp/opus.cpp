#include "rtp/opus.hpp"

namespace parley::rtp {

std::expected<OpusToc, Error> parse_opus_toc(std::span<const std::uint8_t> payload) {
  if (payload.empty()) return std::unexpected(Error::Truncated);
  // §3.1: config (5 bits) | s | c (2 bits).
  OpusToc toc;
  toc.config = payload[0] >> 3;
  toc.stereo = (payload[0] & 0x04) != 0;
  toc.frame_count_code = payload[0] & 0x03;
  const std::uint8_t c = toc.config;
  if (c < 12) {  // SILK-only: NB, MB, WB at 10, 20, 40, 60 ms
    static constexpr std::uint32_t kSilk[4] = {10'000, 20'000, 40'000, 60'000};
    toc.mode = OpusMode::Silk;
    toc.bandwidth = static_cast<OpusBandwidth>(c / 4);
    toc.frame_duration_us = kSilk[c % 4];
  } else if (c < 16) {  // Hybrid: SWB, FB at 10, 20 ms
    toc.mode = OpusMode::Hybrid;
    toc.bandwidth = c < 14 ? OpusBandwidth::SuperWide : OpusBandwidth::Full;
    toc.frame_duration_us = (c % 2 == 0) ? 10'000 : 20'000;
  } else {  // CELT-only: NB, WB, SWB, FB at 2.5, 5, 10, 20 ms
    static constexpr std::uint32_t kCelt[4] = {2'500, 5'000, 10'000, 20'000};
    static constexpr OpusBandwidth kBands[4] = {OpusBandwidth::Narrow, OpusBandwidth::Wide,
                                                OpusBandwidth::SuperWide, OpusBandwidth::Full};
    toc.mode = OpusMode::Celt;
    toc.bandwidth = kBands[(c - 16) / 4];
    toc.frame_duration_us = kCelt[c % 4];
  }
  switch (toc.frame_count_code) {
    case 0:  // §3.2.2: one frame
      toc.frame_count = 1;
      break;
    case 1:  // §3.2.3: two frames, equal size
    case 2:  // §3.2.4: two frames, different sizes
      toc.frame_count = 2;
      break;
    case 3: {  // §3.2.5: v | p | M (6 bits)
      if (payload.size() < 2) return std::unexpected(Error::Truncated);
      toc.frame_count = payload[1] & 0x3F;
      if (toc.frame_count == 0 || toc.frame_count * toc.frame_duration_us > 120'000) {
        return std::unexpected(Error::Malformed);
      }
      break;
    }
  }
  return toc;
}

}  // namespace parley::rtp
