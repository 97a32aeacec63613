// SocketAddress, the two address encodings, and the asio conversions.

#include "stun/address.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <sstream>

#include "stun/asio_endpoint.hpp"

namespace parley::stun {
namespace {

TEST(SocketAddress, FromAndToString) {
  const auto v4 = SocketAddress::from_string("192.0.2.1", 3478);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, AddressFamily::IPv4);
  EXPECT_EQ(v4->ip_bytes().size(), 4U);
  EXPECT_EQ(v4->to_string(), "192.0.2.1:3478");

  const auto v6 = SocketAddress::from_string("2001:db8::1", 443);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, AddressFamily::IPv6);
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:443");

  std::ostringstream out;
  out << *v6;
  EXPECT_EQ(out.str(), "[2001:db8::1]:443");

  EXPECT_FALSE(SocketAddress::from_string("not an address", 1));
  EXPECT_FALSE(SocketAddress::from_string("192.0.2.1:80", 1));
  EXPECT_FALSE(SocketAddress::from_string(std::string(200, '1'), 1));
  EXPECT_FALSE(SocketAddress::from_string("", 1));
}

TEST(SocketAddress, EqualityIgnoresUnusedBytes) {
  auto a = SocketAddress::v4({10, 1, 2, 3}, 9);
  auto b = a;
  b.ip[10] = 0xff;  // beyond the 4 bytes IPv4 uses
  EXPECT_EQ(a, b);
  b.port = 10;
  EXPECT_NE(a, b);
  auto c = a;
  c.family = AddressFamily::IPv6;
  EXPECT_NE(a, c);
}

TEST(AddressCodec, PlainEncoding) {
  std::array<std::uint8_t, 8> out{};
  encode_address(out, SocketAddress::v4({192, 0, 2, 1}, 0x1234));
  EXPECT_EQ(out, (std::array<std::uint8_t, 8>{0, 1, 0x12, 0x34, 192, 0, 2, 1}));
  EXPECT_EQ(decode_address(out).value(), SocketAddress::v4({192, 0, 2, 1}, 0x1234));
  // RFC 8489 §14.1: the first byte is ignored by receivers.
  out[0] = 0xAB;
  EXPECT_TRUE(decode_address(out));
}

TEST(AddressCodec, XorIsItsOwnInverse) {
  const auto id = TransactionId::random();
  const auto v6 = SocketAddress::from_string("fe80::1:2:3:4", 65535).value();
  std::array<std::uint8_t, 20> out{};
  encode_xor_address(out, v6, id);
  EXPECT_EQ(decode_xor_address(out, id).value(), v6);
  // With another transaction id the IPv6 address decodes differently.
  auto other = id;
  other.bytes[0] ^= 1;
  EXPECT_NE(decode_xor_address(out, other).value(), v6);
  EXPECT_EQ(address_value_size(AddressFamily::IPv6).value(), 20U);
  EXPECT_EQ(address_value_size(static_cast<AddressFamily>(0)).error(),
            Error::UnsupportedAddressFamily);
}

TEST(AsioConversion, Endpoints) {
  namespace ip = boost::asio::ip;
  const ip::udp::endpoint udp(ip::make_address("192.0.2.7"), 5000);
  const auto a = from_endpoint(udp);
  EXPECT_EQ(a, SocketAddress::v4({192, 0, 2, 7}, 5000));
  EXPECT_EQ(to_endpoint<ip::udp::endpoint>(a), udp);

  const ip::tcp::endpoint tcp(ip::make_address("2001:db8::5"), 443);
  const auto b = from_endpoint(tcp);
  EXPECT_EQ(b.family, AddressFamily::IPv6);
  EXPECT_EQ(to_endpoint<ip::tcp::endpoint>(b), tcp);
}

TEST(AsioConversion, V4MappedBecomesIpv4) {
  namespace ip = boost::asio::ip;
  const ip::udp::endpoint mapped(ip::make_address("::ffff:198.51.100.9"), 1234);
  EXPECT_EQ(from_endpoint(mapped), SocketAddress::v4({198, 51, 100, 9}, 1234));
}

}  // namespace
}  // namespace parley::stun
