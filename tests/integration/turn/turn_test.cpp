// The TURN/STUN server as a real process on loopback (RFC 8656, RFC 8489).

#include <gtest/gtest.h>

#include <thread>

#include "turn_client.hpp"

using namespace turntest;
namespace ec = stun::error_codes;

namespace {

const std::string kSecret = "integration-secret";

std::vector<std::string> loopback_args(std::vector<std::string> more = {}) {
  std::vector<std::string> a = {"--turn-allow-peer", "127.0.0.0/8",     "--turn-secret", kSecret,
                                "--turn-user",       "alice:alice-pw", "--turn-user",   "bob:bob-pw",
                                "--turn-relay-ports", private_relay_ports()};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TurnClient rest_client(Kind kind, const TurnProcess& server, const std::string& user = "u_1",
                       std::int64_t ttl = 3600) {
  TurnClient c(connect(kind, server));
  const auto name = rest_username(unix_now() + ttl, user);
  c.credentials(name, rest_password(kSecret, name));
  return c;
}

stun::SocketAddress v4(const char* ip, std::uint16_t port) {
  return *stun::SocketAddress::from_string(ip, port);
}

// Allocate, then the relay answers from its relayed address.
void expect_round_trip_with_indications(TurnClient& client) {
  Peer peer;
  const auto alloc = client.allocate();
  ASSERT_TRUE(alloc.ok()) << "code " << alloc.code();
  const auto relayed = client.relayed(alloc);
  EXPECT_EQ(relayed.to_string().substr(0, 10), "127.0.0.1:");
  const auto lifetime = alloc.parsed()->get<stun::Lifetime>();
  ASSERT_TRUE(lifetime);
  EXPECT_EQ(lifetime->value, 600u);

  ASSERT_TRUE(client.create_permission(peer.address()).ok());
  client.send_indication(peer.address(), bytes_of("hello peer"));
  const auto got = peer.receive();
  ASSERT_TRUE(got) << "peer received nothing";
  EXPECT_EQ(got->first, relayed);
  EXPECT_EQ(got->second, bytes_of("hello peer"));

  peer.send_to(relayed, bytes_of("hello client"));
  const auto back = client.receive_data();
  ASSERT_TRUE(back) << "client received no Data indication";
  ASSERT_TRUE(back->peer);
  EXPECT_EQ(*back->peer, peer.address());
  EXPECT_EQ(back->data, bytes_of("hello client"));
}

void expect_round_trip_with_channel(TurnClient& client) {
  Peer peer;
  const auto alloc = client.allocate();
  ASSERT_TRUE(alloc.ok()) << "code " << alloc.code();
  const auto relayed = client.relayed(alloc);
  ASSERT_TRUE(client.channel_bind(0x4001, peer.address()).ok());
  // Odd sizes exercise the stream padding of RFC 8656 §12.5.
  for (const auto* text : {"abcde", "x", "0123456789abcdef", "seven!!"}) {
    client.send_channel_data(0x4001, bytes_of(text));
    const auto got = peer.receive();
    ASSERT_TRUE(got) << "peer received nothing for " << text;
    EXPECT_EQ(got->first, relayed);
    EXPECT_EQ(got->second, bytes_of(text));
    peer.send_to(relayed, bytes_of(std::string(text) + "!"));
    const auto back = client.receive_data();
    ASSERT_TRUE(back) << "client received no ChannelData";
    ASSERT_TRUE(back->channel);
    EXPECT_EQ(*back->channel, 0x4001);
    EXPECT_EQ(back->data, bytes_of(std::string(text) + "!"));
  }
}

}  // namespace

TEST(TurnStun, BindingWithoutAuthOverUdpAndTcp) {
  TurnProcess server(loopback_args());
  for (const auto kind : {Kind::Udp, Kind::Tcp}) {
    TurnClient c(connect(kind, server));
    const auto r = c.plain_request(stun::Method::Binding);
    ASSERT_TRUE(r.ok()) << "code " << r.code();
    const auto mapped = r.parsed()->get<stun::XorMappedAddress>();
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->address, c.transport().local());
    EXPECT_TRUE(stun::verify_fingerprint(*r.parsed()));
  }
}

