#include "sfu/bandwidth_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace parley::sfu {

namespace {

using std::chrono::microseconds;

std::int64_t to_us(TimePoint t) {
  return std::chrono::duration_cast<microseconds>(t.time_since_epoch()).count();
}

double seconds(TimePoint::duration d) { return std::chrono::duration<double>(d).count(); }

// draft-ietf-rmcat-gcc-02 §5.2: packets sent within a burst time of 5 ms
// form one group (one video frame, typically).
constexpr std::int64_t kBurstUs = 5'000;
// §5.4: m(i) is the slope times the number of deltas seen, capped at 60.
constexpr double kMaxDeltasInTrend = 60;
// §5.5: thresholds adapt only while |m(i)| is within 15 ms of γ (a sudden
// large spike, e.g. a route change, must not inflate γ), clamped to 6-600 ms.
constexpr double kMaxAdaptOffsetMs = 15;
constexpr double kMinThresholdMs = 6;
constexpr double kMaxThresholdMs = 600;
constexpr double kMaxThresholdDtMs = 100;

// §5.5 rate controller constants.
constexpr double kBeta = 0.85;                 // decrease to 0.85 × received rate
constexpr double kMultiplicativeIncrease = 1.08;  // per second, far from convergence
constexpr double kCapacitySmoothing = 0.05;

// §6 loss-based controller.
constexpr double kHighLoss = 0.10;
constexpr double kLowLoss = 0.02;
constexpr std::uint32_t kMinLossSamples = 20;
constexpr microseconds kLossDecreaseInterval{300'000};  // plus one RTT

constexpr microseconds kTwccTimeout{2'000'000};
constexpr microseconds kRembTimeout{3'000'000};

// a - b on a circle of 2^bits values, as a signed distance.
std::int64_t wrap_diff(std::int64_t a, std::int64_t b, int bits) {
  const std::int64_t modulus = std::int64_t{1} << bits;
  std::int64_t d = (a - b) & (modulus - 1);
  if (d >= modulus / 2) d -= modulus;
  return d;
}

}  // namespace

// --- TrendlineDetector --------------------------------------------------------

TrendlineDetector::TrendlineDetector(const Config& config)
    : config_(config), threshold_(config.initial_threshold_ms) {
  config_.window = std::clamp<std::size_t>(config_.window, 2, kMaxWindow);
}

BandwidthUsage TrendlineDetector::update(double delay_variation_ms, double send_delta_ms,
                                         double arrival_ms) {
  if (!first_arrival_ms_) first_arrival_ms_ = arrival_ms;
  ++num_deltas_;
  accumulated_ += delay_variation_ms;
  smoothed_ = config_.smoothing * smoothed_ + (1 - config_.smoothing) * accumulated_;

  points_[head_] = Point{arrival_ms - *first_arrival_ms_, smoothed_};
  head_ = (head_ + 1) % config_.window;
  count_ = std::min(count_ + 1, config_.window);

  if (count_ == config_.window) {
    // Least-squares slope of smoothed delay over arrival time: how fast the
    // queue grows (ms of delay per ms), the "delay gradient".
    double x_mean = 0, y_mean = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      x_mean += points_[i].x;
      y_mean += points_[i].y;
    }
    x_mean /= static_cast<double>(count_);
    y_mean /= static_cast<double>(count_);
    double num = 0, den = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      num += (points_[i].x - x_mean) * (points_[i].y - y_mean);
      den += (points_[i].x - x_mean) * (points_[i].x - x_mean);
    }
    if (den != 0) trend_ = num / den;
  }
  detect(trend_, send_delta_ms, arrival_ms);
  return state_;
}

