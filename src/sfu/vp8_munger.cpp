#include "sfu/vp8_munger.hpp"

#include <algorithm>

#include "rtp/vp8.hpp"

namespace parley::sfu {

namespace {

// a - b on a circle of 2^bits values, the shortest way round (RFC 1982 in
// the manner of rtp::serial_diff, for widths that are not a C++ type).
std::int64_t wrap_diff(std::int64_t a, std::int64_t b, int bits) {
  const std::int64_t modulus = std::int64_t{1} << bits;
  std::int64_t d = (a - b) & (modulus - 1);
  if (d >= modulus / 2) d -= modulus;
  return d;
}

}  // namespace

std::int64_t Vp8Munger::Renumber::map(std::uint32_t value, int bits) {
  if (pending_) {
    in_first_ = in_high_ = value;
    // The first segment passes the source's numbering through; later ones
    // continue from the highest number sent.
    out_first_ = started_ ? out_high_ + 1 : value;
    pending_ = false;
  }
  const std::int64_t in = in_high_ + wrap_diff(value, in_high_, bits);
  in_high_ = std::max(in_high_, in);
  const std::int64_t out = in - in_first_ + out_first_;
  out_high_ = started_ ? std::max(out_high_, out) : out;
  started_ = true;
  return out;
}

std::expected<void, rtp::Error> Vp8Munger::rewrite(std::span<std::uint8_t> payload,
                                                   bool segment_start) {
  const auto d = rtp::Vp8Descriptor::parse(payload);
  if (!d) return std::unexpected(d.error());
  if (segment_start) {
    picture_id_.new_segment();
    tl0_pic_idx_.new_segment();
  }
  if (d->picture_id) {
    const std::int64_t out = picture_id_.map(*d->picture_id, d->long_picture_id ? 15 : 7);
    // vp8_set_picture_id keeps the field's width: low 15 or low 7 bits.
    if (auto r = rtp::vp8_set_picture_id(payload, static_cast<std::uint16_t>(out & 0x7FFF)); !r) {
      return r;
    }
  }
  if (d->tl0_pic_idx) {
    const std::int64_t out = tl0_pic_idx_.map(*d->tl0_pic_idx, 8);
    if (auto r = rtp::vp8_set_tl0_pic_idx(payload, static_cast<std::uint8_t>(out & 0xFF)); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace parley::sfu
