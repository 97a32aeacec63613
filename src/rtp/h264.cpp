#include "rtp/h264.hpp"

#include <optional>

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

namespace {

// Per aggregation type (§5.7): bytes before the first unit (after the
// payload header) and before each unit's NAL (its size field included).
struct Aggregation {
  std::size_t leading = 0;   // DON (STAP-B) or DONB (MTAPs)
  std::size_t per_unit = 0;  // NALU size + DOND + TS offset
};

std::optional<Aggregation> aggregation_of(std::uint8_t type) {
  switch (type) {
    case h264_nal::kStapA:
      return Aggregation{0, 2};
    case h264_nal::kStapB:
      return Aggregation{2, 2};
    case h264_nal::kMtap16:
      return Aggregation{2, 2 + 1 + 2};
    case h264_nal::kMtap24:
      return Aggregation{2, 2 + 1 + 3};
    default:
      return std::nullopt;
  }
}

void note_nal(H264PayloadInfo& info, std::uint8_t type) {
  if (info.nal_count == 0) info.nal_type = type;
  ++info.nal_count;
  info.has_idr |= type == h264_nal::kIdr;
  info.has_sps |= type == h264_nal::kSps;
  info.has_pps |= type == h264_nal::kPps;
}

}  // namespace

std::expected<H264PayloadInfo, Error> parse_h264_payload(std::span<const std::uint8_t> payload) {
  if (payload.empty()) return std::unexpected(Error::Truncated);
  const std::uint8_t type = payload[0] & 0x1F;  // §5.3: F | NRI | Type
  H264PayloadInfo info;

  if (type >= 1 && type <= 23) {  // §5.6
    info.packetization = H264Packetization::SingleNal;
    note_nal(info, type);
    return info;
  }
  if (const auto agg = aggregation_of(type)) {  // §5.7
    info.packetization = type == h264_nal::kStapA    ? H264Packetization::StapA
                         : type == h264_nal::kStapB  ? H264Packetization::StapB
                         : type == h264_nal::kMtap16 ? H264Packetization::Mtap16
                                                     : H264Packetization::Mtap24;
    std::size_t at = 1 + agg->leading;
    if (at > payload.size()) return std::unexpected(Error::Truncated);
    while (at < payload.size()) {
      if (payload.size() - at < agg->per_unit) return std::unexpected(Error::Truncated);
      const std::size_t size = detail::load_u16(&payload[at]);
      at += agg->per_unit;
      if (size == 0) return std::unexpected(Error::Malformed);
      if (payload.size() - at < size) return std::unexpected(Error::Truncated);
      note_nal(info, payload[at] & 0x1F);
      at += size;
    }
    if (info.nal_count == 0) return std::unexpected(Error::Truncated);
    return info;
  }
  if (type == h264_nal::kFuA || type == h264_nal::kFuB) {       // §5.8
    const std::size_t header = type == h264_nal::kFuA ? 2 : 4;  // FU-B adds the DON
    if (payload.size() < header) return std::unexpected(Error::Truncated);
    const std::uint8_t fu = payload[1];  // S | E | R | Type
    info.packetization = type == h264_nal::kFuA ? H264Packetization::FuA : H264Packetization::FuB;
    info.start_of_nal = (fu & 0x80) != 0;
    info.end_of_nal = (fu & 0x40) != 0;
    if (info.start_of_nal && info.end_of_nal) return std::unexpected(Error::Malformed);
    const std::uint8_t fragmented = fu & 0x1F;
    info.nal_type = fragmented;
    info.nal_count = 1;
    if (info.start_of_nal) {
      info.has_idr = fragmented == h264_nal::kIdr;
      info.has_sps = fragmented == h264_nal::kSps;
      info.has_pps = fragmented == h264_nal::kPps;
    }
    return info;
  }
  return std::unexpected(Error::Unsupported);  // 0, 30, 31
}

namespace detail {

std::span<const std::uint8_t> next_h264_nal(std::span<const std::uint8_t> payload,
                                            std::size_t& at) {
  if (payload.empty()) return {};
  const std::uint8_t type = payload[0] & 0x1F;
  if (type >= 1 && type <= 23) {
    if (at != 0) return {};
    at = payload.size();
    return payload;
  }
  const auto agg = aggregation_of(type);
  if (!agg) return {};
  if (at == 0) at = 1 + agg->leading;
  if (at >= payload.size() || payload.size() - at < agg->per_unit) return {};
  const std::size_t size = load_u16(&payload[at]);
  at += agg->per_unit;
  if (size == 0 || payload.size() - at < size) {
    at = payload.size();
    return {};
  }
  const auto nal = payload.subspan(at, size);
  at += size;
  return nal;
}

}  // namespace detail

}  // namespace parley::rtp
