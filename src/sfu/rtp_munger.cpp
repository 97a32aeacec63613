#include "sfu/rtp_munger.hpp"

#include <algorithm>

#include "rtp/seq_num.hpp"

namespace parley::sfu {

RtpMunger::RtpMunger(std::uint32_t clock_rate) : clock_rate_(clock_rate) {}

void RtpMunger::switch_to(std::uint32_t source_ssrc, bool wait_for_keyframe) {
  source_ = source_ssrc;
  pending_ = true;
  wait_keyframe_ = wait_for_keyframe;
}

void RtpMunger::start_segment(const MungerInput& in) {
  in_seq_first_ = in_seq_high_ = in.seq;
  in_ts_first_ = in_ts_high_ = in.timestamp;
  if (!started_) {
    // The first segment passes the source's own (random, RFC 3550 §5.1)
    // initial values through.
    out_seq_first_ = in.seq;
    out_ts_first_ = in.timestamp;
  } else {
    out_seq_first_ = out_seq_high_ + 1;
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(in.arrival - out_ts_high_arrival_);
    const std::int64_t ticks = elapsed.count() * static_cast<std::int64_t>(clock_rate_) / 1'000'000;
    out_ts_first_ = out_ts_high_ + std::max<std::int64_t>(1, ticks);
  }
  pending_ = false;
  wait_keyframe_ = false;
}

std::optional<Rewritten> RtpMunger::rewrite(const MungerInput& in) {
  if (!source_ || in.ssrc != *source_) return std::nullopt;
  bool segment_start = false;
  if (pending_) {
    if (wait_keyframe_ && !in.keyframe_start) return std::nullopt;
    start_segment(in);
    segment_start = true;
  }

  // Unwrap against the highest of the segment so far (RFC 3550 §5.1 serial
  // comparison); anything before the segment's first packet belongs to what
  // the subscriber has already moved past.
  const std::int64_t in_seq =
      in_seq_high_ + rtp::serial_diff(in.seq, static_cast<std::uint16_t>(in_seq_high_));
  if (in_seq < in_seq_first_) return std::nullopt;
  const std::int64_t in_ts =
      in_ts_high_ + rtp::serial_diff(in.timestamp, static_cast<std::uint32_t>(in_ts_high_));
  in_seq_high_ = std::max(in_seq_high_, in_seq);

  const std::int64_t out_seq = in_seq - in_seq_first_ + out_seq_first_;
  const std::int64_t out_ts = in_ts - in_ts_first_ + out_ts_first_;
  if (!started_ || out_seq > out_seq_high_) out_seq_high_ = out_seq;
  if (!started_ || out_ts > out_ts_high_) {
    in_ts_high_ = in_ts;
    out_ts_high_ = out_ts;
    out_ts_high_arrival_ = in.arrival;
  }
  started_ = true;
  return Rewritten{static_cast<std::uint16_t>(out_seq), static_cast<std::uint32_t>(out_ts),
                   segment_start};
}

std::optional<RtpMunger::Origin> RtpMunger::origin_of(std::uint16_t out_seq) const {
  if (!started_ || !source_ || pending_) return std::nullopt;
  const std::int64_t out =
      out_seq_high_ + rtp::serial_diff(out_seq, static_cast<std::uint16_t>(out_seq_high_));
  if (out < out_seq_first_ || out > out_seq_high_) return std::nullopt;
  return Origin{*source_, static_cast<std::uint16_t>(out - out_seq_first_ + in_seq_first_),
                static_cast<std::uint32_t>(out_ts_first_ - in_ts_first_)};
}

}  // namespace parley::sfu