TEST(TurnStun, UnknownComprehensionRequiredAttributeIs420) {
  TurnProcess server(loopback_args());
  TurnClient c(connect(Kind::Udp, server));
  const std::uint8_t value[4] = {1, 2, 3, 4};
  const auto r = c.plain_request(stun::Method::Binding, [&](stun::Builder& b) {
    b.add_raw(static_cast<stun::AttributeType>(0x7F01), value);
  });
  EXPECT_EQ(r.code(), ec::kUnknownAttribute);
  const auto unknown = r.parsed()->get<stun::UnknownAttributes>();
  ASSERT_TRUE(unknown);
  ASSERT_EQ(unknown->types.size(), 1u);
}

TEST(TurnUdp, SendAndDataIndications) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  expect_round_trip_with_indications(client);
}

TEST(TurnUdp, StaticUserWorksToo) {
  TurnProcess server(loopback_args());
  TurnClient client(connect(Kind::Udp, server));
  client.credentials("alice", "alice-pw");
  expect_round_trip_with_indications(client);
}

TEST(TurnUdp, ChannelData) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  expect_round_trip_with_channel(client);
}

TEST(TurnTcp, ChannelDataAndIndications) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Tcp, server);
  expect_round_trip_with_channel(client);
  auto other = rest_client(Kind::Tcp, server, "u_2");
  expect_round_trip_with_indications(other);
}

TEST(TurnTls, ChannelDataAndIndications) {
  TurnProcess server(loopback_args(), /*tls=*/true);
  auto client = rest_client(Kind::Tls, server);
  expect_round_trip_with_channel(client);
  auto other = rest_client(Kind::Tls, server, "u_2");
  expect_round_trip_with_indications(other);
}

TEST(TurnUdp, NothingFlowsWithoutPermission) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  Peer peer, stranger;
  const auto alloc = client.allocate();
  ASSERT_TRUE(alloc.ok());
  const auto relayed = client.relayed(alloc);
  client.send_indication(peer.address(), bytes_of("no permission"));
  EXPECT_FALSE(peer.receive(300ms));
  peer.send_to(relayed, bytes_of("unsolicited"));
  EXPECT_FALSE(client.receive_data(300ms));
  // ChannelData on an unbound channel is discarded.
  client.send_channel_data(0x4005, bytes_of("unbound"));
  EXPECT_FALSE(peer.receive(300ms));
  // A permission is per IP address: another port of the same IP may send.
  ASSERT_TRUE(client.create_permission(peer.address()).ok());
  stranger.send_to(relayed, bytes_of("same ip"));
  const auto got = client.receive_data();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, bytes_of("same ip"));
}

TEST(TurnUdp, ChannelBindErrors) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  Peer a, b;
  ASSERT_TRUE(client.allocate().ok());
  EXPECT_EQ(client.channel_bind(0x3FFF, a.address()).code(), ec::kBadRequest);
  EXPECT_EQ(client.channel_bind(0x5000, a.address()).code(), ec::kBadRequest);
  ASSERT_TRUE(client.channel_bind(0x4000, a.address()).ok());
  ASSERT_TRUE(client.channel_bind(0x4000, a.address()).ok());  // refresh
  EXPECT_EQ(client.channel_bind(0x4000, b.address()).code(), ec::kBadRequest);
  EXPECT_EQ(client.channel_bind(0x4001, a.address()).code(), ec::kBadRequest);
  const auto missing = client.request(stun::Method::ChannelBind, [](stun::Builder& b) {
    b.add(stun::ChannelNumber{0x4002});
  });
  EXPECT_EQ(missing.code(), ec::kBadRequest);
}

TEST(TurnUdp, AllocateErrors) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  // RFC 8656 §7.2: no REQUESTED-TRANSPORT is 400, TCP is 442.
  EXPECT_EQ(client.request(stun::Method::Allocate).code(), ec::kBadRequest);
  EXPECT_EQ(client.request(stun::Method::Allocate, [](stun::Builder& b) {
                  b.add(stun::RequestedTransport{stun::kProtocolTcp});
                }).code(),
            ec::kUnsupportedTransportProtocol);
  EXPECT_EQ(client.allocate([](stun::Builder& b) {
                  b.add(stun::RequestedAddressFamily{stun::AddressFamily::IPv6});
                }).code(),
            ec::kAddressFamilyNotSupported);
  EXPECT_EQ(client.allocate([](stun::Builder& b) {
                  b.add(stun::EvenPort{}).add(stun::ReservationToken{42});
                }).code(),
            ec::kBadRequest);
  // An unknown token: 508.
  EXPECT_EQ(client.allocate([](stun::Builder& b) { b.add(stun::ReservationToken{42}); }).code(),
            ec::kInsufficientCapacity);
}