void TrendlineDetector::detect(double trend, double send_delta_ms, double arrival_ms) {
  if (num_deltas_ < 2) {
    state_ = BandwidthUsage::Normal;
    return;
  }
  modified_trend_ = std::min(static_cast<double>(num_deltas_), kMaxDeltasInTrend) * trend *
                    config_.threshold_gain;
  if (modified_trend_ > threshold_) {
    // §5.4: over-use only once the signal has lasted overuse_time_ms and
    // more than one group, and the trend is not already falling.
    time_over_using_ = time_over_using_ < 0 ? send_delta_ms / 2 : time_over_using_ + send_delta_ms;
    ++overuse_count_;
    if (time_over_using_ > config_.overuse_time_ms && overuse_count_ > 1 && trend >= prev_trend_) {
      time_over_using_ = 0;
      overuse_count_ = 0;
      state_ = BandwidthUsage::Overusing;
    }
  } else if (modified_trend_ < -threshold_) {
    time_over_using_ = -1;
    overuse_count_ = 0;
    state_ = BandwidthUsage::Underusing;
  } else {
    time_over_using_ = -1;
    overuse_count_ = 0;
    state_ = BandwidthUsage::Normal;
  }
  prev_trend_ = trend;
  update_threshold(modified_trend_, arrival_ms);
}

void TrendlineDetector::update_threshold(double modified_trend, double arrival_ms) {
  // §5.5: γ(i) = γ(i-1) + Δt · k(i) · (|m(i)| - γ(i-1)), so that the
  // detector neither starves against concurrent TCP flows (γ too small) nor
  // sleeps through real queueing (γ too large).
  if (!last_threshold_update_ms_) last_threshold_update_ms_ = arrival_ms;
  const double magnitude = std::fabs(modified_trend);
  if (magnitude > threshold_ + kMaxAdaptOffsetMs) {
    last_threshold_update_ms_ = arrival_ms;
    return;
  }
  const double k = magnitude < threshold_ ? config_.k_down : config_.k_up;
  const double dt = std::min(arrival_ms - *last_threshold_update_ms_, kMaxThresholdDtMs);
  threshold_ += k * (magnitude - threshold_) * dt;
  threshold_ = std::clamp(threshold_, kMinThresholdMs, kMaxThresholdMs);
  last_threshold_update_ms_ = arrival_ms;
}

// --- AimdRateControl ----------------------------------------------------------

AimdRateControl::AimdRateControl(std::uint64_t start_bps, std::uint64_t min_bps,
                                 std::uint64_t max_bps)
    : min_(static_cast<double>(min_bps)),
      max_(static_cast<double>(std::max(min_bps, max_bps))) {
  estimate_ = clamp(static_cast<double>(start_bps));
}

double AimdRateControl::clamp(double bps) const { return std::clamp(bps, min_, max_); }

double AimdRateControl::near_max_increase_bps_per_s() const {
  // §5.5: near convergence, about one packet per response time (RTT + 100 ms)
  // at a 30 fps frame of the current rate.
  const double frame_bits = estimate_ / 30.0;
  const double packets_per_frame = std::ceil(frame_bits / (8.0 * 1200.0));
  const double packet_bits = frame_bits / std::max(packets_per_frame, 1.0);
  const double response_s = std::chrono::duration<double>(rtt_).count() + 0.1;
  return std::max(4000.0, packet_bits / response_s);
}

void AimdRateControl::on_decrease_sample(double acked_kbps) {
  if (!capacity_kbps_) {
    capacity_kbps_ = acked_kbps;
  } else {
    *capacity_kbps_ = (1 - kCapacitySmoothing) * *capacity_kbps_ + kCapacitySmoothing * acked_kbps;
  }
  const double norm = std::max(*capacity_kbps_, 1.0);
  const double error = *capacity_kbps_ - acked_kbps;
  capacity_var_ = (1 - kCapacitySmoothing) * capacity_var_ +
                  kCapacitySmoothing * error * error / norm;
  capacity_var_ = std::clamp(capacity_var_, 0.4, 2.5);
}

