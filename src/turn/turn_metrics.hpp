#pragma once

// The TURN server's Prometheus series (common/metrics.hpp). Hot-path
// counters are resolved once; workers add per batch, not per packet.

#include <string>

#include "common/metrics.hpp"

namespace parley::turn {

struct TurnMetrics {
  explicit TurnMetrics(metrics::Registry& registry);

  metrics::Gauge& allocations_active;
  metrics::Counter& allocations_created;
  metrics::Family<metrics::Counter>& allocations_refused;  // {reason}
  metrics::Counter& bytes_to_peer;
  metrics::Counter& bytes_to_client;
  metrics::Counter& packets_to_peer;
  metrics::Counter& packets_to_client;
  metrics::Family<metrics::Counter>& auth_failures;  // {reason}
  metrics::Family<metrics::Counter>& dropped;        // {reason}
  metrics::Counter& dropped_bandwidth;
  metrics::Counter& dropped_no_permission;
  metrics::Counter& dropped_queue_full;

  void refused(const std::string& reason) { allocations_refused.with({{"reason", reason}}).inc(); }
  void auth_failure(const std::string& reason) { auth_failures.with({{"reason", reason}}).inc(); }
  void drop(const std::string& reason) { dropped.with({{"reason", reason}}).inc(); }
};

}  // namespace parley::turn
