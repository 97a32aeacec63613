#include "sfu/packet_cache.hpp"

#include <algorithm>
#include <bit>

#include "rtp/seq_num.hpp"

namespace parley::sfu {

namespace {

std::size_t ring_size(std::size_t requested) { return std::bit_ceil(std::max<std::size_t>(requested, 1)); }

}  // namespace

PacketCache::PacketCache(std::size_t capacity, std::chrono::microseconds max_age)
    : slots_(std::make_unique<Slot[]>(ring_size(capacity))),
      mask_(ring_size(capacity) - 1),
      max_age_(max_age) {}

bool PacketCache::insert(std::uint16_t seq, std::span<const std::uint8_t> packet, TimePoint now) {
  if (packet.empty() || packet.size() > kMaxPacketSize) return false;
  Slot& slot = slots_[seq & mask_];
  // RFC 3550 §5.1: "newer" on the 16-bit circle. An expired slot is fair game
  // whatever its number says (after a long pause the comparison is meaningless).
  if (fresh(slot, now) && rtp::seq_newer(slot.seq, seq)) return false;
  std::copy(packet.begin(), packet.end(), slot.bytes.begin());
  slot.size = static_cast<std::uint16_t>(packet.size());
  slot.seq = seq;
  slot.stored = now;
  return true;
}

std::optional<std::span<const std::uint8_t>> PacketCache::find(std::uint16_t seq,
                                                               TimePoint now) const {
  const Slot& slot = slots_[seq & mask_];
  if (slot.seq != seq || !fresh(slot, now)) return std::nullopt;
  return std::span<const std::uint8_t>(slot.bytes.data(), slot.size);
}

void PacketCache::clear() {
  for (std::size_t i = 0; i <= mask_; ++i) slots_[i].size = 0;
}

NackRateLimiter::NackRateLimiter(std::chrono::microseconds min_interval, std::size_t capacity)
    : entries_(std::make_unique<Entry[]>(ring_size(capacity))),
      mask_(ring_size(capacity) - 1),
      min_interval_(min_interval) {}

bool NackRateLimiter::allow(std::uint16_t seq, TimePoint now) {
  Entry& e = entries_[seq & mask_];
  if (e.used && e.seq == seq && now - e.sent < min_interval_) return false;
  e.used = true;
  e.seq = seq;
  e.sent = now;
  return true;
}

}  // namespace parley::sfu