std::uint64_t AimdRateControl::update(BandwidthUsage usage, std::optional<std::uint64_t> acked_bps,
                                      TimePoint now) {
  const double acked = acked_bps ? static_cast<double>(*acked_bps) : estimate_;
  if (usage == BandwidthUsage::Overusing && last_change_) {
    // One decrease per reduction interval (the RTT, 10-200 ms): its effect
    // takes that long to show in the feedback. Sooner only if the receiver
    // gets less than half the estimate.
    const auto interval = std::clamp(rtt_, microseconds{10'000}, microseconds{200'000});
    if (now - *last_change_ < interval && !(acked_bps && acked < 0.5 * estimate_)) {
      return estimate_bps();
    }
  }

  switch (usage) {
    case BandwidthUsage::Normal:
      if (state_ == State::Hold) {
        last_change_ = now;
        state_ = State::Increase;
      }
      break;
    case BandwidthUsage::Overusing:
      state_ = State::Decrease;
      break;
    case BandwidthUsage::Underusing:
      state_ = State::Hold;  // queues are draining: wait for them to empty
      break;
  }

  const double deviation_kbps =
      capacity_kbps_ ? std::sqrt(capacity_var_ * *capacity_kbps_) : 0.0;
  switch (state_) {
    case State::Hold:
      break;
    case State::Increase: {
      if (capacity_kbps_ && acked / 1000 > *capacity_kbps_ + 3 * deviation_kbps) {
        capacity_kbps_.reset();  // far beyond the old capacity: search again
      }
      // Never run far ahead of what the receiver actually gets.
      const double limit = acked_bps ? 1.5 * acked + 10'000 : max_;
      if (estimate_ < limit) {
        const double dt = last_change_ ? std::min(seconds(now - *last_change_), 1.0) : 0.0;
        double increase;
        if (capacity_kbps_) {
          increase = near_max_increase_bps_per_s() * dt;
        } else {
          increase = std::max(estimate_ * (std::pow(kMultiplicativeIncrease, dt) - 1), 1000.0);
        }
        estimate_ = std::min(estimate_ + increase, limit);
      }
      last_change_ = now;
      break;
    }
    case State::Decrease: {
      double decreased = kBeta * acked;
      if (decreased > estimate_ && capacity_kbps_) decreased = kBeta * *capacity_kbps_ * 1000;
      if (decreased < estimate_) estimate_ = decreased;
      if (capacity_kbps_ && acked / 1000 < *capacity_kbps_ - 3 * deviation_kbps) {
        capacity_kbps_.reset();  // the link got much worse: the old figure is void
      }
      on_decrease_sample(acked / 1000);
      state_ = State::Hold;
      last_change_ = now;
      break;
    }
  }
  estimate_ = clamp(estimate_);
  return estimate_bps();
}

// --- BandwidthEstimator -------------------------------------------------------

BandwidthEstimator::BandwidthEstimator(const Config& config)
    : config_(config),
      aimd_(config.start_bps, config.min_bps, config.max_bps),
      sent_(std::make_unique<Sent[]>(kSentCapacity)),
      acked_(std::make_unique<Acked[]>(kAckedCapacity)),
      loss_based_(static_cast<double>(aimd_.estimate_bps())),
      estimate_(aimd_.estimate_bps()) {
  config_.max_bps = std::max(config_.min_bps, config_.max_bps);
}

void BandwidthEstimator::on_packet_sent(std::uint16_t transport_seq, std::size_t bytes,
                                        TimePoint send_time, std::uint32_t probe_cluster) {
  Sent& s = sent_[transport_seq % kSentCapacity];
  s.send_time = send_time;
  s.bytes = static_cast<std::uint32_t>(bytes);
  s.seq = transport_seq;
  s.used = true;
  s.acked = false;
  s.probe = probe_cluster;
}

void BandwidthEstimator::set_rtt(std::chrono::microseconds rtt) {
  rtt_ = rtt;
  aimd_.set_rtt(rtt);
}

