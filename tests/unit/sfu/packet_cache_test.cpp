#include "sfu/packet_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::seconds(1000)};

// A recognisable packet for `seq`: its bytes say which packet it is.
std::vector<std::uint8_t> packet_for(std::uint16_t seq, std::size_t size = 100) {
  std::vector<std::uint8_t> p(size);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::uint8_t>(seq + i);
  return p;
}

bool holds(const PacketCache& cache, std::uint16_t seq, TimePoint now, std::size_t size = 100) {
  const auto found = cache.find(seq, now);
  if (!found) return false;
  const auto expected = packet_for(seq, size);
  return std::vector<std::uint8_t>(found->begin(), found->end()) == expected;
}

TEST(PacketCache, FindsWhatWasInsertedByteForByte) {
  PacketCache cache;
  for (std::uint16_t seq = 100; seq < 110; ++seq) {
    ASSERT_TRUE(cache.insert(seq, packet_for(seq, 100 + seq), t0));
  }
  for (std::uint16_t seq = 100; seq < 110; ++seq) EXPECT_TRUE(holds(cache, seq, t0, 100 + seq));
}

TEST(PacketCache, MissesWhatWasNeverStored) {
  PacketCache cache;
  cache.insert(100, packet_for(100), t0);
  EXPECT_FALSE(cache.find(101, t0));
  EXPECT_FALSE(cache.find(99, t0));
  // Same slot (100 + capacity), different sequence number.
  EXPECT_FALSE(cache.find(static_cast<std::uint16_t>(100 + cache.capacity()), t0));
}

TEST(PacketCache, CapacityIsRoundedUpToAPowerOfTwo) {
  EXPECT_EQ(PacketCache(1000).capacity(), 1024u);
  EXPECT_EQ(PacketCache(64).capacity(), 64u);
  EXPECT_EQ(PacketCache(0).capacity(), 1u);
  EXPECT_EQ(PacketCache().capacity(), PacketCache::kDefaultCapacity);
}

TEST(PacketCache, NewerPacketsEvictTheOldestOnesSharingTheirSlot) {
  PacketCache cache(64, 10s);
  for (std::uint16_t seq = 0; seq < 64 + 10; ++seq) cache.insert(seq, packet_for(seq), t0);
  for (std::uint16_t seq = 0; seq < 10; ++seq) EXPECT_FALSE(cache.find(seq, t0)) << seq;
  for (std::uint16_t seq = 10; seq < 74; ++seq) EXPECT_TRUE(holds(cache, seq, t0)) << seq;
}

