#include "turn/allocation.hpp"

#include <gtest/gtest.h>

#include "turn/allocation_table.hpp"

using namespace parley::turn;
using namespace std::chrono_literals;
using parley::net::IpAddress;

namespace {
IpAddress ip(const char* t) { return *IpAddress::parse(t); }
PeerAddress peer(const char* t, std::uint16_t port) { return {ip(t), port}; }
const TimePoint t0 = TimePoint{} + 1000s;
}  // namespace

TEST(Lifetimes, AllocateAndRefreshFollowRfc8656) {
  TurnConfig c;  // default 600, max 3600
  EXPECT_EQ(allocate_lifetime(std::nullopt, c), 600u);
  EXPECT_EQ(allocate_lifetime(30, c), 600u);     // never below the default (§7.2)
  EXPECT_EQ(allocate_lifetime(1200, c), 1200u);
  EXPECT_EQ(allocate_lifetime(99999, c), 3600u);  // capped
  EXPECT_EQ(refresh_lifetime(std::nullopt, c), 600u);
  EXPECT_EQ(refresh_lifetime(0, c), 0u);           // deletes (§7.3)
  EXPECT_EQ(refresh_lifetime(30, c), 30u);
  EXPECT_EQ(refresh_lifetime(99999, c), 3600u);
}

TEST(Permissions, ExpireAfterTheirLifetimeUnlessRefreshed) {
  Permissions p(2);
  ASSERT_TRUE(p.install(ip("8.8.8.8"), t0 + 300s, t0));
  EXPECT_TRUE(p.allowed(ip("8.8.8.8"), t0 + 299s));
  EXPECT_FALSE(p.allowed(ip("8.8.8.8"), t0 + 300s));
  EXPECT_FALSE(p.allowed(ip("8.8.4.4"), t0));
  // Refresh extends.
  ASSERT_TRUE(p.install(ip("8.8.8.8"), t0 + 500s, t0 + 200s));
  EXPECT_TRUE(p.allowed(ip("8.8.8.8"), t0 + 450s));
  p.expire(t0 + 500s);
  EXPECT_EQ(p.size(), 0u);
}

TEST(Permissions, CapacityCountsLiveDistinctAddresses) {
  Permissions p(2);
  const std::array<IpAddress, 3> three{ip("1.1.1.1"), ip("1.1.1.2"), ip("1.1.1.3")};
  const std::array<IpAddress, 3> dup{ip("1.1.1.1"), ip("1.1.1.1"), ip("1.1.1.2")};
  EXPECT_FALSE(p.fits(three, t0));
  EXPECT_TRUE(p.fits(dup, t0));
  ASSERT_TRUE(p.install(ip("1.1.1.1"), t0 + 300s, t0));
  ASSERT_TRUE(p.install(ip("1.1.1.2"), t0 + 300s, t0));
  EXPECT_FALSE(p.install(ip("1.1.1.3"), t0 + 300s, t0));
  EXPECT_TRUE(p.install(ip("1.1.1.2"), t0 + 400s, t0));  // refresh is fine when full
  // Once one expires there is room again.
  ASSERT_TRUE(p.install(ip("1.1.1.3"), t0 + 700s, t0 + 350s));
  EXPECT_FALSE(p.allowed(ip("1.1.1.1"), t0 + 350s));
}

TEST(Channels, BindingRulesOfRfc8656Section11) {
  Channels ch(8);
  const auto a = peer("8.8.8.8", 1000);
  const auto b = peer("8.8.8.8", 1001);  // same IP, other port: another peer
  EXPECT_EQ(ch.bind(0x4000, a, t0 + 600s, t0), Channels::Verdict::Ok);
  EXPECT_EQ(ch.bind(0x4000, a, t0 + 700s, t0 + 10s), Channels::Verdict::Ok);  // refresh
  EXPECT_EQ(ch.bind(0x4000, b, t0 + 600s, t0), Channels::Verdict::ChannelTaken);
  EXPECT_EQ(ch.bind(0x4001, a, t0 + 600s, t0), Channels::Verdict::PeerTaken);
  EXPECT_EQ(ch.bind(0x4001, b, t0 + 600s, t0), Channels::Verdict::Ok);
  ASSERT_NE(ch.peer_of(0x4000, t0), nullptr);
  EXPECT_EQ(*ch.peer_of(0x4000, t0), a);
  EXPECT_EQ(ch.channel_of(b, t0), 0x4001);
  EXPECT_EQ(ch.peer_of(0x4002, t0), nullptr);
}