void BandwidthEstimator::on_transport_feedback(const rtp::TransportFeedback& feedback,
                                               TimePoint now) {
  // The reference time is 24 bits of 64 ms (wraps after ~12 days); unwrap it
  // so that arrival times of successive messages stay on one axis.
  const std::int32_t reference = feedback.reference_time();
  reference_ext_ = last_reference_ ? reference_ext_ + wrap_diff(reference, *last_reference_, 24)
                                   : reference;
  last_reference_ = reference;
  const std::int64_t correction_us =
      reference_ext_ * rtp::kTwccReferenceTickUs - feedback.reference_time_us();

  bool any_received = false;
  for (const rtp::TwccPacket& p : feedback) {
    Sent& s = sent_[p.sequence_number % kSentCapacity];
    if (!s.used || s.seq != p.sequence_number || s.acked) continue;
    ++loss_reported_;
    if (!p.received()) {
      ++loss_lost_;
      continue;
    }
    s.acked = true;
    any_received = true;
    on_received(to_us(s.send_time), p.arrival_us + correction_us, s.bytes);
    if (s.probe) {
      if (auto measured = probe_.on_received(s.probe, to_us(s.send_time), p.arrival_us + correction_us, s.bytes))
        probe_result_ = measured;
    }
  }
  last_feedback_ = now;
  if (any_received) aimd_.update(detector_.state(), acknowledged_bps(), now);
  evaluate_loss(now);
  if (probe_result_) apply_probe(*probe_result_);
  recompute(now);
}

void BandwidthEstimator::apply_probe(std::uint64_t measured_bps) {
  // A probe only ever raises the estimate, and not while the path is
  // queueing: then the delay-based controller knows better.
  if (detector_.state() == BandwidthUsage::Overusing) return;
  const auto bps = std::clamp(measured_bps, config_.min_bps, config_.max_bps);
  if (bps <= estimate_) return;
  aimd_.set_estimate(bps);
  loss_based_ = std::max(loss_based_, static_cast<double>(bps));
}

void BandwidthEstimator::on_received(std::int64_t send_us, std::int64_t arrival_us,
                                     std::uint32_t bytes) {
  // Acknowledged bitrate: bytes that arrived in the last 500 ms of arrivals.
  if (!first_arrival_us_) first_arrival_us_ = arrival_us;
  newest_arrival_us_ = std::max(newest_arrival_us_.value_or(arrival_us), arrival_us);
  if (acked_count_ == kAckedCapacity) {
    acked_bytes_ -= acked_[acked_head_].bytes;
    acked_head_ = (acked_head_ + 1) % kAckedCapacity;
    --acked_count_;
  }
  acked_[(acked_head_ + acked_count_) % kAckedCapacity] = Acked{arrival_us, bytes};
  ++acked_count_;
  acked_bytes_ += bytes;
  while (acked_count_ > 0 && acked_[acked_head_].arrival_us <= *newest_arrival_us_ - kAckedWindowUs) {
    acked_bytes_ -= acked_[acked_head_].bytes;
    acked_head_ = (acked_head_ + 1) % kAckedCapacity;
    --acked_count_;
  }

  // §5.2 grouping by send time, then one delay variation per pair of groups:
  // d(i) = (t(i) - t(i-1)) - (T(i) - T(i-1)), last packet of each group.
  if (!current_group_) {
    current_group_ = Group{send_us, send_us, arrival_us};
    return;
  }
  if (send_us < current_group_->first_send_us) return;  // belongs to a finished group
  if (send_us - current_group_->first_send_us <= kBurstUs) {
    current_group_->last_send_us = std::max(current_group_->last_send_us, send_us);
    current_group_->last_arrival_us = std::max(current_group_->last_arrival_us, arrival_us);
    return;
  }
  if (previous_group_) {
    const std::int64_t send_delta = current_group_->last_send_us - previous_group_->last_send_us;
    const std::int64_t arrival_delta =
        current_group_->last_arrival_us - previous_group_->last_arrival_us;
    if (arrival_delta >= 0) {  // a reordered group says nothing about queues
      detector_.update(static_cast<double>(arrival_delta - send_delta) / 1000.0,
                       static_cast<double>(send_delta) / 1000.0,
                       static_cast<double>(current_group_->last_arrival_us) / 1000.0);
    }
  }
  previous_group_ = current_group_;
  current_group_ = Group{send_us, send_us, arrival_us};
}