TEST(TurnUdp, EvenPortReservationToken) {
  TurnProcess server(loopback_args());
  auto first = rest_client(Kind::Udp, server);
  const auto a = first.allocate([](stun::Builder& b) { b.add(stun::EvenPort{true}); });
  ASSERT_TRUE(a.ok()) << a.code();
  const auto port = first.relayed(a).port;
  EXPECT_EQ(port % 2, 0);
  const auto token = a.parsed()->get<stun::ReservationToken>();
  ASSERT_TRUE(token);
  auto second = rest_client(Kind::Udp, server, "u_2");
  const auto b =
      second.allocate([&](stun::Builder& bb) { bb.add(stun::ReservationToken{token->value}); });
  ASSERT_TRUE(b.ok()) << b.code();
  EXPECT_EQ(second.relayed(b).port, port + 1);
  // DONT-FRAGMENT is supported.
  auto third = rest_client(Kind::Udp, server, "u_3");
  EXPECT_TRUE(third.allocate([](stun::Builder& bb) { bb.add(stun::DontFragment{}); }).ok());
}

TEST(TurnUdp, RefreshAndExpiry) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  ASSERT_TRUE(client.allocate().ok());
  const auto r = client.refresh(1200);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.parsed()->get<stun::Lifetime>()->value, 1200u);
  EXPECT_EQ(client.refresh(99999).parsed()->get<stun::Lifetime>()->value, 3600u);
  // Lifetime 0 deletes; afterwards the allocation is gone (437).
  const auto del = client.refresh(0);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del.parsed()->get<stun::Lifetime>()->value, 0u);
  EXPECT_EQ(client.refresh(600).code(), ec::kAllocationMismatch);
  // A short refresh lets it expire.
  ASSERT_TRUE(client.allocate().ok());
  ASSERT_TRUE(client.refresh(1).ok());
  std::this_thread::sleep_for(1600ms);
  EXPECT_EQ(client.refresh(600).code(), ec::kAllocationMismatch);
  EXPECT_TRUE(client.allocate().ok());
}

TEST(TurnUdp, ShortDefaultLifetimeExpires) {
  TurnProcess server(loopback_args({"--turn-lifetime", "1"}));
  auto client = rest_client(Kind::Udp, server);
  const auto a = client.allocate();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.parsed()->get<stun::Lifetime>()->value, 1u);
  std::this_thread::sleep_for(1600ms);
  EXPECT_EQ(client.create_permission(v4("127.0.0.1", 9)).code(), ec::kAllocationMismatch);
}

TEST(TurnUdp, PortExhaustionIs508AndRecovers) {
  auto args = loopback_args();
  args.back() = single_free_port();
  TurnProcess server(args);
  auto first = rest_client(Kind::Udp, server, "u_1");
  auto second = rest_client(Kind::Udp, server, "u_2");
  ASSERT_TRUE(first.allocate().ok());
  EXPECT_EQ(second.allocate().code(), ec::kInsufficientCapacity);
  ASSERT_TRUE(first.refresh(1).ok());
  std::this_thread::sleep_for(1600ms);  // expires, the port comes back
  EXPECT_TRUE(second.allocate().ok());
}

TEST(TurnAuth, NoAnonymousTurnAndWrongPasswordIs401) {
  TurnProcess server(loopback_args());
  TurnClient anonymous(connect(Kind::Udp, server));
  const auto challenge = anonymous.plain_request(stun::Method::Allocate, [](stun::Builder& b) {
    b.add(stun::RequestedTransport{stun::kProtocolUdp});
  });
  EXPECT_EQ(challenge.code(), ec::kUnauthenticated);
  ASSERT_TRUE(challenge.parsed()->get<stun::Realm>());
  EXPECT_EQ(challenge.parsed()->get<stun::Realm>()->value, "parley");
  EXPECT_TRUE(challenge.parsed()->get<stun::Nonce>());

  TurnClient wrong(connect(Kind::Udp, server));
  wrong.credentials("alice", "not-alice-pw");
  EXPECT_EQ(wrong.allocate().code(), ec::kUnauthenticated);

  TurnClient unknown(connect(Kind::Udp, server));
  unknown.credentials("mallory", "x");
  EXPECT_EQ(unknown.allocate().code(), ec::kUnauthenticated);

  // REST credentials signed with another secret, or expired, are refused.
  TurnClient forged(connect(Kind::Udp, server));
  const auto name = rest_username(unix_now() + 3600, "u_1");
  forged.credentials(name, rest_password("other-secret", name));
  EXPECT_EQ(forged.allocate().code(), ec::kUnauthenticated);
  auto expired = rest_client(Kind::Udp, server, "u_1", -10);
  EXPECT_EQ(expired.allocate().code(), ec::kUnauthenticated);
}

