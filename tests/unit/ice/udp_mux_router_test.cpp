#include "ice/udp_mux_router.hpp"

#include <gtest/gtest.h>

#include "ice/ice_checker.hpp"
#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::ice {
namespace {

using test::build_check;
using test::CheckSpec;
using test::v4;

const IceCredentials kBrowser{"brws", "browserPassword+/1234567"};

std::vector<std::uint8_t> check_to(std::string_view local_ufrag) {
  CheckSpec spec;
  spec.username = std::string(local_ufrag) + ":" + kBrowser.ufrag;
  spec.pwd = "whateverPasswordWhatever";
  return build_check(spec);
}

// The first byte of a DTLS record (RFC 7983: 20-63) and of RTP (128-191).
const std::vector<std::uint8_t> kDtls = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
const std::vector<std::uint8_t> kRtp = {0x80, 0x6F, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1};

class UdpMuxRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_.add_transport(1, "ufragOfTransport1"));
    ASSERT_TRUE(router_.add_transport(2, "ufragOfTransport2"));
  }

  UdpMuxRouter router_;
  stun::SocketAddress wifi_ = v4(203, 0, 113, 7, 51000);
  stun::SocketAddress lte_ = v4(192, 0, 2, 99, 62000);
};

TEST_F(UdpMuxRouterTest, StunRoutesByLocalUfragFromAnyAddress) {
  EXPECT_EQ(router_.route(check_to("ufragOfTransport1"), wifi_), 1u);
  EXPECT_EQ(router_.route(check_to("ufragOfTransport2"), wifi_), 2u);
  EXPECT_EQ(router_.route(check_to("ufragOfTransport2"), lte_), 2u);
}

TEST_F(UdpMuxRouterTest, ChecksFromOurOwnCheckerRouteToo) {
  IceChecker checker(kBrowser, IceCredentials{"ufragOfTransport1", "serverPassword0123456789"});
  const auto request = checker.build_request(wifi_, 1, true);
  ASSERT_TRUE(request);
  EXPECT_EQ(router_.route(request->bytes, wifi_), 1u);
  EXPECT_EQ(stun_local_ufrag(request->bytes), "ufragOfTransport1");
}

TEST_F(UdpMuxRouterTest, NonStunRoutesByAddressOnlyAfterSelection) {
  EXPECT_FALSE(router_.route(kDtls, wifi_));
  ASSERT_TRUE(router_.set_selected_address(1, wifi_));
  EXPECT_EQ(router_.route(kDtls, wifi_), 1u);
  EXPECT_EQ(router_.route(kRtp, wifi_), 1u);
  EXPECT_FALSE(router_.route(kRtp, lte_));
  EXPECT_FALSE(router_.set_selected_address(99, lte_));
}

TEST_F(UdpMuxRouterTest, AddressChangeMovesTheRoute) {
  ASSERT_TRUE(router_.set_selected_address(1, wifi_));
  ASSERT_TRUE(router_.set_selected_address(1, lte_));  // browser moved
  EXPECT_EQ(router_.route(kRtp, lte_), 1u);
  EXPECT_FALSE(router_.route(kRtp, wifi_));
  EXPECT_EQ(router_.address_count(), 1u);
  ASSERT_TRUE(router_.set_selected_address(1, lte_));  // idempotent
  EXPECT_EQ(router_.address_count(), 1u);
}

TEST_F(UdpMuxRouterTest, AnAddressBelongsToOneTransport) {
  ASSERT_TRUE(router_.set_selected_address(1, wifi_));
  ASSERT_TRUE(router_.set_selected_address(2, wifi_));
  EXPECT_EQ(router_.route(kRtp, wifi_), 2u);
  EXPECT_EQ(router_.address_count(), 1u);
  // Transport 1 can take a new address without disturbing 2.
  ASSERT_TRUE(router_.set_selected_address(1, lte_));
  EXPECT_EQ(router_.route(kRtp, wifi_), 2u);
  EXPECT_EQ(router_.route(kRtp, lte_), 1u);
}

TEST_F(UdpMuxRouterTest, RemoveForgetsUfragAndAddress) {
  ASSERT_TRUE(router_.set_selected_address(1, wifi_));
  router_.remove_transport(1);
  EXPECT_FALSE(router_.route(check_to("ufragOfTransport1"), wifi_));
  EXPECT_FALSE(router_.route(kRtp, wifi_));
  EXPECT_EQ(router_.transport_count(), 1u);
  EXPECT_EQ(router_.ufrag_count(), 1u);
  EXPECT_EQ(router_.address_count(), 0u);
  router_.remove_transport(1);  // twice: harmless
  EXPECT_EQ(router_.route(check_to("ufragOfTransport2"), wifi_), 2u);
  // The ufrag can be reused.
  EXPECT_TRUE(router_.add_transport(3, "ufragOfTransport1"));
}