TEST(PacketCache, WorksAcrossTheSixteenBitWrap) {
  PacketCache cache(64, 10s);
  for (std::uint32_t i = 65'500; i < 65'536 + 100; ++i) {
    const auto seq = static_cast<std::uint16_t>(i);
    ASSERT_TRUE(cache.insert(seq, packet_for(seq), t0)) << i;
  }
  // The last 64 (65572 .. 65635, i.e. 36 .. 99 after the wrap) are there.
  for (std::uint32_t i = 65'536 + 100 - 64; i < 65'536 + 100; ++i) {
    EXPECT_TRUE(holds(cache, static_cast<std::uint16_t>(i), t0)) << i;
  }
  // 65500 and 65535 were evicted by the packets after the wrap (28 and 63).
  EXPECT_FALSE(cache.find(65'500, t0));
  EXPECT_FALSE(cache.find(65'535, t0));
  // And a packet from before the wrap, arriving late, does not evict 63.
  EXPECT_FALSE(cache.insert(65'535, packet_for(65'535), t0));
  EXPECT_TRUE(holds(cache, 63, t0));
}

TEST(PacketCache, LateOlderPacketDoesNotEvictANewerFreshOne) {
  PacketCache cache(64, 10s);
  ASSERT_TRUE(cache.insert(200, packet_for(200), t0));
  // 136 maps onto the same slot (200 - 64) and is older: a reordered straggler.
  EXPECT_FALSE(cache.insert(136, packet_for(136), t0));
  EXPECT_TRUE(holds(cache, 200, t0));
  EXPECT_FALSE(cache.find(136, t0));
  // Once the newer one is stale, anything may take the slot.
  EXPECT_TRUE(cache.insert(136, packet_for(136), t0 + 11s));
  EXPECT_TRUE(holds(cache, 136, t0 + 11s));
}

TEST(PacketCache, DuplicateInsertReplacesTheSamePacket) {
  PacketCache cache(64, 1s);
  cache.insert(7, packet_for(7), t0);
  EXPECT_TRUE(cache.insert(7, packet_for(7), t0 + 500ms));
  // Stored time moved: still fresh 1.4 s after the first copy.
  EXPECT_TRUE(holds(cache, 7, t0 + 1400ms));
}

TEST(PacketCache, PacketsOlderThanMaxAgeAreNotReturned) {
  PacketCache cache(1024, 1s);
  cache.insert(1, packet_for(1), t0);
  EXPECT_TRUE(holds(cache, 1, t0 + 1s));
  EXPECT_FALSE(cache.find(1, t0 + 1s + 1us));
}

TEST(PacketCache, MaxAgeIsAConstructorParameter) {
  PacketCache cache(1024, 200ms);
  cache.insert(1, packet_for(1), t0);
  EXPECT_TRUE(cache.find(1, t0 + 200ms));
  EXPECT_FALSE(cache.find(1, t0 + 201ms));
}

TEST(PacketCache, RejectsEmptyAndOversizedPackets) {
  PacketCache cache;
  EXPECT_FALSE(cache.insert(1, {}, t0));
  EXPECT_FALSE(cache.insert(2, packet_for(2, PacketCache::kMaxPacketSize + 1), t0));
  EXPECT_FALSE(cache.find(2, t0));
  EXPECT_TRUE(cache.insert(3, packet_for(3, PacketCache::kMaxPacketSize), t0));
  EXPECT_TRUE(holds(cache, 3, t0, PacketCache::kMaxPacketSize));
}

TEST(PacketCache, ClearForgetsEverything) {
  PacketCache cache;
  cache.insert(5, packet_for(5), t0);
  cache.clear();
  EXPECT_FALSE(cache.find(5, t0));
}

TEST(NackRateLimiter, RetransmitsOncePerInterval) {
  NackRateLimiter limiter(100ms);
  EXPECT_TRUE(limiter.allow(10, t0));
  EXPECT_FALSE(limiter.allow(10, t0 + 50ms));
  EXPECT_FALSE(limiter.allow(10, t0 + 99ms));
  EXPECT_TRUE(limiter.allow(10, t0 + 100ms));
  EXPECT_FALSE(limiter.allow(10, t0 + 150ms));  // counted from the last retransmission
}

TEST(NackRateLimiter, SequenceNumbersAreIndependent) {
  NackRateLimiter limiter(100ms);
  EXPECT_TRUE(limiter.allow(10, t0));
  EXPECT_TRUE(limiter.allow(11, t0));
  EXPECT_FALSE(limiter.allow(10, t0 + 1ms));
  EXPECT_FALSE(limiter.allow(11, t0 + 1ms));
}

TEST(NackRateLimiter, FollowsTheRtt) {
  NackRateLimiter limiter(100ms);
  EXPECT_TRUE(limiter.allow(10, t0));
  limiter.set_min_interval(20ms);
  EXPECT_TRUE(limiter.allow(10, t0 + 20ms));
}

TEST(NackRateLimiter, AnotherSeqInTheSameSlotCountsAsNeverSent) {
  NackRateLimiter limiter(100ms, 16);
  EXPECT_TRUE(limiter.allow(10, t0));
  EXPECT_TRUE(limiter.allow(26, t0));  // 10 + 16
  EXPECT_TRUE(limiter.allow(10, t0 + 1ms));
}

}  // namespace
}  // namespace parley::sfu
