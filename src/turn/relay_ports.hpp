#pragma once

// The relay port range (RFC 8656 §7.2: ports are picked at random from the
// range, EVEN-PORT asks for an even one and may reserve the next, for a
// RESERVATION-TOKEN that a later Allocate redeems). Shared by all workers.

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "turn/turn_config.hpp"

namespace parley::turn {

class RelayPortPool {
 public:
  RelayPortPool(std::uint16_t min, std::uint16_t max);

  // A free port, marked used; even if asked; with reserve_next, port+1 is
  // free too and gets reserved under the returned token (RFC 8656 §7.2: the
  // reservation lasts about 30 s).
  struct Grant {
    std::uint16_t port = 0;
    std::optional<std::uint64_t> token;
  };
  std::optional<Grant> acquire(bool even, bool reserve_next, TimePoint now);
  // The port reserved under `token`, now used by the caller; nothing if the
  // token is unknown or expired.
  std::optional<std::uint16_t> redeem(std::uint64_t token, TimePoint now);
  void release(std::uint16_t port);
  // Frees reservations nobody redeemed in time.
  void expire(TimePoint now);

  std::size_t in_use() const;
  std::size_t capacity() const { return used_.size(); }

  static constexpr std::chrono::seconds kReservationLifetime{30};

 private:
  bool is_free(std::uint32_t port) const;
  void free_expired(TimePoint now);

  mutable std::mutex mutex_;
  std::uint16_t min_, max_;
  std::vector<bool> used_;
  std::size_t count_ = 0;
  struct Reservation {
    std::uint16_t port;
    TimePoint expires;
  };
  std::unordered_map<std::uint64_t, Reservation> reservations_;
  std::mt19937_64 rng_;
};

}  // namespace parley::turn
