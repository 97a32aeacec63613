#pragma once

// VP8 carries its own frame numbering inside the RTP payload descriptor
// (RFC 7741 §4.2): PictureID (7 or 15 bits, +1 per frame) and TL0PICIDX
// (8 bits, +1 per base-temporal-layer frame). Receivers use them to find
// missing frames and to tell whether a frame's references arrived (§4.2:
// "PictureID ... used to detect missing frames"). Each simulcast layer
// numbers its frames independently, so when the forwarder switches layers
// (RtpMunger starts a segment) the numbers the subscriber sees would jump or
// step back; Vp8Munger re-bases them at every segment start so they continue
// from the last ones sent, +1, and keeps the offset constant inside a
// segment (as RtpMunger does for sequence numbers and timestamps).
//
// Rewriting is in place and never changes the packet length: a 7-bit
// picture id stays 7 bits (written modulo 128), a 15-bit one stays 15 bits
// (modulo 32768). KEYIDX is left alone (it changes only with the encoder's
// key, which a switch to another layer's keyframe restarts anyway). Frames
// the forwarder drops inside a segment leave a gap in the picture ids, as
// they do in the sequence numbers (see rtp_munger.hpp): with temporal
// layering those frames are non-reference (§4.2 N bit / TID > 0), so the
// receiver does not wait for them.

#include <cstdint>
#include <expected>
#include <span>

#include "rtp/error.hpp"

namespace parley::sfu {

class Vp8Munger {
 public:
  // Rewrites the payload descriptor of a packet that RtpMunger accepted, in
  // place; `segment_start` is that packet's Rewritten::segment_start. A
  // descriptor without picture id or TL0PICIDX is left as it is (a field
  // re-bases at the first packet of the segment that carries it). Errors
  // are those of rtp::Vp8Descriptor::parse; the payload is then untouched.
  // A retransmission of a packet of the current segment may go through
  // rewrite() again with segment_start = false: the mapping is the same.
  std::expected<void, rtp::Error> rewrite(std::span<std::uint8_t> payload, bool segment_start);

 private:
  // One wrapping counter renumbered per segment; values are unwrapped to 64
  // bits so that the output continues across any number of wraps.
  class Renumber {
   public:
    void new_segment() { pending_ = true; }
    // The outgoing value (unwrapped) for `value`, a `bits`-wide field.
    std::int64_t map(std::uint32_t value, int bits);

   private:
    bool started_ = false;
    bool pending_ = true;
    std::int64_t in_first_ = 0;
    std::int64_t in_high_ = 0;
    std::int64_t out_first_ = 0;
    std::int64_t out_high_ = 0;
  };

  Renumber picture_id_;
  Renumber tl0_pic_idx_;
};

}  // namespace parley::sfu
