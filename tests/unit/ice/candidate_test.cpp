#include "ice/candidate.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::ice {
namespace {

using test::v4;

TEST(CandidateTest, PriorityFormulaOfRfc8445Section5_1_2_1) {
  EXPECT_EQ(compute_priority(126, 65535, 1), 2130706431u);
  EXPECT_EQ(compute_priority(126, 65535, 2), 2130706430u);
  EXPECT_EQ(compute_priority(100, 0, 1), (100u << 24) + 255u);
  EXPECT_EQ(compute_priority(0, 0, 256), 0u);
  EXPECT_EQ(type_preference(CandidateType::Host), 126u);
  EXPECT_EQ(type_preference(CandidateType::PeerReflexive), 110u);
  EXPECT_EQ(type_preference(CandidateType::ServerReflexive), 100u);
  EXPECT_EQ(type_preference(CandidateType::Relayed), 0u);
}

TEST(CandidateTest, TcpLocalPreferenceOfRfc6544Section4_2) {
  EXPECT_EQ(tcp_local_preference(TcpType::Active, 0), 6u << 13);
  EXPECT_EQ(tcp_local_preference(TcpType::Passive, 8191), (4u << 13) + 8191u);
  EXPECT_EQ(tcp_local_preference(TcpType::SimultaneousOpen, 99999), (2u << 13) + 8191u);
}

TEST(CandidateTest, UdpHostCandidateLine) {
  const auto c = make_host_candidate(v4(192, 0, 2, 10, 40000), TransportProtocol::Udp);
  EXPECT_EQ(c.priority, 2130706431u);
  EXPECT_FALSE(c.tcp_type);
  EXPECT_EQ(to_sdp_candidate(c),
            "candidate:" + c.foundation + " 1 udp 2130706431 192.0.2.10 40000 typ host");
}

TEST(CandidateTest, TcpPassiveHostCandidateLineRanksBelowUdp) {
  const auto addr = v4(192, 0, 2, 10, 443);
  const auto tcp = make_host_candidate(addr, TransportProtocol::Tcp);
  const auto udp = make_host_candidate(addr, TransportProtocol::Udp);
  EXPECT_EQ(tcp.priority, (126u << 24) + (((4u << 13) + 8191u) << 8) + 255u);
  EXPECT_EQ(tcp.priority, 2124414975u);
  EXPECT_LT(tcp.priority, udp.priority);
  EXPECT_EQ(tcp.tcp_type, TcpType::Passive);
  EXPECT_EQ(to_sdp_candidate(tcp), "candidate:" + tcp.foundation +
                                       " 1 tcp 2124414975 192.0.2.10 443 typ host tcptype passive");
  EXPECT_NE(tcp.foundation, udp.foundation);  // RFC 8445 §5.1.1.3: transport differs
}

TEST(CandidateTest, Ipv6WithoutBracketsAndLowerLocalPreference) {
  const auto addr = *stun::SocketAddress::from_string("2001:db8::1", 40000);
  const auto c = make_host_candidate(addr, TransportProtocol::Udp, 65534);
  EXPECT_EQ(to_sdp_candidate(c),
            "candidate:" + c.foundation + " 1 udp 2130706175 2001:db8::1 40000 typ host");
}

TEST(CandidateTest, FoundationDependsOnTypeBaseAndProtocolNotPort) {
  const auto a = compute_foundation(CandidateType::Host, v4(192, 0, 2, 10, 1), TransportProtocol::Udp);
  const auto b = compute_foundation(CandidateType::Host, v4(192, 0, 2, 10, 2), TransportProtocol::Udp);
  const auto c = compute_foundation(CandidateType::Host, v4(192, 0, 2, 11, 1), TransportProtocol::Udp);
  const auto d =
      compute_foundation(CandidateType::ServerReflexive, v4(192, 0, 2, 10, 1), TransportProtocol::Udp);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_FALSE(a.empty());
  EXPECT_LE(a.size(), 32u);
  for (char ch : a) EXPECT_TRUE(ch >= '0' && ch <= '9');
}

}  // namespace
}  // namespace parley::ice