TEST(TurnAuth, StaleNonceIs438) {
  TurnProcess server(loopback_args({"--turn-nonce-ttl", "1"}));
  auto client = rest_client(Kind::Udp, server);
  ASSERT_TRUE(client.allocate().ok());
  std::this_thread::sleep_for(2100ms);
  const auto stale = client.refresh(600);  // learns the new nonce and retries
  EXPECT_TRUE(stale.ok()) << stale.code();
  std::this_thread::sleep_for(2100ms);
  const auto r = client.request(
      stun::Method::Refresh, [](stun::Builder& b) { b.add(stun::Lifetime{600}); }, false);
  EXPECT_EQ(r.code(), ec::kStaleNonce);
  EXPECT_TRUE(r.parsed()->get<stun::Nonce>());
  // A forged nonce is no better.
  client.set_nonce(std::string(48, '0'));
  const auto forged = client.request(
      stun::Method::Refresh, [](stun::Builder& b) { b.add(stun::Lifetime{600}); }, false);
  EXPECT_EQ(forged.code(), ec::kStaleNonce);
}

TEST(TurnAuth, OverQuotaIs486EvenWithManyUsernames) {
  TurnProcess server(loopback_args({"--turn-user-quota", "2"}));
  std::vector<TurnClient> clients;
  // One user, a new REST username each time (as /api/v1/ice-servers mints).
  for (int i = 0; i < 3; ++i) {
    TurnClient c(connect(Kind::Udp, server));
    const auto name = rest_username(unix_now() + 3600 + i, "u_quota");
    c.credentials(name, rest_password(kSecret, name));
    clients.push_back(std::move(c));
  }
  EXPECT_TRUE(clients[0].allocate().ok());
  EXPECT_TRUE(clients[1].allocate().ok());
  EXPECT_EQ(clients[2].allocate().code(), ec::kAllocationQuotaReached);
  // Another user is not affected; freeing one lets the first user in again.
  auto other = rest_client(Kind::Udp, server, "u_other");
  EXPECT_TRUE(other.allocate().ok());
  ASSERT_TRUE(clients[0].refresh(0).ok());
  EXPECT_TRUE(clients[2].allocate().ok());
}

TEST(TurnAuth, WrongUsernameOnAnAllocationIs441) {
  TurnProcess server(loopback_args());
  auto shared = connect(Kind::Udp, server);
  TurnClient client(std::move(shared));
  client.credentials("alice", "alice-pw");
  ASSERT_TRUE(client.allocate().ok());
  // Same 5-tuple, valid credentials of another user.
  client.credentials("bob", "bob-pw");
  EXPECT_EQ(client.refresh(600).code(), ec::kWrongCredentials);
  EXPECT_EQ(client.create_permission(v4("127.0.0.1", 9)).code(), ec::kWrongCredentials);
  EXPECT_EQ(client.channel_bind(0x4000, v4("127.0.0.1", 9)).code(), ec::kWrongCredentials);
}

TEST(TurnAuth, AllocationMismatchIs437) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  EXPECT_EQ(client.refresh(600).code(), ec::kAllocationMismatch);
  EXPECT_EQ(client.create_permission(v4("127.0.0.1", 9)).code(), ec::kAllocationMismatch);
  ASSERT_TRUE(client.allocate().ok());
  EXPECT_EQ(client.allocate().code(), ec::kAllocationMismatch);  // a second one, new transaction
}

