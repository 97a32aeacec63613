#include "rtp/rtcp_packet.hpp"

#include <cstring>

#include "rtp/detail/byte_io.hpp"
#include "rtp/detail/rtcp_writer.hpp"

namespace parley::rtp {

std::expected<RtcpPacket, Error> RtcpPacket::parse(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kRtcpHeaderSize) return std::unexpected(Error::Truncated);
  if ((bytes[0] >> 6) != 2) return std::unexpected(Error::BadVersion);
  // §6.4.1: length in 32-bit words minus one, header included.
  const std::size_t size = (std::size_t{detail::load_u16(bytes.data() + 2)} + 1) * 4;
  if (size > bytes.size()) return std::unexpected(Error::BadLength);
  std::size_t padding = 0;
  if ((bytes[0] & 0x20) != 0) {
    // §6.4.1: the last octet counts the padding, itself included.
    padding = bytes[size - 1];
    if (padding == 0 || padding > size - kRtcpHeaderSize) {
      return std::unexpected(Error::BadPadding);
    }
  }
  return RtcpPacket(bytes.first(size), padding);
}

void RtcpIterator::load() {
  if (rest_.empty()) {
    done_ = true;
    return;
  }
  auto packet = RtcpPacket::parse(rest_);
  // Validated by RtcpCompound::parse; stop rather than misread if not.
  done_ = !packet.has_value();
  if (packet) current_ = *packet;
}

std::expected<RtcpCompound, Error> RtcpCompound::parse(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return std::unexpected(Error::Truncated);
  std::size_t count = 0;
  std::span<const std::uint8_t> rest = datagram;
  while (!rest.empty()) {
    // A tail shorter than a header cannot be a packet: the lengths lie.
    if (rest.size() < kRtcpHeaderSize) {
      return std::unexpected(count == 0 ? Error::Truncated : Error::BadLength);
    }
    auto packet = RtcpPacket::parse(rest);
    if (!packet) return std::unexpected(packet.error());
    rest = rest.subspan(packet->size());
    ++count;
  }
  return RtcpCompound(datagram, count);
}

std::expected<std::size_t, Error> write_rtcp_packet(std::span<std::uint8_t> out, std::uint8_t type,
                                                    std::uint8_t count,
                                                    std::span<const std::uint8_t> body) {
  if (body.size() % 4 != 0) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t size = kRtcpHeaderSize + body.size();
  auto p = detail::begin_rtcp(out, size, type, count);
  if (!p) return std::unexpected(p.error());
  if (!body.empty()) std::memmove(*p + kRtcpHeaderSize, body.data(), body.size());
  return size;
}

}  // namespace parley::rtp
