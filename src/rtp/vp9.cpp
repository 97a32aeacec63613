#include "rtp/vp9.hpp"

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

namespace {

struct Vp9Layout {
  std::size_t picture_id = 0;   // 0 = absent
  std::size_t tl0_pic_idx = 0;  // 0 = absent
};

// Parses into `d` and returns where the rewritable fields are.
std::expected<Vp9Layout, Error> parse_into(std::span<const std::uint8_t> payload,
                                           Vp9Descriptor& d) {
  const std::size_t n = payload.size();
  if (n == 0) return std::unexpected(Error::Truncated);
  const std::uint8_t first = payload[0];
  d.inter_picture_predicted = (first & 0x40) != 0;
  d.flexible = (first & 0x10) != 0;
  d.begin_of_frame = (first & 0x08) != 0;
  d.end_of_frame = (first & 0x04) != 0;
  d.not_reference_for_upper = (first & 0x01) != 0;
  Vp9Layout layout;
  std::size_t at = 1;

  if ((first & 0x80) != 0) {  // I
    if (at >= n) return std::unexpected(Error::Truncated);
    layout.picture_id = at;
    d.long_picture_id = (payload[at] & 0x80) != 0;
    if (d.long_picture_id) {
      if (n - at < 2) return std::unexpected(Error::Truncated);
      d.picture_id = static_cast<std::uint16_t>(detail::load_u16(&payload[at]) & 0x7FFF);
      at += 2;
    } else {
      d.picture_id = static_cast<std::uint16_t>(payload[at] & 0x7F);
      ++at;
    }
  }
  if ((first & 0x20) != 0) {  // L
    if (at >= n) return std::unexpected(Error::Truncated);
    const std::uint8_t layer = payload[at++];
    d.tid = static_cast<std::uint8_t>(layer >> 5);
    d.switching_up = (layer & 0x10) != 0;
    d.sid = static_cast<std::uint8_t>((layer >> 1) & 0x07);
    d.inter_layer_dependent = (layer & 0x01) != 0;
    if (!d.flexible) {
      if (at >= n) return std::unexpected(Error::Truncated);
      layout.tl0_pic_idx = at;
      d.tl0_pic_idx = payload[at++];
    }
  }
  if (d.flexible && d.inter_picture_predicted) {
    bool more = true;
    while (more) {
      if (d.num_ref_pics == kVp9MaxRefPics) return std::unexpected(Error::Malformed);
      if (at >= n) return std::unexpected(Error::Truncated);
      const std::uint8_t ref = payload[at++];
      if ((ref >> 1) == 0) return std::unexpected(Error::Malformed);  // P_DIFF 0 refers to itself
      d.p_diff[d.num_ref_pics++] = static_cast<std::uint8_t>(ref >> 1);
      more = (ref & 0x01) != 0;
    }
  }
  if ((first & 0x02) != 0) {  // V: §4.2.1
    if (at >= n) return std::unexpected(Error::Truncated);
    Vp9ScalabilityStructure ss;
    const std::uint8_t head = payload[at++];
    ss.spatial_layers = static_cast<std::uint8_t>((head >> 5) + 1);
    ss.has_resolution = (head & 0x10) != 0;
    ss.has_group = (head & 0x08) != 0;
    if (ss.has_resolution) {
      if (n - at < 4u * ss.spatial_layers) return std::unexpected(Error::Truncated);
      for (std::size_t i = 0; i < ss.spatial_layers; ++i) {
        ss.width[i] = detail::load_u16(&payload[at]);
        ss.height[i] = detail::load_u16(&payload[at + 2]);
        at += 4;
      }
    }
    if (ss.has_group) {
      if (at >= n) return std::unexpected(Error::Truncated);
      ss.group_size = payload[at++];
      const std::size_t group_start = at;
      for (std::size_t i = 0; i < ss.group_size; ++i) {
        if (at >= n) return std::unexpected(Error::Truncated);
        const std::size_t refs = (payload[at] >> 2) & 0x03;
        if (n - at - 1 < refs) return std::unexpected(Error::Truncated);
        at += 1 + refs;
      }
      ss.group = payload.subspan(group_start, at - group_start);
    }
    d.ss = ss;
  }
  if (at >= n) return std::unexpected(Error::Truncated);  // no VP9 data
  d.size = at;
  return layout;
}

}  // namespace

std::size_t Vp9ScalabilityStructure::pictures(std::span<Vp9GroupPicture> out) const {
  std::size_t at = 0;
  std::size_t count = 0;
  while (count < out.size() && count < group_size && at < group.size()) {
    const std::uint8_t head = group[at];
    Vp9GroupPicture picture;
    picture.tid = static_cast<std::uint8_t>(head >> 5);
    picture.switching_up = (head & 0x10) != 0;
    picture.num_refs = static_cast<std::uint8_t>((head >> 2) & 0x03);
    if (group.size() - at - 1 < picture.num_refs) break;
    for (std::size_t r = 0; r < picture.num_refs; ++r) picture.p_diff[r] = group[at + 1 + r];
    at += 1 + picture.num_refs;
    out[count++] = picture;
  }
  return count;
}

std::expected<Vp9Descriptor, Error> Vp9Descriptor::parse(std::span<const std::uint8_t> payload) {
  Vp9Descriptor d;
  const auto layout = parse_into(payload, d);
  if (!layout) return std::unexpected(layout.error());
  d.keyframe = d.begin_of_frame && !d.inter_picture_predicted && d.sid.value_or(0) == 0;
  return d;
}

