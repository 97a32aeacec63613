#pragma once

// Send-side bandwidth estimation for one subscriber's downlink, after Google
// Congestion Control (draft-ietf-rmcat-gcc-02) as libwebrtc runs it with
// transport-wide feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01):
// we number every packet we send to the subscriber, its browser tells us
// when each arrived (TWCC feedback), and from the send/arrival times we see
// whether a queue is building on the path before it overflows into loss.
//
//   packets ──> groups (§5.2) ──> delay variation d(i) ──> trendline slope
//      ──> over-use detector, adaptive threshold (§5.4, §5.5)
//      ──> AIMD rate controller (§5.5) ──┐
//   loss fraction ──> loss-based controller (§6) ──> min ──> estimate
//
// The trendline filter (linear regression of the accumulated, smoothed delay
// over the last arrival times) is what libwebrtc uses in place of the draft's
// Kalman filter (§5.3); its slope, scaled, is the "m(i)" the detector
// compares with the threshold γ(i).
//
// Browsers negotiated without transport-cc send REMB instead
// (draft-alvestrand-rmcat-remb-03): the receiver's own estimate. With no
// TWCC feedback in the last 2 s the estimate follows REMB; while TWCC flows,
// a REMB seen in the last 3 s is an upper bound.
//
// Pure logic: time comes in as a parameter, nothing here reads a clock.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "rtp/transport_cc.hpp"
#include "sfu/probe_cluster.hpp"

namespace parley::sfu {

using TimePoint = std::chrono::steady_clock::time_point;

enum class BandwidthUsage : std::uint8_t { Normal, Underusing, Overusing };

// §5.3-§5.4: the delay-gradient side. Fed one inter-group delay variation at
// a time; says whether the path is over-used.
class TrendlineDetector {
 public:
  struct Config {
    std::size_t window = 20;         // groups in the regression
    double smoothing = 0.9;          // of the accumulated delay
    double threshold_gain = 4.0;     // scales the slope into m(i)
    double initial_threshold_ms = 12.5;  // γ(0), §5.4
    double k_up = 0.0087;            // §5.5 adaptive threshold: γ rises slowly
    double k_down = 0.039;           // ... and falls fast
    double overuse_time_ms = 10.0;   // §5.4: over-use must last this long
  };

  TrendlineDetector() : TrendlineDetector(Config{}) {}
  explicit TrendlineDetector(const Config& config);

  // d(i) = (t(i) - t(i-1)) - (T(i) - T(i-1)) in ms, the send-time distance of
  // the two groups, and the arrival time of group i (ms, any origin).
  BandwidthUsage update(double delay_variation_ms, double send_delta_ms, double arrival_ms);

  BandwidthUsage state() const { return state_; }
  double threshold_ms() const { return threshold_; }
  double modified_trend() const { return modified_trend_; }

 private:
  void detect(double trend, double send_delta_ms, double arrival_ms);
  void update_threshold(double modified_trend, double arrival_ms);

  static constexpr std::size_t kMaxWindow = 64;
  struct Point {
    double x = 0;  // arrival ms since the first group
    double y = 0;  // smoothed accumulated delay ms
  };

  Config config_;
  std::array<Point, kMaxWindow> points_{};
  std::size_t count_ = 0;  // points in the window
  std::size_t head_ = 0;   // next slot
  std::size_t num_deltas_ = 0;
  std::optional<double> first_arrival_ms_;
  double accumulated_ = 0;
  double smoothed_ = 0;
  double trend_ = 0;
  double prev_trend_ = 0;
  double modified_trend_ = 0;
  double threshold_;
  std::optional<double> last_threshold_update_ms_;
  double time_over_using_ = -1;
  int overuse_count_ = 0;
  BandwidthUsage state_ = BandwidthUsage::Normal;
};

// §5.5: additive-increase / multiplicative-decrease of the delay-based rate.
class AimdRateControl {
 public:
  AimdRateControl(std::uint64_t start_bps, std::uint64_t min_bps, std::uint64_t max_bps);

  // One step per feedback: `acked_bps` is what the receiver got lately.
  std::uint64_t update(BandwidthUsage usage, std::optional<std::uint64_t> acked_bps, TimePoint now);
  void set_estimate(std::uint64_t bps) { estimate_ = clamp(static_cast<double>(bps)); }
  void set_rtt(std::chrono::microseconds rtt) { rtt_ = rtt; }
  std::uint64_t estimate_bps() const { return static_cast<std::uint64_t>(estimate_); }

  enum class State : std::uint8_t { Hold, Increase, Decrease };
  State state() const { return state_; }

 private:
  double clamp(double bps) const;
  double near_max_increase_bps_per_s() const;
  void on_decrease_sample(double acked_kbps);

