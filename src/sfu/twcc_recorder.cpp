#include "sfu/twcc_recorder.hpp"

#include <vector>

#include "rtp/transport_cc.hpp"

namespace parley::sfu {

std::int64_t TwccRecorder::unwrap(std::uint16_t seq) {
  if (!last_unwrapped_) return *(last_unwrapped_ = seq);
  const auto delta = static_cast<std::int16_t>(seq - static_cast<std::uint16_t>(*last_unwrapped_));
  const std::int64_t value = *last_unwrapped_ + delta;
  if (value > *last_unwrapped_) last_unwrapped_ = value;
  return value;
}

void TwccRecorder::on_packet(std::uint16_t transport_seq, TimePoint arrival) {
  const auto seq = unwrap(transport_seq);
  if (next_to_report_ && seq < *next_to_report_) return;  // already reported as lost
  if (!next_to_report_) next_to_report_ = seq;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(arrival.time_since_epoch()).count();
  arrivals_us_.emplace(seq, us);
  while (arrivals_us_.size() > kMaxPending) {
    arrivals_us_.erase(arrivals_us_.begin());
    next_to_report_ = arrivals_us_.begin()->first;
  }
}

std::size_t TwccRecorder::build_feedback(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                         std::uint32_t media_ssrc) {
  if (arrivals_us_.empty() || !next_to_report_) return 0;
  const std::int64_t base = std::max(*next_to_report_, arrivals_us_.begin()->first);
  const std::int64_t last = arrivals_us_.rbegin()->first;
  const auto count = static_cast<std::size_t>(last - base + 1);
  if (count > 0xFFFF) return 0;
  std::vector<std::int64_t> arrivals(count, -1);
  for (const auto& [seq, us] : arrivals_us_)
    if (seq >= base) arrivals[static_cast<std::size_t>(seq - base)] = us;
  std::vector<rtp::TwccStatus> statuses(count);
  const auto reference = rtp::twcc_statuses_from_arrivals(arrivals, statuses);
  arrivals_us_.clear();
  next_to_report_ = last + 1;
  if (!reference) return 0;
  rtp::TransportFeedbackSpec spec;
  spec.sender_ssrc = sender_ssrc;
  spec.media_ssrc = media_ssrc;
  spec.base_sequence = static_cast<std::uint16_t>(base);
  spec.reference_time = *reference;
  spec.feedback_count = feedback_count_++;
  spec.packets = statuses;
  const auto written = rtp::write_transport_feedback(out, spec);
  return written ? *written : 0;
}

}  // namespace parley::sfu
