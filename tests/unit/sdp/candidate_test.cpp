// ICE candidates (RFC 8839 §5.1), on their own as trickled by a browser.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

TEST(Candidate, HostUdp) {
  auto c = parse_candidate("candidate:1319658411 1 udp 2122194687 192.0.2.2 41081 typ host generation 0 network-id 1");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->foundation, "1319658411");
  EXPECT_EQ(c->component, 1);
  EXPECT_EQ(c->transport, "udp");
  EXPECT_TRUE(c->is_udp());
  EXPECT_EQ(c->priority, 2122194687u);
  EXPECT_EQ(c->address, "192.0.2.2");
  EXPECT_EQ(c->port, 41081);
  EXPECT_EQ(c->type, CandidateType::Host);
  EXPECT_FALSE(c->related_address.has_value());
  EXPECT_FALSE(c->related_port.has_value());
  EXPECT_EQ(c->extensions, (std::vector<Parameter>{{"generation", "0"}, {"network-id", "1"}}));
  EXPECT_EQ(c->extension("network-id"), "1");
  EXPECT_FALSE(c->extension("ufrag").has_value());
}

TEST(Candidate, ServerReflexiveWithUfrag) {
  const std::string text =
      "candidate:842163049 1 udp 1677729535 198.51.100.7 61234 typ srflx raddr 192.0.2.2 rport 41081 generation 0 "
      "ufrag g8oL network-cost 999";
  auto c = parse_candidate("a=" + text);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->type, CandidateType::ServerReflexive);
  EXPECT_EQ(c->related_address, "192.0.2.2");
  EXPECT_EQ(c->related_port, 41081);
  EXPECT_EQ(c->extension("ufrag"), "g8oL");
  EXPECT_EQ(c->extension("network-cost"), "999");
  EXPECT_EQ(to_string(*c), text);
}

TEST(Candidate, TcpIpv6MdnsAndRelay) {
  auto tcp = parse_candidate("candidate:2070181599 1 tcp 1518285567 fd00::2 9 typ host tcptype active generation 0");
  ASSERT_TRUE(tcp.has_value()) << tcp.error();
  EXPECT_TRUE(tcp->is_tcp());
  EXPECT_EQ(tcp->address, "fd00::2");
  EXPECT_EQ(tcp->tcp_type, "active");
  EXPECT_EQ(tcp->extensions, std::vector<Parameter>{(Parameter{"generation", "0"})});

  auto mdns = parse_candidate("candidate:1 1 UDP 2122260223 0f5a3c7e-8a51-4b1e-9fd6-3e1c0b1f2a55.local 54400 typ host");
  ASSERT_TRUE(mdns.has_value()) << mdns.error();
  EXPECT_EQ(mdns->address, "0f5a3c7e-8a51-4b1e-9fd6-3e1c0b1f2a55.local");
  EXPECT_TRUE(mdns->is_udp());

  auto relay = parse_candidate("2 2 udp 16777215 203.0.113.5 3478 typ relay raddr 0.0.0.0 rport 0");
  ASSERT_TRUE(relay.has_value()) << relay.error();
  EXPECT_EQ(relay->component, 2);
  EXPECT_EQ(relay->type, CandidateType::Relayed);
  EXPECT_EQ(to_string(relay->type), "relay");

  auto prflx = parse_candidate("candidate:3 1 udp 1 192.0.2.9 1 typ prflx");
  ASSERT_TRUE(prflx.has_value());
  EXPECT_EQ(prflx->type, CandidateType::PeerReflexive);

  auto other = parse_candidate("candidate:3 1 udp 1 192.0.2.9 1 typ future");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->type, CandidateType::Other);
  EXPECT_EQ(other->other_type, "future");
  EXPECT_EQ(to_string(*other), "candidate:3 1 udp 1 192.0.2.9 1 typ future");
}

TEST(Candidate, BuildAndWrite) {
  Candidate c;
  c.foundation = "abc+/";
  c.priority = 100;
  c.address = "192.0.2.1";
  c.port = 3478;
  c.type = CandidateType::ServerReflexive;
  c.related_address = "10.0.0.1";
  c.related_port = 5000;
  c.extensions.push_back({"generation", "0"});
  EXPECT_EQ(to_string(c), "candidate:abc+/ 1 udp 100 192.0.2.1 3478 typ srflx raddr 10.0.0.1 rport 5000 generation 0");
  auto back = parse_candidate(to_string(c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, c);
}

TEST(Candidate, Malformed) {
  struct Case {
    const char* text;
    const char* what;
  };
  const Case cases[] = {
      {"", "at least 8 fields"},
      {"candidate:1 1 udp 1 192.0.2.1 5000 typ", "at least 8 fields"},
      {"candidate:1 0 udp 1 192.0.2.1 5000 typ host", "component"},
      {"candidate:1 257 udp 1 192.0.2.1 5000 typ host", "component"},
      {"candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", "priority"},
      {"candidate:1 1 udp 1 192.0.2.1 65536 typ host", "port"},
      {"candidate:1 1 udp 1 192.0.2.1 -1 typ host", "port"},
      {"candidate:1 1 udp 1 192.0.2.1 5000 typo host", "expected \"typ\""},
      {"candidate:1 1 udp 1 192.0.2.1 5000 typ host generation", "has no value"},
      {"candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 5000 typ host", "foundation"},
      {"candidate:a$b 1 udp 1 192.0.2.1 5000 typ host", "foundation"},
      {"candidate:1 1 u\"dp 1 192.0.2.1 5000 typ host", "transport"},
      {"candidate:1 1 udp 1 192.0.2.1/24 5000 typ host", "address"},
      {"candidate:1 1 udp 1 192.0.2.1 5000 typ host raddr 1.2.3.4 raddr 1.2.3.4", "raddr given twice"},
      {"candidate:1 1 udp 1 192.0.2.1 5000 typ srflx rport x", "rport"},
      {"candidate:1 1 udp 1 192.0.2.1 5000 typ host tcptype \"", "tcptype"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_candidate(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed.error().line, 0u);
    EXPECT_NE(parsed.error().message.find(c.what), std::string::npos) << c.text << " -> " << parsed.error();
  }
  EXPECT_FALSE(parse_candidate(std::string(kMaxCandidateSize + 1, '1')).has_value());
}

}  // namespace
}  // namespace parley::sdp::test
