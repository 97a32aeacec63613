#include "rtp/rtx.hpp"

#include <cstring>

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

std::optional<std::uint16_t> rtx_original_sequence(const RtpPacket& rtx) {
  const auto payload = rtx.payload();
  if (payload.size() < kRtxOsnSize) return std::nullopt;
  return detail::load_u16(payload.data());
}

std::expected<std::size_t, Error> rtx_wrap(const RtpPacket& original, std::span<std::uint8_t> out,
                                           const RtxWrap& rtx) {
  if (rtx.payload_type > 127) return std::unexpected(Error::ValueOutOfRange);
  const std::uint16_t osn = original.sequence_number();  // before `out` may overwrite it
  const std::size_t header = original.header_size();
  const auto payload = original.payload();
  const std::size_t size = header + kRtxOsnSize + payload.size();
  if (out.size() < size) return std::unexpected(Error::BufferTooSmall);
  std::uint8_t* p = out.data();
  // Payload first with memmove, in case `out` overlaps the original.
  std::memmove(p + header + kRtxOsnSize, payload.data(), payload.size());
  std::memmove(p, original.bytes().data(), header);
  p[0] &= static_cast<std::uint8_t>(~0x20);  // no padding
  p[1] = static_cast<std::uint8_t>((p[1] & 0x80) | rtx.payload_type);
  detail::store_u16(p + 2, rtx.sequence_number);
  detail::store_u32(p + 8, rtx.ssrc);
  detail::store_u16(p + header, osn);
  return size;
}

std::expected<std::size_t, Error> rtx_unwrap_in_place(std::span<std::uint8_t> packet,
                                                      const RtxUnwrap& original) {
  if (original.payload_type > 127) return std::unexpected(Error::ValueOutOfRange);
  const auto parsed = RtpPacket::parse(packet);
  if (!parsed) return std::unexpected(parsed.error());
  const auto osn = rtx_original_sequence(*parsed);
  if (!osn) return std::unexpected(Error::Truncated);
  const std::size_t header = parsed->header_size();
  const std::size_t payload = parsed->payload().size() - kRtxOsnSize;
  std::uint8_t* p = packet.data();
  std::memmove(p + header, p + header + kRtxOsnSize, payload);
  p[0] &= static_cast<std::uint8_t>(~0x20);
  p[1] = static_cast<std::uint8_t>((p[1] & 0x80) | original.payload_type);
  detail::store_u16(p + 2, *osn);
  detail::store_u32(p + 8, original.ssrc);
  return header + payload;
}

}  // namespace parley::rtp
