#include "turn/peer_policy.hpp"

#include <gtest/gtest.h>

using parley::net::Cidr;
using parley::net::IpAddress;
using parley::turn::PeerPolicy;

namespace {

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress{});
}

struct Case {
  const char* address;
  bool allowed;
};

}  // namespace

// Deny by default, including every known way to spell a denied address.
TEST(PeerPolicy, DefaultTable) {
  const PeerPolicy policy;
  const Case cases[] = {
      // Public unicast passes.
      {"8.8.8.8", true},
      {"1.1.1.1", true},
      {"2606:4700:4700::1111", true},
      {"::ffff:8.8.8.8", true},  // mapped public v4 is that v4
      {"2002:808:808::1", true},  // 6to4 of a public v4
      // Unspecified and loopback in every form.
      {"0.0.0.0", false},
      {"0.1.2.3", false},
      {"::", false},
      {"::1", false},
      {"127.0.0.1", false},
      {"127.255.255.254", false},
      {"::ffff:127.0.0.1", false},  // IPv4-mapped
      {"::127.0.0.1", false},       // IPv4-compatible
      {"::ffff:0.0.0.0", false},
      {"64:ff9b::7f00:1", false},   // NAT64 of 127.0.0.1
      {"2002:7f00:1::", false},     // 6to4 of 127.0.0.1
      {"2002:a00:1::", false},      // 6to4 of 10.0.0.1
      {"::ffff:10.1.2.3", false},
      {"::ffff:169.254.169.254", false},
      // Link-local, cloud metadata.
      {"169.254.169.254", false},
      {"169.254.0.1", false},
      {"fe80::1", false},
      {"febf:ffff::1", false},  // end of fe80::/10
      // RFC 1918 and the edges of the non-byte-aligned /12.
      {"10.0.0.1", false},
      {"192.168.1.1", false},
      {"172.15.255.255", true},
      {"172.16.0.0", false},
      {"172.31.255.255", false},
      {"172.32.0.0", true},
      // CGNAT 100.64/10 edges.
      {"100.63.255.255", true},
      {"100.64.0.0", false},
      {"100.127.255.255", false},
      {"100.128.0.0", true},
      // Benchmarking 198.18/15 edges.
      {"198.17.255.255", true},
      {"198.18.0.0", false},
      {"198.19.255.255", false},
      {"198.20.0.0", true},
      // Documentation.
      {"192.0.2.1", false},
      {"198.51.100.7", false},
      {"203.0.113.9", false},
      {"2001:db8::1", false},
      {"2001:db8:ffff:ffff::1", false},
      {"2001:db9::1", true},
      // Multicast, reserved, broadcast.
      {"224.0.0.1", false},
      {"239.255.255.255", false},
      {"240.0.0.1", false},
      {"255.255.255.255", false},
      {"ff02::1", false},
      // ULA fc00::/7 (non-byte-aligned) and its edges.
      {"fc00::1", false},
      {"fd12:3456::1", false},
      {"fbff:ffff::1", false},  // outside 2000::/3 anyway
      {"fe00::1", false},
      // Teredo and other IETF blocks.
      {"2001::1", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(policy.allowed(ip(c.address)), c.allowed) << c.address;
}

TEST(PeerPolicy, OperatorAllowListCoversEveryForm) {
  const PeerPolicy policy({*Cidr::parse("127.0.0.0/8")});
  EXPECT_TRUE(policy.allowed(ip("127.0.0.1")));
  EXPECT_TRUE(policy.allowed(ip("127.1.2.3")));
  EXPECT_TRUE(policy.allowed(ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(policy.allowed(ip("::127.0.0.1")));
  // Still denied: what the allow list does not name.
  EXPECT_FALSE(policy.allowed(ip("::1")));
  EXPECT_FALSE(policy.allowed(ip("0.0.0.0")));
  EXPECT_FALSE(policy.allowed(ip("::")));
  EXPECT_FALSE(policy.allowed(ip("10.0.0.1")));
}

TEST(PeerPolicy, NonAlignedIpv6AllowRange) {
  const PeerPolicy policy({*Cidr::parse("fd00:1234:5678::/46")});
  EXPECT_TRUE(policy.allowed(ip("fd00:1234:5678::1")));
  EXPECT_TRUE(policy.allowed(ip("fd00:1234:567b:ffff::1")));  // last of the /46
  EXPECT_FALSE(policy.allowed(ip("fd00:1234:567c::1")));     // first after it
  EXPECT_FALSE(policy.allowed(ip("fd00:1234:5677:ffff::1")));
}

TEST(PeerPolicy, ServerOwnAddressesAreNeverPeers) {
  PeerPolicy policy({*Cidr::parse("127.0.0.0/8")});
  policy.add_self(ip("127.0.0.1"), 3478, 3478);
  policy.add_self(ip("127.0.0.1"), 50000, 50010);
  EXPECT_FALSE(policy.allowed(ip("127.0.0.1"), 3478));
  EXPECT_FALSE(policy.allowed(ip("::ffff:127.0.0.1"), 3478));
  EXPECT_FALSE(policy.allowed(ip("127.0.0.1"), 50005));
  EXPECT_TRUE(policy.allowed(ip("127.0.0.1"), 50011));
  EXPECT_TRUE(policy.allowed(ip("127.0.0.2"), 3478));
  EXPECT_TRUE(policy.is_self(ip("127.0.0.1"), 50000));
}

TEST(Cidr, ParseAndContains) {
  struct C {
    const char* cidr;
    const char* address;
    bool in;
  };
  const C cases[] = {
      {"10.1.2.0/23", "10.1.3.255", true},
      {"10.1.2.0/23", "10.1.4.0", false},
      {"10.1.3.7/23", "10.1.2.1", true},  // host bits ignored
      {"0.0.0.0/0", "8.8.8.8", true},
      {"0.0.0.0/0", "::1", false},  // families never mix
      {"192.0.2.1", "192.0.2.1", true},
      {"192.0.2.1", "192.0.2.2", false},
      {"100.64.0.0/10", "100.127.0.1", true},
      {"100.64.0.0/10", "100.128.0.1", false},
      {"fc00::/7", "fdff::1", true},
      {"fc00::/7", "fe00::1", false},
      {"2001:db8::/33", "2001:db8:7fff::1", true},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"::/0", "2001::1", true},
  };
  for (const auto& c : cases) {
    const auto cidr = Cidr::parse(c.cidr);
    ASSERT_TRUE(cidr) << c.cidr;
    EXPECT_EQ(cidr->contains(ip(c.address)), c.in) << c.cidr << " " << c.address;
  }
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "nothing/8",
                          "10.0.0.0/8/8", "10.0.0.0/-1"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
  EXPECT_EQ(Cidr::parse("10.1.3.7/23")->to_string(), "10.1.2.0/23");
}

TEST(Canonicalize, EmbeddedIpv4Forms) {
  EXPECT_EQ(parley::net::canonicalize(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
  EXPECT_EQ(parley::net::canonicalize(ip("::1.2.3.4")), ip("1.2.3.4"));
  EXPECT_EQ(parley::net::canonicalize(ip("64:ff9b::1.2.3.4")), ip("1.2.3.4"));
  EXPECT_EQ(parley::net::canonicalize(ip("2002:102:304::")), ip("1.2.3.4"));
  EXPECT_EQ(parley::net::canonicalize(ip("::1")), ip("::1"));
  EXPECT_EQ(parley::net::canonicalize(ip("::")), ip("::"));
  EXPECT_EQ(parley::net::canonicalize(ip("2001:db8::1")), ip("2001:db8::1"));
}

TEST(HostPort, Parse) {
  auto hp = parley::net::parse_host_port("127.0.0.1:3478");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 3478);
  hp = parley::net::parse_host_port("[::1]:0");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  for (const char* bad : {"", ":1", "host", "1.2.3.4:65536", "::1:80", "1.2.3.4:x"})
    EXPECT_FALSE(parley::net::parse_host_port(bad)) << bad;
}
