#pragma once

// Conversions between stun::SocketAddress and Boost.Asio. Header-only and not
// included by the codec itself, so that parley_stun does not depend on asio;
// ICE and TURN, which own sockets, include it.

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdint>

#include "stun/address.hpp"

namespace parley::stun {

inline boost::asio::ip::address to_asio_address(const SocketAddress& a) {
  if (a.family == AddressFamily::IPv6) {
    boost::asio::ip::address_v6::bytes_type bytes{};
    std::ranges::copy(a.ip, bytes.begin());
    return boost::asio::ip::address_v6(bytes);
  }
  boost::asio::ip::address_v4::bytes_type bytes{};
  std::ranges::copy(a.ip_bytes(), bytes.begin());
  return boost::asio::ip::address_v4(bytes);
}

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; STUN must report
// them as IPv4 (the client compares XOR-MAPPED-ADDRESS with what it knows), so
// mapped addresses come back as plain IPv4.
inline SocketAddress from_asio(const boost::asio::ip::address& address, std::uint16_t port) {
  if (address.is_v6() && !address.to_v6().is_v4_mapped()) {
    return SocketAddress::v6(address.to_v6().to_bytes(), port);
  }
  const auto v4 = address.is_v4() ? address.to_v4()
                                  : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                                                     address.to_v6());
  return SocketAddress::v4(v4.to_bytes(), port);
}

// Endpoint is boost::asio::ip::udp::endpoint or tcp::endpoint.
template <class Endpoint>
Endpoint to_endpoint(const SocketAddress& a) {
  return Endpoint(to_asio_address(a), a.port);
}

template <class Endpoint>
SocketAddress from_endpoint(const Endpoint& endpoint) {
  return from_asio(endpoint.address(), endpoint.port());
}

}  // namespace parley::stun
