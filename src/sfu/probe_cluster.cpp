#include "sfu/probe_cluster.hpp"

#include <algorithm>

namespace parley::sfu {

namespace {
// Arrival rate below this share of the send rate: the link was saturated,
// and what arrived is its capacity; leave some of it unused.
constexpr double kSaturatedRatio = 0.9;
constexpr double kSaturatedUse = 0.95;
// Arrivals faster than twice the sending are measurement noise.
constexpr double kMaxRatio = 2.0;
constexpr std::int64_t kMaxIntervalUs = 1'000'000;
constexpr std::size_t kMinPackets = 5;
}  // namespace

ProbeCluster make_probe_cluster(std::uint32_t id, std::uint64_t target_bps, std::chrono::microseconds duration,
                                std::size_t packet_bytes) {
  ProbeCluster c;
  c.id = id;
  c.target_bps = target_bps;
  const auto wanted = static_cast<std::size_t>(target_bps / 8 * static_cast<std::uint64_t>(duration.count()) / 1'000'000);
  c.packets = std::max(kMinPackets, (wanted + packet_bytes - 1) / std::max<std::size_t>(packet_bytes, 1));
  c.bytes = c.packets * packet_bytes;
  return c;
}

void ProbeEstimator::start(const ProbeCluster& cluster) {
  *this = ProbeEstimator{};
  cluster_ = cluster;
}

std::optional<std::uint64_t> ProbeEstimator::on_received(std::uint32_t id, std::int64_t send_us,
                                                         std::int64_t arrival_us, std::size_t bytes) {
  if (!cluster_ || cluster_->id != id || done_) return std::nullopt;
  if (packets_ == 0) {
    first_send_ = last_send_ = send_us;
    first_arrival_ = last_arrival_ = arrival_us;
    last_send_bytes_ = first_arrival_bytes_ = bytes;
  } else {
    if (send_us < first_send_) first_send_ = send_us;
    if (send_us >= last_send_) {
      last_send_ = send_us;
      last_send_bytes_ = bytes;
    }
    if (arrival_us < first_arrival_) {
      first_arrival_ = arrival_us;
      first_arrival_bytes_ = bytes;
    }
    last_arrival_ = std::max(last_arrival_, arrival_us);
  }
  ++packets_;
  bytes_ += bytes;
  if (packets_ < cluster_->min_packets() || bytes_ < cluster_->min_bytes()) return std::nullopt;

  const std::int64_t send_interval = last_send_ - first_send_;
  const std::int64_t arrival_interval = last_arrival_ - first_arrival_;
  if (send_interval <= 0 || arrival_interval <= 0 || send_interval > kMaxIntervalUs ||
      arrival_interval > kMaxIntervalUs)
    return std::nullopt;  // wait for more of it: the intervals may still open
  done_ = true;
  // A rate is bytes over the interval between the first and the last
  // packet: the last one sent / first one arrived are the interval's edges,
  // not inside it.
  const double send_bps = static_cast<double>(bytes_ - last_send_bytes_) * 8e6 / static_cast<double>(send_interval);
  const double arrival_bps =
      static_cast<double>(bytes_ - first_arrival_bytes_) * 8e6 / static_cast<double>(arrival_interval);
  if (arrival_bps > kMaxRatio * send_bps) return std::nullopt;
  double measured = std::min(send_bps, arrival_bps);
  if (arrival_bps < kSaturatedRatio * send_bps) measured = kSaturatedUse * arrival_bps;
  return static_cast<std::uint64_t>(measured);
}

std::optional<std::uint64_t> ProbeController::next(std::uint64_t estimate_bps, std::uint64_t desired_bps,
                                                   std::chrono::steady_clock::time_point now) {
  if (pending_target_) {
    if (now - pending_since_ < config_.result_timeout) return std::nullopt;
    pending_target_.reset();  // its feedback never came: as good as a failure
    not_before_ = now + config_.retry_after_failure;
  }
  if (not_before_ && now < *not_before_) return std::nullopt;
  if (desired_bps <= estimate_bps || estimate_bps >= config_.max_bps) return std::nullopt;
  const double wanted = static_cast<double>(desired_bps) * config_.headroom;
  const double step = static_cast<double>(estimate_bps) * config_.max_step;
  const auto target =
      static_cast<std::uint64_t>(std::min({wanted, step, static_cast<double>(config_.max_bps)}));
  if (target <= estimate_bps) return std::nullopt;
  pending_target_ = target;
  pending_since_ = now;
  return target;
}

void ProbeController::on_result(std::uint64_t measured_bps, std::chrono::steady_clock::time_point now) {
  if (!pending_target_) return;
  const bool success = static_cast<double>(measured_bps) >= config_.success_ratio * static_cast<double>(*pending_target_);
  pending_target_.reset();
  if (success) {
    not_before_.reset();
  } else {
    not_before_ = now + config_.retry_after_failure;
  }
}

}  // namespace parley::sfu
