#pragma once

// Bandwidth probing: when a subscriber would receive more than its downlink
// estimate allows (videos paused or held at a low layer), the SFU sends a
// short burst of padding at a higher rate (a probe cluster) and looks at
// how fast the receiver's transport-wide feedback says it arrived. Without
// it the estimate only grows with what is already sent (about 8 % a
// second, draft-ietf-rmcat-gcc-02 §5.5), so a joiner would watch thumbnails
// for half a minute before HD fits. This is libwebrtc's probing as its
// senders use it; the padding is RTX packets with only padding (RFC 4588
// §4, RFC 3550 §5.1), which receivers count in feedback and then drop.
//
//   ProbeController   whether to probe now, and at what rate
//   ProbeCluster      one burst: its id, target rate and size
//   ProbeEstimator    the rate a cluster got through, from its feedback
//
// Pure logic: time comes in as a parameter, nothing here reads a clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace parley::sfu {

struct ProbeCluster {
  std::uint32_t id = 0;
  std::uint64_t target_bps = 0;
  std::size_t packets = 0;  // to send
  std::size_t bytes = 0;    // to send, in all
  // Feedback must cover this much of it for a result (libwebrtc: 80 %).
  std::size_t min_packets() const { return packets * 4 / 5; }
  std::size_t min_bytes() const { return bytes * 4 / 5; }
};

// Sizes a cluster: `duration` of `target_bps`, in padding packets of at
// most `packet_bytes` on the wire, and at least 5 of them (fewer say
// nothing about a rate).
ProbeCluster make_probe_cluster(std::uint32_t id, std::uint64_t target_bps, std::chrono::microseconds duration,
                                std::size_t packet_bytes);

class ProbeEstimator {
 public:
  // The cluster being measured; an earlier one is forgotten.
  void start(const ProbeCluster& cluster);
  // A packet of cluster `id` the receiver got: send and arrival times in µs
  // on their own clocks, its size on the wire. The measured rate once
  // enough of the cluster is in (once per cluster), else nothing.
  std::optional<std::uint64_t> on_received(std::uint32_t id, std::int64_t send_us, std::int64_t arrival_us,
                                           std::size_t bytes);

 private:
  std::optional<ProbeCluster> cluster_;
  bool done_ = false;
  std::size_t packets_ = 0;
  std::size_t bytes_ = 0;
  std::int64_t first_send_ = 0, last_send_ = 0;
  std::int64_t first_arrival_ = 0, last_arrival_ = 0;
  std::size_t last_send_bytes_ = 0;      // of the packet sent last
  std::size_t first_arrival_bytes_ = 0;  // of the packet that arrived first
};

class ProbeController {
 public:
  struct Config {
    // Each probe asks for at most this multiple of the current estimate
    // (libwebrtc's further probing), and for a little more than needed.
    double max_step = 2.0;
    double headroom = 1.2;
    // A probe whose result reaches this share of its target may be
    // followed at once by the next step; one that falls short means the
    // link is full: wait before trying again.
    double success_ratio = 0.7;
    std::chrono::milliseconds retry_after_failure{5000};
    std::chrono::milliseconds result_timeout{1000};
    std::uint64_t max_bps = 20'000'000;
  };

  ProbeController() : ProbeController(Config{}) {}
  explicit ProbeController(const Config& config) : config_(config) {}

  // Called at each allocation: the target rate of a probe to send now, if
  // the subscriber wants more than `estimate_bps` and none is under way.
  std::optional<std::uint64_t> next(std::uint64_t estimate_bps, std::uint64_t desired_bps,
                                    std::chrono::steady_clock::time_point now);
  // What the cluster of the last probe measured.
  void on_result(std::uint64_t measured_bps, std::chrono::steady_clock::time_point now);

  bool in_flight() const { return pending_target_.has_value(); }

 private:
  Config config_;
  std::optional<std::uint64_t> pending_target_;
  std::chrono::steady_clock::time_point pending_since_{};
  std::optional<std::chrono::steady_clock::time_point> not_before_;
};

}  // namespace parley::sfu