TEST(TurnPolicy, DeniedPeersAre403WithoutAllowList) {
  TurnProcess server({"--turn-secret", kSecret, "--turn-relay-ports", private_relay_ports()});
  auto client = rest_client(Kind::Udp, server);
  ASSERT_TRUE(client.allocate().ok());
  const auto v6 = [](const char* ip) { return *stun::SocketAddress::from_string(ip, 5000); };
  for (const auto& peer : {v4("127.0.0.1", 5000), v6("::ffff:127.0.0.1"), v6("::127.0.0.1"),
                           v4("0.0.0.0", 5000), v6("::"), v6("::1"), v4("10.0.0.1", 5000),
                           v4("169.254.169.254", 80), v4("192.168.1.1", 5000),
                           v4("100.64.0.1", 5000), v6("fd00::1"), v6("fe80::1"),
                           v4("224.0.0.1", 5000), v4("255.255.255.255", 5000),
                           v4("198.18.0.1", 5000), v6("2001:db8::1")}) {
    EXPECT_EQ(client.create_permission(peer).code(), ec::kForbidden) << peer;
    EXPECT_EQ(client.channel_bind(0x4000, peer).code(), ec::kForbidden) << peer;
  }
  // A public IPv6 peer on an IPv4 relay: family mismatch.
  EXPECT_EQ(client.create_permission(v6("2606:4700::1")).code(), ec::kPeerAddressFamilyMismatch);
  EXPECT_TRUE(client.create_permission(v4("8.8.8.8", 53)).ok());
}

TEST(TurnPolicy, TheServersListeningAddressIsNotAPeer) {
  TurnProcess server(loopback_args());
  auto client = rest_client(Kind::Udp, server);
  ASSERT_TRUE(client.allocate().ok());
  const auto listen = stun::from_endpoint(server.udp_endpoint());
  EXPECT_EQ(client.channel_bind(0x4000, listen).code(), ec::kForbidden);
  EXPECT_EQ(client.create_permission(listen).code(), ec::kForbidden);
}

// Both parties of a call behind restrictive NATs: each one's peer is the
// other's relayed address on this same server.
TEST(TurnRelay, TwoAllocationsOnOneServerRelayToEachOther) {
  TurnProcess server(loopback_args());
  auto alice = rest_client(Kind::Udp, server, "u_alice");
  auto bob = rest_client(Kind::Tcp, server, "u_bob");
  const auto a = alice.allocate();
  const auto b = bob.allocate();
  ASSERT_TRUE(a.ok() && b.ok());
  const auto alice_relayed = alice.relayed(a);
  const auto bob_relayed = bob.relayed(b);
  ASSERT_TRUE(alice.create_permission(bob_relayed).ok());
  ASSERT_TRUE(bob.channel_bind(0x4001, alice_relayed).ok());

  alice.send_indication(bob_relayed, bytes_of("to bob"));
  const auto at_bob = bob.receive_data();
  ASSERT_TRUE(at_bob) << "bob received nothing";
  EXPECT_EQ(at_bob->channel, std::optional<std::uint16_t>(0x4001));
  EXPECT_EQ(at_bob->data, bytes_of("to bob"));

  bob.send_channel_data(0x4001, bytes_of("to alice"));
  const auto at_alice = alice.receive_data();
  ASSERT_TRUE(at_alice) << "alice received nothing";
  ASSERT_TRUE(at_alice->peer);
  EXPECT_EQ(*at_alice->peer, bob_relayed);
  EXPECT_EQ(at_alice->data, bytes_of("to alice"));
}

TEST(TurnRobustness, HostileInputDoesNotStopTheServer) {
  TurnProcess server(loopback_args());
  {
    auto raw = connect_udp(server.udp_endpoint());
    const std::vector<Bytes> junk = {
        {},
        {0x00},
        {0x00, 0x01, 0x00, 0x00},
        {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
        {0x40, 0x00, 0xFF, 0xFF, 1, 2},
        {0x7F, 0xFF, 0x00, 0x01, 1},
        Bytes(9000, 0x00),
        Bytes(1500, 0xFF),
    };
    for (const auto& j : junk) raw->send(j);
    // A truncated attribute inside an otherwise valid header.
    Bytes bad = {0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                 12, 0x00, 0x19, 0x00, 0x40, 0x11, 0, 0, 0};
    raw->send(bad);
  }
  {
    TurnClient tcp(connect(Kind::Tcp, server));
    tcp.transport().send(Bytes(64, 0xC3));  // not STUN: the server closes
    TurnClient tcp2(connect(Kind::Tcp, server));
    tcp2.transport().send(Bytes{0x00, 0x01, 0xFF});  // a partial header, then silence
  }
  // Everyone else is still served.
  TurnClient c(connect(Kind::Udp, server));
  EXPECT_TRUE(c.plain_request(stun::Method::Binding).ok());
  auto t = rest_client(Kind::Udp, server);
  expect_round_trip_with_channel(t);
  EXPECT_TRUE(server.running());
}
