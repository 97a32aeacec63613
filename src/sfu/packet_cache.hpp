#pragma once

// The publisher side of retransmission: every RTP packet a publisher sends is
// kept for a short while so that a subscriber's Generic NACK (RFC 4585
// §6.2.1) can be answered from memory instead of asking the publisher again.
// One cache per incoming stream (SSRC); slots are indexed by the sequence
// number (RFC 3550 §5.1) modulo the capacity, so a lookup is one index and a
// compare. All memory is taken at construction: storing a packet copies it
// into its fixed slot and never allocates.
//
// And the subscriber side: NackRateLimiter keeps one subscriber's repeated
// NACKs for the same packet (sent again before our retransmission could have
// arrived) from costing a retransmission each.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace parley::sfu {

using TimePoint = std::chrono::steady_clock::time_point;

class PacketCache {
 public:
  // An Ethernet MTU: nothing larger reaches us as one UDP datagram anyway.
  static constexpr std::size_t kMaxPacketSize = 1500;
  // ≥ 1 s of 1.5 Mbit/s video at ~1200-byte packets (~160 packets/s), with
  // room for keyframe bursts.
  static constexpr std::size_t kDefaultCapacity = 1024;

  // `capacity` is rounded up to a power of two (at least 1); `max_age` is how
  // long a packet stays answerable: a retransmission older than about one
  // jitter buffer is useless to the receiver.
  explicit PacketCache(std::size_t capacity = kDefaultCapacity,
                       std::chrono::microseconds max_age = std::chrono::seconds(1));

  // Copies `packet` into the slot of `seq`. Returns false (and stores
  // nothing) if the packet is empty or larger than kMaxPacketSize, or if the
  // slot holds a newer packet that is still fresh (a late, reordered packet
  // must not evict one that a NACK may still ask for).
  bool insert(std::uint16_t seq, std::span<const std::uint8_t> packet, TimePoint now);

  // The stored bytes of `seq`, if the slot holds exactly that sequence number
  // and it was stored no longer than max_age before `now`. The view is valid
  // until the next insert() or clear().
  std::optional<std::span<const std::uint8_t>> find(std::uint16_t seq, TimePoint now) const;

  void clear();
  std::size_t capacity() const { return mask_ + 1; }
  std::chrono::microseconds max_age() const { return max_age_; }

 private:
  struct Slot {
    std::array<std::uint8_t, kMaxPacketSize> bytes;
    TimePoint stored;
    std::uint16_t size = 0;  // 0 = empty
    std::uint16_t seq = 0;
  };

  bool fresh(const Slot& slot, TimePoint now) const {
    return slot.size != 0 && now - slot.stored <= max_age_;
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_;
  std::chrono::microseconds max_age_;
};

// Per subscriber and stream: a sequence number is retransmitted at most once
// per `min_interval` (about one round-trip time: a NACK repeated sooner was
// sent before our last retransmission could have arrived, RFC 4585 §3.2).
// Fixed memory; a sequence number that maps onto a slot of another one counts
// as never sent.
class NackRateLimiter {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;

  explicit NackRateLimiter(std::chrono::microseconds min_interval,
                           std::size_t capacity = kDefaultCapacity);

  // True if `seq` may be retransmitted now; then it is recorded as sent at
  // `now`. False if it was retransmitted less than min_interval ago.
  bool allow(std::uint16_t seq, TimePoint now);

  // Follows the subscriber's measured RTT.
  void set_min_interval(std::chrono::microseconds min_interval) { min_interval_ = min_interval; }
  std::chrono::microseconds min_interval() const { return min_interval_; }

 private:
  struct Entry {
    TimePoint sent;
    std::uint16_t seq = 0;
    bool used = false;
  };

  std::unique_ptr<Entry[]> entries_;
  std::size_t mask_;
  std::chrono::microseconds min_interval_;
};

}  // namespace parley::sfu
