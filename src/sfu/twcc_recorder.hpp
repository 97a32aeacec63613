#pragma once

// The receiving side of transport-wide congestion control for a
// publisher's uplink (draft-holmer-rmcat-transport-wide-cc-extensions-01
// §3): remember when each transport-wide sequence number arrived and report
// them back in RTPFB FMT=15 feedback, so that the browser's send-side
// estimator (and its initial probing) can raise its bitrate until all
// simulcast layers flow.
//
// Packets are reported once, in sequence order, from the first unreported
// one; a packet that arrives after its number was reported as lost is not
// reported again (the sender has moved on). At most kMaxPending numbers
// are held: an uplink that sends faster than we report loses its oldest.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

namespace parley::sfu {

class TwccRecorder {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kMaxPending = 2000;

  void on_packet(std::uint16_t transport_seq, TimePoint arrival);
  // One feedback message about everything not yet reported; 0 when there
  // is nothing (or it does not fit `out`).
  std::size_t build_feedback(std::span<std::uint8_t> out, std::uint32_t sender_ssrc, std::uint32_t media_ssrc);

 private:
  std::int64_t unwrap(std::uint16_t seq);

  std::optional<std::int64_t> last_unwrapped_;
  std::optional<std::int64_t> next_to_report_;
  std::map<std::int64_t, std::int64_t> arrivals_us_;  // unwrapped seq -> µs
  std::uint8_t feedback_count_ = 0;
};

}  // namespace parley::sfu
