#pragma once

// H.264 RTP payloads (RFC 6184 §5.6-§5.8): single NAL unit packets,
// aggregation packets (STAP-A, STAP-B, MTAP16, MTAP24) and fragmentation
// units (FU-A, FU-B), inspected in place for what a forwarder needs: the NAL
// unit types present and whether the packet starts a keyframe.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "rtp/error.hpp"

namespace parley::rtp {

// H.264 §7.4.1 / RFC 6184 Table 1 (the ones that matter here).
namespace h264_nal {
inline constexpr std::uint8_t kSlice = 1;
inline constexpr std::uint8_t kIdr = 5;
inline constexpr std::uint8_t kSei = 6;
inline constexpr std::uint8_t kSps = 7;
inline constexpr std::uint8_t kPps = 8;
inline constexpr std::uint8_t kAud = 9;
inline constexpr std::uint8_t kStapA = 24;
inline constexpr std::uint8_t kStapB = 25;
inline constexpr std::uint8_t kMtap16 = 26;
inline constexpr std::uint8_t kMtap24 = 27;
inline constexpr std::uint8_t kFuA = 28;
inline constexpr std::uint8_t kFuB = 29;
}  // namespace h264_nal

enum class H264Packetization : std::uint8_t {
  SingleNal,  // §5.6, types 1-23
  StapA,      // §5.7.1, type 24
  StapB,      // §5.7.1, type 25
  Mtap16,     // §5.7.2, type 26
  Mtap24,     // §5.7.2, type 27
  FuA,        // §5.8, type 28
  FuB,        // §5.8, type 29
};

struct H264PayloadInfo {
  H264Packetization packetization = H264Packetization::SingleNal;
  std::uint8_t nal_type = 0;  // the (first) NAL unit's type; for FU, the fragmented unit's
  std::size_t nal_count = 0;  // NAL units (or fragments) in the packet
  bool start_of_nal = true;   // FU: S bit; otherwise true
  bool end_of_nal = true;     // FU: E bit; otherwise true
  bool has_idr = false;       // a NAL unit of type 5 starts in this packet
  bool has_sps = false;       // ... type 7
  bool has_pps = false;       // ... type 8
  // An IDR or SPS NAL unit starts in this packet: decoding can begin here
  // (given the SPS/PPS that browsers send right before the IDR).
  bool keyframe() const { return has_idr || has_sps; }
};

// Error::Truncated when a header or an aggregated unit runs past the payload,
// Error::Malformed for a zero-size aggregated unit or an FU with both S and
// E, Error::Unsupported for NAL types 0, 30 and 31.
std::expected<H264PayloadInfo, Error> parse_h264_payload(std::span<const std::uint8_t> payload);

// Calls f(nal_unit) with each complete NAL unit (header byte included) of a
// single NAL or aggregation packet; FU packets carry none. The payload must
// have passed parse_h264_payload; anything malformed ends the walk.
template <typename F>
void for_each_h264_nal(std::span<const std::uint8_t> payload, F&& f);

namespace detail {
// The next aggregated unit after `at` (0 = the first); empty when done.
std::span<const std::uint8_t> next_h264_nal(std::span<const std::uint8_t> payload, std::size_t& at);
}  // namespace detail

template <typename F>
void for_each_h264_nal(std::span<const std::uint8_t> payload, F&& f) {
  std::size_t at = 0;
  for (auto nal = detail::next_h264_nal(payload, at); !nal.empty();
       nal = detail::next_h264_nal(payload, at)) {
    f(nal);
  }
}

}  // namespace parley::rtp
