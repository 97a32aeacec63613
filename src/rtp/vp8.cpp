#include "rtp/vp8.hpp"

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

namespace {

// Where the optional fields sit; 0 = absent (offset 0 is the required byte).
struct Vp8Layout {
  std::size_t picture_id = 0;
  std::size_t tl0_pic_idx = 0;
  std::size_t size = 0;
};

std::expected<Vp8Layout, Error> layout_of(std::span<const std::uint8_t> payload, Vp8Descriptor* d) {
  if (payload.empty()) return std::unexpected(Error::Truncated);
  const std::size_t n = payload.size();
  const std::uint8_t first = payload[0];
  Vp8Layout layout;
  std::size_t at = 1;
  if (d != nullptr) {
    d->non_reference = (first & 0x20) != 0;
    d->start_of_partition = (first & 0x10) != 0;
    d->partition_id = first & 0x07;
  }
  if ((first & 0x80) != 0) {  // X
    if (at >= n) return std::unexpected(Error::Truncated);
    const std::uint8_t x = payload[at++];
    if ((x & 0x80) != 0) {  // I
      if (at >= n) return std::unexpected(Error::Truncated);
      layout.picture_id = at;
      const bool m = (payload[at] & 0x80) != 0;
      if (m && at + 1 >= n) return std::unexpected(Error::Truncated);
      if (d != nullptr) {
        d->long_picture_id = m;
        d->picture_id = m ? static_cast<std::uint16_t>(detail::load_u16(&payload[at]) & 0x7FFF)
                          : static_cast<std::uint16_t>(payload[at] & 0x7F);
      }
      at += m ? 2 : 1;
    }
    if ((x & 0x40) != 0) {  // L
      if (at >= n) return std::unexpected(Error::Truncated);
      layout.tl0_pic_idx = at;
      if (d != nullptr) d->tl0_pic_idx = payload[at];
      ++at;
    }
    if ((x & 0x30) != 0) {  // T or K: one shared byte
      if (at >= n) return std::unexpected(Error::Truncated);
      const std::uint8_t tk = payload[at++];
      if (d != nullptr) {
        if ((x & 0x20) != 0) {
          d->tid = static_cast<std::uint8_t>(tk >> 6);
          d->layer_sync = (tk & 0x20) != 0;
        }
        if ((x & 0x10) != 0) d->key_idx = static_cast<std::uint8_t>(tk & 0x1F);
      }
    }
  }
  if (at >= n) return std::unexpected(Error::Truncated);  // no VP8 payload
  layout.size = at;
  return layout;
}

}  // namespace

std::expected<Vp8Descriptor, Error> Vp8Descriptor::parse(std::span<const std::uint8_t> payload) {
  Vp8Descriptor d;
  const auto layout = layout_of(payload, &d);
  if (!layout) return std::unexpected(layout.error());
  d.size = layout->size;
  // §4.3: the first byte of the VP8 payload header of the first partition
  // holds the inverse key frame flag P in its lowest bit.
  d.keyframe = d.start_of_frame() && (payload[d.size] & 0x01) == 0;
  return d;
}

namespace {

bool uses_long_id(const Vp8Descriptor& d) {
  return d.long_picture_id || (d.picture_id && *d.picture_id > 0x7F);
}

}  // namespace

std::size_t vp8_descriptor_size(const Vp8Descriptor& d) {
  std::size_t size = 1;
  const bool extended = d.picture_id || d.tl0_pic_idx || d.tid || d.key_idx;
  if (!extended) return size;
  ++size;
  if (d.picture_id) size += uses_long_id(d) ? 2 : 1;
  if (d.tl0_pic_idx) ++size;
  if (d.tid || d.key_idx) ++size;
  return size;
}

std::expected<std::size_t, Error> write_vp8_descriptor(std::span<std::uint8_t> out,
                                                       const Vp8Descriptor& d) {
  if (d.partition_id > 7 || (d.tid && *d.tid > 3) || (d.key_idx && *d.key_idx > 31) ||
      (d.picture_id && *d.picture_id > 0x7FFF)) {
    return std::unexpected(Error::ValueOutOfRange);
  }
  const std::size_t size = vp8_descriptor_size(d);
  if (out.size() < size) return std::unexpected(Error::BufferTooSmall);
  const bool extended = size > 1;
  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>((extended ? 0x80 : 0) | (d.non_reference ? 0x20 : 0) |
                                   (d.start_of_partition ? 0x10 : 0) | d.partition_id);
  if (!extended) return size;
  p[1] = static_cast<std::uint8_t>((d.picture_id ? 0x80 : 0) | (d.tl0_pic_idx ? 0x40 : 0) |
                                   (d.tid ? 0x20 : 0) | (d.key_idx ? 0x10 : 0));
  std::size_t at = 2;
  if (d.picture_id) {
    if (uses_long_id(d)) {
      detail::store_u16(p + at, static_cast<std::uint16_t>(0x8000 | *d.picture_id));
      at += 2;
    } else {
      p[at++] = static_cast<std::uint8_t>(*d.picture_id);
    }
  }
  if (d.tl0_pic_idx) p[at++] = *d.tl0_pic_idx;
  if (d.tid || d.key_idx) {
    p[at++] = static_cast<std::uint8_t>((d.tid.value_or(0) << 6) | (d.layer_sync ? 0x20 : 0) |
                                        d.key_idx.value_or(0));
  }
  return size;
}

std::expected<void, Error> vp8_set_picture_id(std::span<std::uint8_t> payload,
                                              std::uint16_t picture_id) {
  const auto layout = layout_of(payload, nullptr);
  if (!layout) return std::unexpected(layout.error());
  if (layout->picture_id == 0) return std::unexpected(Error::NotPresent);
  std::uint8_t* p = payload.data() + layout->picture_id;
  if ((p[0] & 0x80) != 0) {
    detail::store_u16(p, static_cast<std::uint16_t>(0x8000 | (picture_id & 0x7FFF)));
  } else {
    p[0] = static_cast<std::uint8_t>(picture_id & 0x7F);
  }
  return {};
}

std::expected<void, Error> vp8_set_tl0_pic_idx(std::span<std::uint8_t> payload,
                                               std::uint8_t tl0_pic_idx) {
  const auto layout = layout_of(payload, nullptr);
  if (!layout) return std::unexpected(layout.error());
  if (layout->tl0_pic_idx == 0) return std::unexpected(Error::NotPresent);
  payload[layout->tl0_pic_idx] = tl0_pic_idx;
  return {};
}

}  // namespace parley::rtp
