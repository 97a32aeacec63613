#include "rtc/sdpfrag.hpp"

#include <gtest/gtest.h>

#include "stun/address.hpp"

namespace parley::rtc {
namespace {

TEST(SdpFrag, ParsesRestartFragment) {
  // The shape of RFC 8840 §9's example, CRLF and LF mixed.
  auto f = parse_sdpfrag(
      "a=ice-options:trickle ice2\r\n"
      "a=group:BUNDLE 0 1\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
      "a=mid:0\r\n"
      "a=ice-ufrag:EsAw\n"
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
      "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
      "a=end-of-candidates\r\n");
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->ice.ufrag, "EsAw");
  EXPECT_EQ(f->ice.pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
  ASSERT_EQ(f->mids.size(), 1u);
  EXPECT_EQ(f->mids[0], "0");
  ASSERT_EQ(f->candidates.size(), 1u);
  EXPECT_EQ(f->candidates[0], "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host");
  EXPECT_TRUE(f->end_of_candidates);
}

TEST(SdpFrag, RequiresValidCredentials) {
  EXPECT_FALSE(parse_sdpfrag(""));
  EXPECT_FALSE(parse_sdpfrag("a=ice-ufrag:EsAw\r\n"));
  EXPECT_FALSE(parse_sdpfrag("a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"));
  EXPECT_FALSE(parse_sdpfrag("a=ice-ufrag:E\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"));  // < 4
  EXPECT_FALSE(parse_sdpfrag("a=ice-ufrag:EsAw\r\na=ice-pwd:short\r\n"));                  // < 22
  EXPECT_FALSE(parse_sdpfrag("a=ice-ufrag:Es-w\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"));
  EXPECT_FALSE(parse_sdpfrag("a=ice-ufrag:EsAw\r\na=ice-ufrag:EsAx\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"));
  EXPECT_FALSE(parse_sdpfrag("hello\r\na=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"));
}

TEST(SdpFrag, WritesOurRestartAnswer) {
  const auto address = stun::SocketAddress::from_string("127.0.0.1", 40000);
  ASSERT_TRUE(address);
  const auto c = ice::make_host_candidate(*address, ice::TransportProtocol::Udp);
  const ice::IceCredentials creds{"abcdEFGH", "0123456789abcdefghijklmn"};
  const auto text = write_sdpfrag(creds, "0", std::span(&c, 1));
  EXPECT_TRUE(text.starts_with("a=ice-lite\r\na=ice-ufrag:abcdEFGH\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=mid:0\r\na=candidate:"));
  EXPECT_NE(text.find(" 127.0.0.1 40000 typ host\r\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("a=end-of-candidates\r\n"));
  // It reads back.
  auto back = parse_sdpfrag(text);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->ice, creds);
  EXPECT_EQ(back->candidates.size(), 1u);
}

}  // namespace
}  // namespace parley::rtc
