#pragma once

// The outgoing side of forwarding: one subscriber's view of one track is ONE
// RTP stream (RFC 3550 §3: one SSRC, one sequence space, one timestamp
// clock), while what feeds it changes underneath: the forwarder switches
// between simulcast layers (each its own SSRC, sequence numbers and random
// timestamp base, RFC 8853 §5.1), pauses and resumes it (mute, bandwidth),
// and a publisher that reconnects comes back with a new SSRC. RtpMunger
// rewrites sequence number and timestamp so that the subscriber never sees
// a jump or a step back; the caller sets the fixed outgoing SSRC itself.
//
// The stream is cut into segments. A segment starts with the first accepted
// packet after switch_to(); inside it the offsets (out - in) are constant,
// so the subscriber sees what the source sent: a loss gap stays a gap that it
// can NACK (RFC 4585 §6.2.1), reordered packets keep their relative order,
// a duplicate comes out with the same number. Across a segment boundary:
//   - sequence number = highest sent + 1 (RFC 3550 §5.1: +1 per packet),
//   - timestamp = highest sent + max(1, wall time since that packet arrived
//     × clock rate) (RFC 3550 §5.1: timestamps follow sampling time, and
//     must move forward so the new frame is not taken for the old one).
// Packets older than the segment's first (by 16-bit serial difference) and
// packets from any source but the current one are dropped.
//
// Dropping packets inside a segment (the forwarder discarding a higher
// temporal layer) is deliberately NOT hidden: the gap stays, the subscriber
// may NACK those numbers and gets nothing back. That is simpler than
// renumbering (which must then handle reordering around every dropped
// packet) and costs only a few useless NACKs; the decoder is unaffected
// because the dropped frames are non-reference frames by construction.

#include <chrono>
#include <cstdint>
#include <optional>

namespace parley::sfu {

using TimePoint = std::chrono::steady_clock::time_point;

struct MungerInput {
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  TimePoint arrival;
  bool keyframe_start = false;  // first packet of a keyframe
};

struct Rewritten {
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  bool segment_start = false;  // this packet opened a new segment
  friend bool operator==(const Rewritten&, const Rewritten&) = default;
};

class RtpMunger {
 public:
  // `clock_rate` of the RTP timestamps: 90000 for video, 48000 for Opus.
  explicit RtpMunger(std::uint32_t clock_rate);

  // From now on only `source_ssrc` is forwarded, and its next accepted packet
  // starts a new segment (also when it is the current source: the way to
  // resume after a pause without passing the gap on as loss). With
  // `wait_for_keyframe` that packet must be a keyframe start; packets before
  // it are dropped.
  void switch_to(std::uint32_t source_ssrc, bool wait_for_keyframe = false);

  // The outgoing sequence number and timestamp for `in`, or nullopt to drop.
  std::optional<Rewritten> rewrite(const MungerInput& in);

  // A subscriber's NACK names outgoing numbers; this maps one back to the
  // source packet (to look up in that source's PacketCache) and the
  // timestamp offset to apply to it. Only packets of the current segment
  // already forwarded are mapped: older segments ended with a switch the
  // decoder has moved past.
  struct Origin {
    std::uint32_t ssrc = 0;
    std::uint16_t seq = 0;
    std::uint32_t timestamp_offset = 0;  // outgoing = source + offset (mod 2^32)
  };
  std::optional<Origin> origin_of(std::uint16_t out_seq) const;

  std::uint32_t clock_rate() const { return clock_rate_; }
  std::optional<std::uint32_t> source() const { return source_; }
  // Whether anything was forwarded yet; then the highest outgoing values.
  bool started() const { return started_; }
  std::uint16_t highest_seq() const { return static_cast<std::uint16_t>(out_seq_high_); }
  std::uint32_t highest_timestamp() const { return static_cast<std::uint32_t>(out_ts_high_); }

 private:
  void start_segment(const MungerInput& in);

  std::uint32_t clock_rate_;
  std::optional<std::uint32_t> source_;
  bool pending_ = false;  // the next accepted packet starts a segment
  bool wait_keyframe_ = false;

  // The current segment, in 64-bit unwrapped numbers of the source.
  std::int64_t in_seq_first_ = 0;
  std::int64_t in_seq_high_ = 0;
  std::int64_t in_ts_first_ = 0;
  std::int64_t in_ts_high_ = 0;
  std::int64_t out_seq_first_ = 0;
  std::int64_t out_ts_first_ = 0;

  // The highest outgoing values over all segments, unwrapped.
  bool started_ = false;
  std::int64_t out_seq_high_ = 0;
  std::int64_t out_ts_high_ = 0;
  TimePoint out_ts_high_arrival_;
};

}  // namespace parley::sfu
