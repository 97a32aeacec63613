#pragma once

// Opus RTP payloads (RFC 7587): one Opus packet per RTP packet, opaque to a
// forwarder. For statistics and recording, the TOC byte and frame count of
// the Opus packet (RFC 6716 §3.1, §3.2) can be read.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "rtp/error.hpp"

namespace parley::rtp {

enum class OpusMode : std::uint8_t { Silk, Hybrid, Celt };

enum class OpusBandwidth : std::uint8_t {
  Narrow,     // 4 kHz
  Medium,     // 6 kHz
  Wide,       // 8 kHz
  SuperWide,  // 12 kHz
  Full,       // 20 kHz
};

struct OpusToc {
  std::uint8_t config = 0;  // 0-31, Table 2 of RFC 6716
  OpusMode mode = OpusMode::Silk;
  OpusBandwidth bandwidth = OpusBandwidth::Narrow;
  std::uint32_t frame_duration_us = 0;  // 2500 - 60000
  bool stereo = false;
  std::uint8_t frame_count_code = 0;  // c: 0-3
  std::uint8_t frame_count = 0;       // 1-48

  // Audio the packet holds, in 48 kHz samples (RTP timestamp units, RFC 7587 §4.1).
  std::uint32_t samples_48k() const { return frame_duration_us * 48 / 1000 * frame_count; }
};

// RFC 6716 §3.1: the TOC byte; for code 3 (§3.2.5) the frame count byte too.
// Error::Truncated for an empty payload (RFC 7587 §4.2 never sends one) or a
// code 3 packet without its count byte; Error::Malformed for a frame count
// of 0 or more than 120 ms of audio (§3.2.5).
std::expected<OpusToc, Error> parse_opus_toc(std::span<const std::uint8_t> payload);

}  // namespace parley::rtp
