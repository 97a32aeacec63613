#include "rtp/rtp_packet.hpp"

#include <algorithm>
#include <cstring>

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

std::expected<RtpPacket, Error> RtpPacket::parse(std::span<const std::uint8_t> datagram) {
  const std::size_t size = datagram.size();
  if (size < kRtpHeaderSize) return std::unexpected(Error::Truncated);
  const std::uint8_t* p = datagram.data();
  if ((p[0] >> 6) != kRtpVersion) return std::unexpected(Error::BadVersion);

  RtpPacket packet;
  packet.bytes_ = datagram;
  std::size_t at = kRtpHeaderSize + 4u * (p[0] & 0x0F);  // §5.1: CC CSRC identifiers
  if (at > size) return std::unexpected(Error::Truncated);

  if ((p[0] & 0x10) != 0) {
    // §5.3.1: profile (16 bits), length in 32-bit words (16 bits), data.
    if (size - at < 4) return std::unexpected(Error::Truncated);
    packet.extension_profile_ = detail::load_u16(p + at);
    const std::size_t length = 4u * detail::load_u16(p + at + 2);
    at += 4;
    if (size - at < length) return std::unexpected(Error::BadExtension);
    packet.extension_offset_ = at;
    packet.extension_size_ = length;
    if (auto ok = validate_extension_block(packet.extension_profile_, datagram.subspan(at, length));
        !ok) {
      return std::unexpected(ok.error());
    }
    at += length;
  }
  packet.header_size_ = at;

  if ((p[0] & 0x20) != 0) {
    // §5.1: the last octet counts the padding octets, itself included.
    const std::size_t padding = p[size - 1];
    if (padding == 0 || padding > size - at) return std::unexpected(Error::BadPadding);
    packet.padding_size_ = padding;
  }
  return packet;
}

std::uint16_t RtpPacket::sequence_number() const {
  return detail::load_u16(bytes_.data() + 2);
}
std::uint32_t RtpPacket::timestamp() const {
  return detail::load_u32(bytes_.data() + 4);
}
std::uint32_t RtpPacket::ssrc() const {
  return detail::load_u32(bytes_.data() + 8);
}
std::uint32_t RtpPacket::csrc(std::size_t i) const {
  return i < csrc_count() ? detail::load_u32(bytes_.data() + kRtpHeaderSize + 4 * i) : 0;
}

std::expected<MutableRtpPacket, Error> MutableRtpPacket::parse(std::span<std::uint8_t> datagram) {
  auto view = RtpPacket::parse(datagram);
  if (!view) return std::unexpected(view.error());
  return MutableRtpPacket(datagram, *view);
}

std::expected<MutableRtpPacket, Error> MutableRtpPacket::rebind(std::span<std::uint8_t> copy,
                                                                const RtpPacket& parsed) {
  if (copy.size() != parsed.size()) return std::unexpected(Error::BadLength);
  RtpPacket view = parsed;
  view.bytes_ = copy;
  return MutableRtpPacket(copy, view);
}

void MutableRtpPacket::set_marker(bool marker) {
  bytes_[1] = static_cast<std::uint8_t>((bytes_[1] & 0x7F) | (marker ? 0x80 : 0));
}
void MutableRtpPacket::set_payload_type(std::uint8_t payload_type) {
  bytes_[1] = static_cast<std::uint8_t>((bytes_[1] & 0x80) | (payload_type & 0x7F));
}
void MutableRtpPacket::set_sequence_number(std::uint16_t sequence_number) {
  detail::store_u16(bytes_.data() + 2, sequence_number);
}
void MutableRtpPacket::set_timestamp(std::uint32_t timestamp) {
  detail::store_u32(bytes_.data() + 4, timestamp);
}
void MutableRtpPacket::set_ssrc(std::uint32_t ssrc) {
  detail::store_u32(bytes_.data() + 8, ssrc);
}