std::expected<std::size_t, Error> write_vp9_descriptor(
    std::span<std::uint8_t> out, const Vp9Descriptor& d,
    std::span<const Vp9GroupPicture> group_pictures) {
  // Validate and size first.
  if ((d.picture_id && *d.picture_id > 0x7FFF) || (d.tid && *d.tid > 7) || (d.sid && *d.sid > 7) ||
      d.tid.has_value() != d.sid.has_value()) {
    return std::unexpected(Error::ValueOutOfRange);
  }
  const bool has_layer = d.tid.has_value();
  const bool flexible_refs = d.flexible && d.inter_picture_predicted;
  if (flexible_refs && (d.num_ref_pics == 0 || d.num_ref_pics > kVp9MaxRefPics)) {
    return std::unexpected(Error::ValueOutOfRange);
  }
  if (flexible_refs) {
    for (std::size_t i = 0; i < d.num_ref_pics; ++i) {
      if (d.p_diff[i] == 0 || d.p_diff[i] > 0x7F) return std::unexpected(Error::ValueOutOfRange);
    }
  }
  if (has_layer && !d.flexible && !d.tl0_pic_idx) return std::unexpected(Error::ValueOutOfRange);
  const bool long_id = d.picture_id && (d.long_picture_id || *d.picture_id > 0x7F);
  std::size_t size = 1;
  if (d.picture_id) size += long_id ? 2 : 1;
  if (has_layer) size += d.flexible ? 1 : 2;
  if (flexible_refs) size += d.num_ref_pics;
  if (d.ss) {
    const auto& ss = *d.ss;
    if (ss.spatial_layers < 1 || ss.spatial_layers > kVp9MaxSpatialLayers ||
        (ss.has_group && group_pictures.size() > 255)) {
      return std::unexpected(Error::ValueOutOfRange);
    }
    size += 1;
    if (ss.has_resolution) size += 4u * ss.spatial_layers;
    if (ss.has_group) {
      size += 1;
      for (const auto& picture : group_pictures) {
        if (picture.tid > 7 || picture.num_refs > kVp9MaxRefPics) {
          return std::unexpected(Error::ValueOutOfRange);
        }
        size += 1 + picture.num_refs;
      }
    }
  }
  if (out.size() < size) return std::unexpected(Error::BufferTooSmall);

  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>(
      (d.picture_id ? 0x80 : 0) | (d.inter_picture_predicted ? 0x40 : 0) | (has_layer ? 0x20 : 0) |
      (d.flexible ? 0x10 : 0) | (d.begin_of_frame ? 0x08 : 0) | (d.end_of_frame ? 0x04 : 0) |
      (d.ss ? 0x02 : 0) | (d.not_reference_for_upper ? 0x01 : 0));
  std::size_t at = 1;
  if (d.picture_id) {
    if (long_id) {
      detail::store_u16(p + at, static_cast<std::uint16_t>(0x8000 | *d.picture_id));
      at += 2;
    } else {
      p[at++] = static_cast<std::uint8_t>(*d.picture_id);
    }
  }
  if (has_layer) {
    p[at++] = static_cast<std::uint8_t>((*d.tid << 5) | (d.switching_up ? 0x10 : 0) |
                                        (*d.sid << 1) | (d.inter_layer_dependent ? 0x01 : 0));
    if (!d.flexible) p[at++] = *d.tl0_pic_idx;
  }
  if (flexible_refs) {
    for (std::size_t i = 0; i < d.num_ref_pics; ++i) {
      const bool more = i + 1 < d.num_ref_pics;
      p[at++] = static_cast<std::uint8_t>((d.p_diff[i] << 1) | (more ? 1 : 0));
    }
  }
  if (d.ss) {
    const auto& ss = *d.ss;
    p[at++] = static_cast<std::uint8_t>(((ss.spatial_layers - 1) << 5) |
                                        (ss.has_resolution ? 0x10 : 0) | (ss.has_group ? 0x08 : 0));
    if (ss.has_resolution) {
      for (std::size_t i = 0; i < ss.spatial_layers; ++i) {
        detail::store_u16(p + at, ss.width[i]);
        detail::store_u16(p + at + 2, ss.height[i]);
        at += 4;
      }
    }
    if (ss.has_group) {
      p[at++] = static_cast<std::uint8_t>(group_pictures.size());
      for (const auto& picture : group_pictures) {
        p[at++] = static_cast<std::uint8_t>((picture.tid << 5) | (picture.switching_up ? 0x10 : 0) |
                                            (picture.num_refs << 2));
        for (std::size_t r = 0; r < picture.num_refs; ++r) p[at++] = picture.p_diff[r];
      }
    }
  }
  return size;
}

std::expected<void, Error> vp9_set_picture_id(std::span<std::uint8_t> payload,
                                              std::uint16_t picture_id) {
  Vp9Descriptor d;
  const auto layout = parse_into(payload, d);
  if (!layout) return std::unexpected(layout.error());
  if (layout->picture_id == 0) return std::unexpected(Error::NotPresent);
  std::uint8_t* p = payload.data() + layout->picture_id;
  if (d.long_picture_id) {
    detail::store_u16(p, static_cast<std::uint16_t>(0x8000 | (picture_id & 0x7FFF)));
  } else {
    p[0] = static_cast<std::uint8_t>(picture_id & 0x7F);
  }
  return {};
}

std::expected<void, Error> vp9_set_tl0_pic_idx(std::span<std::uint8_t> payload,
                                               std::uint8_t tl0_pic_idx) {
  Vp9Descriptor d;
  const auto layout = parse_into(payload, d);
  if (!layout) return std::unexpected(layout.error());
  if (layout->tl0_pic_idx == 0) return std::unexpected(Error::NotPresent);
  payload[layout->tl0_pic_idx] = tl0_pic_idx;
  return {};
}

}  // namespace parley::rtp