TEST(Channels, ExpiryThenQuarantine) {
  Channels ch(8);
  const auto a = peer("8.8.8.8", 1000);
  const auto b = peer("9.9.9.9", 1000);
  ASSERT_EQ(ch.bind(0x4000, a, t0 + 600s, t0), Channels::Verdict::Ok);
  EXPECT_NE(ch.peer_of(0x4000, t0 + 599s), nullptr);
  EXPECT_EQ(ch.peer_of(0x4000, t0 + 600s), nullptr);  // expired: no data flows
  EXPECT_FALSE(ch.channel_of(a, t0 + 600s));
  // For 5 more minutes the number cannot go to another peer...
  EXPECT_EQ(ch.bind(0x4000, b, t0 + 1200s, t0 + 700s), Channels::Verdict::ChannelTaken);
  // ...but may be re-bound to the same one.
  EXPECT_EQ(ch.can_bind(0x4000, a, t0 + 700s), Channels::Verdict::Ok);
  // After the quarantine it is free.
  ch.expire(t0 + 900s);
  EXPECT_EQ(ch.size(), 0u);
  EXPECT_EQ(ch.bind(0x4000, b, t0 + 1500s, t0 + 900s), Channels::Verdict::Ok);
}

TEST(Channels, Capacity) {
  Channels ch(2);
  EXPECT_EQ(ch.bind(0x4000, peer("8.8.8.8", 1), t0 + 600s, t0), Channels::Verdict::Ok);
  EXPECT_EQ(ch.bind(0x4001, peer("8.8.8.8", 2), t0 + 600s, t0), Channels::Verdict::Ok);
  EXPECT_EQ(ch.bind(0x4002, peer("8.8.8.8", 3), t0 + 600s, t0), Channels::Verdict::Full);
}

namespace {
struct Entry {
  Allocation alloc;
  Allocation& state() { return alloc; }
};

Allocation make(std::uint16_t client_port, std::uint32_t lifetime, const TurnConfig& c) {
  FiveTuple t{Transport::Udp, peer("192.0.2.10", client_port), peer("192.0.2.1", 3478)};
  return Allocation(t, "alice", "static:alice", {}, {}, peer("192.0.2.1", 50000), lifetime, c, t0);
}
}  // namespace

TEST(AllocationTable, OnePerFiveTupleAndExpiry) {
  TurnConfig c;
  AllocationTable<Entry> table;
  EXPECT_TRUE(table.insert(std::make_shared<Entry>(Entry{make(1, 600, c)})));
  EXPECT_FALSE(table.insert(std::make_shared<Entry>(Entry{make(1, 600, c)})));  // 437
  EXPECT_TRUE(table.insert(std::make_shared<Entry>(Entry{make(2, 60, c)})));
  FiveTuple other_transport = make(1, 600, c).tuple();
  other_transport.transport = Transport::Tcp;
  EXPECT_EQ(table.find(other_transport), nullptr);
  ASSERT_NE(table.find(make(1, 600, c).tuple()), nullptr);

  // Permissions of live allocations expire on the sweep too.
  auto* e = table.find(make(1, 600, c).tuple());
  ASSERT_TRUE(e->alloc.permissions().install(ip("8.8.8.8"), t0 + 30s, t0));
  const auto dead = table.sweep(t0 + 60s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].client.port, 2);
  EXPECT_EQ(e->alloc.permissions().size(), 0u);
  EXPECT_TRUE(table.erase(dead[0]));
  EXPECT_EQ(table.size(), 1u);
}

TEST(Allocation, RefreshAndSecondsLeft) {
  TurnConfig c;
  auto a = make(1, 600, c);
  EXPECT_EQ(a.seconds_left(t0), 600u);
  EXPECT_FALSE(a.expired(t0 + 599s));
  EXPECT_TRUE(a.expired(t0 + 600s));
  a.set_lifetime(30, t0 + 590s);
  EXPECT_FALSE(a.expired(t0 + 619s));
  EXPECT_EQ(a.seconds_left(t0 + 600s), 20u);
  // The bandwidth bucket is shared by both directions.
  c.bandwidth = 1000;
  auto b = make(1, 600, c);
  EXPECT_TRUE(b.take_bandwidth(800, t0));
  EXPECT_FALSE(b.take_bandwidth(800, t0));
}
