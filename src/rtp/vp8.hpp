#pragma once

// VP8 RTP payload descriptor (RFC 7741 §4.2) and the keyframe bit of the VP8
// payload header (§4.3), parsed in place; picture id and TL0PICIDX rewritten
// in place (the SFU renumbers them per subscriber when it switches simulcast
// layers).
//
//        0 1 2 3 4 5 6 7
//       +-+-+-+-+-+-+-+-+
//       |X|R|N|S|R| PID | (REQUIRED)
//       +-+-+-+-+-+-+-+-+
//  X:   |I|L|T|K| RSV   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//  I:   |M| PictureID   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//       |   PictureID   | (if M: 15-bit picture id)
//       +-+-+-+-+-+-+-+-+
//  L:   |   TL0PICIDX   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//  T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "rtp/error.hpp"

namespace parley::rtp {

struct Vp8Descriptor {
  bool non_reference = false;               // N
  bool start_of_partition = false;          // S
  std::uint8_t partition_id = 0;            // PID, 0-7
  std::optional<std::uint16_t> picture_id;  // I: 7 or 15 bits
  bool long_picture_id = false;             // M: the 15-bit form
  std::optional<std::uint8_t> tl0_pic_idx;  // L
  std::optional<std::uint8_t> tid;          // T: temporal layer, 0-3
  bool layer_sync = false;                  // Y (meaningful with T)
  std::optional<std::uint8_t> key_idx;      // K: 0-31

  // Set by parsing only.
  std::size_t size = 0;   // descriptor bytes; the VP8 payload follows
  bool keyframe = false;  // S=1, PID=0 and the payload header's P bit is 0 (§4.3)
  bool start_of_frame() const { return start_of_partition && partition_id == 0; }

  // RFC 7741 §4.2. Error::Truncated if the descriptor runs past the payload
  // or no VP8 payload byte follows it.
  static std::expected<Vp8Descriptor, Error> parse(std::span<const std::uint8_t> payload);
};

// Bytes write_vp8_descriptor writes for `d` (X is set when any optional
// field is present; the 15-bit picture id when long_picture_id is set or the
// id is above 127).
std::size_t vp8_descriptor_size(const Vp8Descriptor& d);
std::expected<std::size_t, Error> write_vp8_descriptor(std::span<std::uint8_t> out,
                                                       const Vp8Descriptor& d);

// In place, keeping the descriptor's layout: a 7-bit picture id takes the
// low 7 bits of `picture_id`, a 15-bit one the low 15. Error::NotPresent if
// the descriptor has no such field, other parse errors as parse().
std::expected<void, Error> vp8_set_picture_id(std::span<std::uint8_t> payload,
                                              std::uint16_t picture_id);
std::expected<void, Error> vp8_set_tl0_pic_idx(std::span<std::uint8_t> payload,
                                               std::uint8_t tl0_pic_idx);

}  // namespace parley::rtp
