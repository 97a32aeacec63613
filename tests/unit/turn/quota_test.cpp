#include "turn/quota.hpp"

#include <gtest/gtest.h>

#include <set>

#include "turn/auth.hpp"
#include "turn/relay_ports.hpp"

using namespace parley::turn;
using namespace std::chrono_literals;

TEST(AllocationQuota, PerUserAndTotal) {
  AllocationQuota q(2, 3);
  EXPECT_EQ(q.acquire("a"), AllocationQuota::Verdict::Ok);
  EXPECT_EQ(q.acquire("a"), AllocationQuota::Verdict::Ok);
  EXPECT_EQ(q.acquire("a"), AllocationQuota::Verdict::UserQuota);
  EXPECT_EQ(q.acquire("b"), AllocationQuota::Verdict::Ok);
  EXPECT_EQ(q.acquire("c"), AllocationQuota::Verdict::TotalQuota);
  EXPECT_EQ(q.total(), 3u);
  q.release("a");
  EXPECT_EQ(q.of("a"), 1u);
  EXPECT_EQ(q.acquire("c"), AllocationQuota::Verdict::Ok);
  // Releasing what was never acquired changes nothing.
  q.release("nobody");
  EXPECT_EQ(q.total(), 3u);
}

// A user can mint many REST usernames (one per expiry); they all count
// against the same quota.
TEST(AllocationQuota, ManyRestUsernamesOfOneUserShareTheQuota) {
  const CredentialStore store("parley", "secret", {});
  AllocationQuota q(3, 1000);
  const std::int64_t now = 1'700'000'000;
  int ok = 0;
  for (int i = 0; i < 10; ++i) {
    const auto cred = store.lookup(std::to_string(now + 100 + i) + ":mallory", now);
    ASSERT_TRUE(cred);
    if (q.acquire(cred->principal) == AllocationQuota::Verdict::Ok) ++ok;
  }
  EXPECT_EQ(ok, 3);
  // A static user called like a REST principal does not share it.
  const CredentialStore statics("parley", "secret", {{"mallory", "x"}});
  EXPECT_EQ(q.acquire(statics.lookup("mallory", now)->principal), AllocationQuota::Verdict::Ok);
}

TEST(TokenBucket, RateAndBurst) {
  const TimePoint t0{};
  TokenBucket b(1000, 1000, t0);
  EXPECT_TRUE(b.take(600, t0));
  EXPECT_FALSE(b.take(600, t0));
  EXPECT_TRUE(b.take(600, t0 + 200ms));  // 400 + 200 refilled
  EXPECT_FALSE(b.take(1, t0 + 200ms));
  EXPECT_TRUE(b.take(1000, t0 + 10s));   // capped at the burst
  EXPECT_FALSE(b.take(1, t0 + 10s));
  TokenBucket unlimited(0, 0, t0);
  EXPECT_TRUE(unlimited.take(1e9, t0));
}

TEST(SourceRateLimiter, PerAddressAndBounded) {
  const TimePoint t0{};
  SourceRateLimiter limiter(1, 2, 4);
  const auto a = *parley::net::IpAddress::parse("192.0.2.1");
  const auto b = *parley::net::IpAddress::parse("192.0.2.2");
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_FALSE(limiter.allow(a, t0));
  EXPECT_TRUE(limiter.allow(b, t0));
  EXPECT_TRUE(limiter.allow(a, t0 + 1s));
  for (int i = 0; i < 100; ++i) {
    auto ip = a;
    ip.bytes[3] = static_cast<std::uint8_t>(i);
    limiter.allow(ip, t0 + 2s);
  }
  EXPECT_LE(limiter.size(), 4u);
}

TEST(RelayPortPool, ExhaustionAndRecovery) {
  const TimePoint t0{};
  RelayPortPool pool(50000, 50003);
  std::set<std::uint16_t> got;
  for (int i = 0; i < 4; ++i) {
    const auto g = pool.acquire(false, false, t0);
    ASSERT_TRUE(g);
    EXPECT_GE(g->port, 50000);
    EXPECT_LE(g->port, 50003);
    got.insert(g->port);
  }
  EXPECT_EQ(got.size(), 4u);
  EXPECT_FALSE(pool.acquire(false, false, t0));  // 508
  pool.release(50002);
  const auto again = pool.acquire(false, false, t0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->port, 50002);
}

TEST(RelayPortPool, EvenPortReservationTokens) {
  const TimePoint t0{};
  RelayPortPool pool(50000, 50009);
  const auto g = pool.acquire(true, true, t0);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->port % 2, 0);
  ASSERT_TRUE(g->token);
  EXPECT_EQ(pool.in_use(), 2u);
  EXPECT_FALSE(pool.redeem(*g->token + 1, t0));
  const auto next = pool.redeem(*g->token, t0 + 10s);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, g->port + 1);
  EXPECT_FALSE(pool.redeem(*g->token, t0 + 10s));  // once only

  // An unredeemed reservation frees its port after 30 s.
  const auto h = pool.acquire(true, true, t0);
  ASSERT_TRUE(h && h->token);
  EXPECT_EQ(pool.in_use(), 4u);
  pool.expire(t0 + 31s);
  EXPECT_EQ(pool.in_use(), 3u);
  EXPECT_FALSE(pool.redeem(*h->token, t0 + 31s));
}