std::optional<std::uint64_t> BandwidthEstimator::acknowledged_bps() const {
  if (acked_count_ == 0 || !first_arrival_us_ || !newest_arrival_us_) return std::nullopt;
  const std::int64_t span = *newest_arrival_us_ - *first_arrival_us_;
  if (span < 100'000) return std::nullopt;
  const std::int64_t window = std::min(span, kAckedWindowUs);
  return acked_bytes_ * 8 * 1'000'000 / static_cast<std::uint64_t>(window);
}

void BandwidthEstimator::evaluate_loss(TimePoint now) {
  if (loss_reported_ < kMinLossSamples) return;
  const double loss = static_cast<double>(loss_lost_) / loss_reported_;
  last_loss_ = loss;
  loss_reported_ = loss_lost_ = 0;
  const double dt = last_loss_update_ ? std::min(seconds(now - *last_loss_update_), 1.0) : 0.0;
  last_loss_update_ = now;
  if (loss > kHighLoss) {
    // §6: As(i) = As(i-1)(1 - 0.5 p), at most once per 300 ms + RTT so
    // that the same loss episode, reported by several feedback messages, is
    // not punished twice.
    if (!last_loss_decrease_ || now - *last_loss_decrease_ >= kLossDecreaseInterval + rtt_) {
      loss_based_ *= 1 - 0.5 * loss;
      last_loss_decrease_ = now;
    }
  } else if (loss < kLowLoss) {
    // §6 increases on low loss; here at the same 8 %/s as the delay-based
    // controller, which bounds it anyway (see recompute).
    loss_based_ *= std::pow(kMultiplicativeIncrease, dt);
    loss_based_ += 1000 * dt;
  }
  // 2-10 %: hold.
  loss_based_ = std::clamp(loss_based_, static_cast<double>(config_.min_bps),
                           static_cast<double>(config_.max_bps));
}

bool BandwidthEstimator::has_transport_feedback(TimePoint now) const {
  return last_feedback_ && now - *last_feedback_ < kTwccTimeout;
}

void BandwidthEstimator::recompute(TimePoint now) {
  const bool twcc = has_transport_feedback(now);
  const bool remb = remb_time_ && now - *remb_time_ < kRembTimeout;
  double estimate = static_cast<double>(estimate_);
  if (twcc) {
    // The loss-based rate never runs ahead of the delay-based one, so that a
    // decrease on loss always bites: the estimate is min(delay, loss).
    loss_based_ = std::min(loss_based_, static_cast<double>(aimd_.estimate_bps()));
    estimate = loss_based_;
    if (remb) estimate = std::min(estimate, static_cast<double>(*remb_bps_));
  } else if (remb) {
    estimate = static_cast<double>(*remb_bps_);
  }
  estimate_ = static_cast<std::uint64_t>(std::clamp(estimate, static_cast<double>(config_.min_bps),
                                                    static_cast<double>(config_.max_bps)));
}

void BandwidthEstimator::on_remb(std::uint64_t bitrate_bps, TimePoint now) {
  remb_bps_ = bitrate_bps;
  remb_time_ = now;
  const bool twcc = has_transport_feedback(now);
  if (!twcc) {
    // REMB drives: keep the TWCC controllers in step so that feedback
    // arriving later continues from here rather than from a stale value.
    const auto bps = std::clamp(bitrate_bps, config_.min_bps, config_.max_bps);
    aimd_.set_estimate(bps);
    loss_based_ = static_cast<double>(bps);
  }
  recompute(now);
}

}  // namespace parley::sfu