TEST_F(UdpMuxRouterTest, IceRestartKeepsOnePreviousUfrag) {
  ASSERT_TRUE(router_.set_local_ufrag(1, "secondUfragOf1"));
  EXPECT_EQ(router_.route(check_to("secondUfragOf1"), wifi_), 1u);
  EXPECT_EQ(router_.route(check_to("ufragOfTransport1"), wifi_), 1u);
  ASSERT_TRUE(router_.set_local_ufrag(1, "thirdUfragOf1"));
  EXPECT_FALSE(router_.route(check_to("ufragOfTransport1"), wifi_));
  EXPECT_EQ(router_.route(check_to("secondUfragOf1"), wifi_), 1u);
  EXPECT_EQ(router_.route(check_to("thirdUfragOf1"), wifi_), 1u);
  EXPECT_EQ(router_.ufrag_count(), 3u);  // two for 1, one for 2
  EXPECT_FALSE(router_.set_local_ufrag(1, "ufragOfTransport2"));  // taken by 2
  EXPECT_FALSE(router_.set_local_ufrag(42, "freshUfrag"));         // unknown transport
  router_.remove_transport(1);
  EXPECT_EQ(router_.ufrag_count(), 1u);
}

TEST_F(UdpMuxRouterTest, RegistrationRules) {
  EXPECT_FALSE(router_.add_transport(1, "anotherUfrag"));       // id taken
  EXPECT_FALSE(router_.add_transport(3, "ufragOfTransport1"));  // ufrag taken
  EXPECT_FALSE(router_.add_transport(3, "abc"));                // too short
  EXPECT_FALSE(router_.add_transport(3, "has:colon"));          // not ice-chars
  UdpMuxRouter tiny(1);
  EXPECT_TRUE(tiny.add_transport(1, "aaaa"));
  EXPECT_FALSE(tiny.add_transport(2, "bbbb"));
}

TEST_F(UdpMuxRouterTest, HostileInputIsDroppedWithoutStateGrowth) {
  const auto transports = router_.transport_count();
  const auto ufrags = router_.ufrag_count();
  const auto addresses = router_.address_count();

  // No USERNAME.
  CheckSpec no_username;
  no_username.pwd = "x";
  EXPECT_FALSE(router_.route(build_check(no_username), wifi_));
  // Unknown ufrag, and thousands of distinct ones.
  for (int i = 0; i < 2000; ++i) {
    EXPECT_FALSE(router_.route(check_to("unknownUfrag" + std::to_string(i)), v4(10, 0, 0, 1, 1000 + i)));
  }
  // Usernames too long for the ufrag rules (300 chars) and for USERNAME (600 bytes).
  EXPECT_FALSE(router_.route(check_to(std::string(300, 'u')), wifi_));
  {
    stun::Builder b(stun::Method::Binding, stun::MessageClass::Request, stun::TransactionId::random());
    const std::vector<std::uint8_t> huge(600, 'u');
    b.add_raw(stun::AttributeType::Username, huge).add_fingerprint();
    EXPECT_FALSE(router_.route(*b.release(), wifi_));
  }
  // Username with no ':' or a non-ice-char ufrag, STUN-looking garbage, empty.
  EXPECT_FALSE(router_.route(check_to(""), wifi_));
  {
    CheckSpec spec;
    spec.username = "ufragOfTransport1";  // no ':'
    EXPECT_FALSE(router_.route(build_check(spec), wifi_));
  }
  EXPECT_FALSE(router_.route(check_to("ufrag OfTransport1"), wifi_));
  const std::vector<std::uint8_t> truncated = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42};
  EXPECT_FALSE(router_.route(truncated, wifi_));
  auto corrupt = check_to("ufragOfTransport1");
  corrupt[3] = 0xF0;  // length no longer matches
  EXPECT_FALSE(router_.route(corrupt, wifi_));
  EXPECT_FALSE(router_.route({}, wifi_));
  // Non-STUN from unknown addresses.
  for (int i = 0; i < 2000; ++i) EXPECT_FALSE(router_.route(kRtp, v4(10, 0, 1, 1, 1000 + i)));

  EXPECT_EQ(router_.transport_count(), transports);
  EXPECT_EQ(router_.ufrag_count(), ufrags);
  EXPECT_EQ(router_.address_count(), addresses);
}

TEST(SocketAddressHashTest, EqualAddressesHashEqual) {
  auto a = v4(192, 0, 2, 1, 5);
  auto b = a;
  b.ip[10] = 0x55;  // stray byte past the IPv4 address: still equal
  EXPECT_EQ(a, b);
  EXPECT_EQ(SocketAddressHash{}(a), SocketAddressHash{}(b));
  EXPECT_NE(SocketAddressHash{}(a), SocketAddressHash{}(v4(192, 0, 2, 1, 6)));
}

}  // namespace
}  // namespace parley::ice