  double estimate_;
  double min_, max_;
  State state_ = State::Hold;
  std::optional<TimePoint> last_change_;
  std::chrono::microseconds rtt_{200'000};
  // Link capacity seen at past over-uses (kbit/s): near it, increase
  // additively; far from it (or unknown), multiplicatively (§5.5).
  std::optional<double> capacity_kbps_;
  double capacity_var_ = 0.4;
};

class BandwidthEstimator {
 public:
  struct Config {
    std::uint64_t start_bps = 1'000'000;
    std::uint64_t min_bps = 30'000;
    std::uint64_t max_bps = 20'000'000;
  };

  BandwidthEstimator() : BandwidthEstimator(Config{}) {}
  explicit BandwidthEstimator(const Config& config);

  // Every packet sent to the subscriber with a transport-wide sequence number
  // (header extension, draft-holmer-...-01 §2); `bytes` as on the wire.
  // `probe_cluster`: the id of the probe it belongs to, 0 for none.
  void on_packet_sent(std::uint16_t transport_seq, std::size_t bytes, TimePoint send_time,
                      std::uint32_t probe_cluster = 0);
  // A probe cluster is about to be sent (probe_cluster.hpp). When its
  // feedback shows the path carries more than the estimate, the estimate
  // jumps there.
  void start_probe(const ProbeCluster& cluster) { probe_.start(cluster); }
  // The rate the last probe measured, once (nothing until its feedback is in).
  std::optional<std::uint64_t> take_probe_result() { return std::exchange(probe_result_, std::nullopt); }
  // A parsed RTPFB FMT=15 from the subscriber.
  void on_transport_feedback(const rtp::TransportFeedback& feedback, TimePoint now);
  // A REMB from the subscriber (rtp::Remb::bitrate_bps).
  void on_remb(std::uint64_t bitrate_bps, TimePoint now);
  // The subscriber's round-trip time (from RTCP RR, RFC 3550 §6.4.1).
  void set_rtt(std::chrono::microseconds rtt);

  // Transport-wide feedback came lately: the receiver reports arrivals, so
  // probes can be measured.
  bool has_transport_feedback(TimePoint now) const;
  // The bandwidth the subscriber's downlink is believed to carry.
  std::uint64_t estimate_bps() const { return estimate_; }
  // What the receiver acknowledged over the last 500 ms of arrivals;
  // nullopt until 100 ms of arrivals have been seen.
  std::optional<std::uint64_t> acknowledged_bps() const;
  std::uint64_t delay_based_bps() const { return aimd_.estimate_bps(); }
  std::uint64_t loss_based_bps() const { return static_cast<std::uint64_t>(loss_based_); }
  BandwidthUsage delay_state() const { return detector_.state(); }
  // The loss fraction of the last evaluation (≥ 20 reported packets).
  double last_loss_fraction() const { return last_loss_; }

 private:
  struct Sent {
    TimePoint send_time;
    std::uint32_t bytes = 0;
    std::uint16_t seq = 0;
    bool used = false;
    bool acked = false;
    std::uint32_t probe = 0;
  };
  struct Group {
    std::int64_t first_send_us = 0;
    std::int64_t last_send_us = 0;
    std::int64_t last_arrival_us = 0;
  };
  struct Acked {
    std::int64_t arrival_us = 0;
    std::uint32_t bytes = 0;
  };

  void on_received(std::int64_t send_us, std::int64_t arrival_us, std::uint32_t bytes);
  void evaluate_loss(TimePoint now);
  void apply_probe(std::uint64_t measured_bps);
  void recompute(TimePoint now);

  static constexpr std::size_t kSentCapacity = 8192;   // ≥ 1 s at 8000 packets/s
  static constexpr std::size_t kAckedCapacity = 4096;
  static constexpr std::int64_t kAckedWindowUs = 500'000;

  Config config_;
  TrendlineDetector detector_;
  AimdRateControl aimd_;
  std::unique_ptr<Sent[]> sent_;

  std::optional<Group> current_group_;
  std::optional<Group> previous_group_;

  std::unique_ptr<Acked[]> acked_;
  std::size_t acked_head_ = 0;  // oldest
  std::size_t acked_count_ = 0;
  std::uint64_t acked_bytes_ = 0;
  std::optional<std::int64_t> first_arrival_us_;
  std::optional<std::int64_t> newest_arrival_us_;

  std::optional<std::int32_t> last_reference_;  // 24-bit, for unwrapping
  std::int64_t reference_ext_ = 0;

  double loss_based_;
  std::uint32_t loss_reported_ = 0;
  std::uint32_t loss_lost_ = 0;
  double last_loss_ = 0;
  std::optional<TimePoint> last_loss_update_;
  std::optional<TimePoint> last_loss_decrease_;
  std::chrono::microseconds rtt_{200'000};

  std::optional<TimePoint> last_feedback_;
  std::optional<std::uint64_t> remb_bps_;
  std::optional<TimePoint> remb_time_;

  ProbeEstimator probe_;
  std::optional<std::uint64_t> probe_result_;

  std::uint64_t estimate_;
};

}  // namespace parley::sfu
