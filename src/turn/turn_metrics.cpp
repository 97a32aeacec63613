#include "turn/turn_metrics.hpp"

namespace parley::turn {

TurnMetrics::TurnMetrics(metrics::Registry& r)
    : allocations_active(
          r.gauge("parley_turn_allocations_active", "TURN allocations that exist now").with()),
      allocations_created(
          r.counter("parley_turn_allocations_created_total", "TURN allocations created").with()),
      allocations_refused(r.counter("parley_turn_allocations_refused_total",
                                    "TURN Allocate requests refused after authentication, by reason")),
      bytes_to_peer(r.counter("parley_turn_relayed_bytes_total", "Bytes relayed, by direction")
                        .with({{"direction", "to_peer"}})),
      bytes_to_client(r.counter("parley_turn_relayed_bytes_total", "Bytes relayed, by direction")
                          .with({{"direction", "to_client"}})),
      packets_to_peer(
          r.counter("parley_turn_relayed_packets_total", "Packets relayed, by direction")
              .with({{"direction", "to_peer"}})),
      packets_to_client(
          r.counter("parley_turn_relayed_packets_total", "Packets relayed, by direction")
              .with({{"direction", "to_client"}})),
      auth_failures(r.counter("parley_turn_auth_failures_total",
                              "TURN requests that failed authentication, by reason")),
      dropped(r.counter("parley_turn_dropped_packets_total",
                        "Packets the TURN server dropped, by reason")),
      dropped_bandwidth(dropped.with({{"reason", "bandwidth"}})),
      dropped_no_permission(dropped.with({{"reason", "no_permission"}})),
      dropped_queue_full(dropped.with({{"reason", "queue_full"}})) {}

}  // namespace parley::turn