std::optional<std::span<std::uint8_t>> MutableRtpPacket::extension(std::uint8_t id) {
  const auto found = view_.extension(id);
  if (!found) return std::nullopt;
  // Same bytes, writable: the offset of the element inside our buffer.
  const auto offset = static_cast<std::size_t>(found->data() - view_.bytes_.data());
  return bytes_.subspan(offset, found->size());
}

std::expected<void, Error> MutableRtpPacket::set_extension(std::uint8_t id,
                                                           std::span<const std::uint8_t> value) {
  auto data = extension(id);
  if (!data) return std::unexpected(Error::NotPresent);
  if (data->size() != value.size()) return std::unexpected(Error::ValueOutOfRange);
  std::ranges::copy(value, data->begin());
  return {};
}

namespace {

struct Layout {
  std::size_t header = 0;     // fixed header + CSRCs
  std::size_t extension = 0;  // whole extension block, 0 if none
  ExtensionForm form = ExtensionForm::OneByte;
};

std::expected<Layout, Error> layout_of(const RtpPacketSpec& spec) {
  if (spec.payload_type > 127 || spec.csrcs.size() > kMaxCsrcCount) {
    return std::unexpected(Error::ValueOutOfRange);
  }
  Layout layout;
  layout.header = kRtpHeaderSize + 4 * spec.csrcs.size();
  if (!spec.extensions.empty()) {
    layout.form = spec.extension_form.value_or(choose_extension_form(spec.extensions));
    const auto size = extension_block_size(spec.extensions, layout.form);
    if (!size) return std::unexpected(size.error());
    layout.extension = *size;
  }
  return layout;
}

}  // namespace

std::expected<std::size_t, Error> rtp_packet_size(const RtpPacketSpec& spec) {
  const auto layout = layout_of(spec);
  if (!layout) return std::unexpected(layout.error());
  return layout->header + layout->extension + spec.payload.size() + spec.padding;
}

std::expected<std::size_t, Error> write_rtp_packet(std::span<std::uint8_t> out,
                                                   const RtpPacketSpec& spec) {
  const auto layout = layout_of(spec);
  if (!layout) return std::unexpected(layout.error());
  const std::size_t payload_at = layout->header + layout->extension;
  const std::size_t total = payload_at + spec.payload.size() + spec.padding;
  if (out.size() < total) return std::unexpected(Error::BufferTooSmall);

  std::uint8_t* p = out.data();
  // The payload first: it may sit in `out` where the header goes.
  if (!spec.payload.empty()) std::memmove(p + payload_at, spec.payload.data(), spec.payload.size());
  p[0] = static_cast<std::uint8_t>((kRtpVersion << 6) | (spec.padding != 0 ? 0x20 : 0) |
                                   (layout->extension != 0 ? 0x10 : 0) | spec.csrcs.size());
  p[1] = static_cast<std::uint8_t>((spec.marker ? 0x80 : 0) | spec.payload_type);
  detail::store_u16(p + 2, spec.sequence_number);
  detail::store_u32(p + 4, spec.timestamp);
  detail::store_u32(p + 8, spec.ssrc);
  for (std::size_t i = 0; i < spec.csrcs.size(); ++i) {
    detail::store_u32(p + kRtpHeaderSize + 4 * i, spec.csrcs[i]);
  }
  if (layout->extension != 0) {
    const auto written = write_extension_block(out.subspan(layout->header, layout->extension),
                                               spec.extensions, layout->form);
    if (!written) return std::unexpected(written.error());
  }
  if (spec.padding != 0) {
    std::fill(p + total - spec.padding, p + total, std::uint8_t{0});
    p[total - 1] = spec.padding;
  }
  return total;
}

bool looks_like_rtcp(std::span<const std::uint8_t> datagram) {
  return datagram.size() >= 2 && (datagram[0] >> 6) == kRtpVersion && datagram[1] >= 192 &&
         datagram[1] <= 223;
}

bool looks_like_rtp(std::span<const std::uint8_t> datagram) {
  return datagram.size() >= kRtpHeaderSize && (datagram[0] >> 6) == kRtpVersion &&
         !looks_like_rtcp(datagram);
}

}  // namespace parley::rtp
