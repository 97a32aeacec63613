#include "net/socket_util.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>

namespace parley::net {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

constexpr int kUdpBufferBytes = 4 << 20;

// Exclusive probe bind: fails if anyone holds the port, and resolves port 0.
template <class Socket, class Endpoint>
Endpoint probe(asio::io_context& io, const Endpoint& endpoint, boost::system::error_code& ec) {
  Socket s(io);
  s.open(endpoint.protocol(), ec);
  if (ec) return endpoint;
  s.bind(endpoint, ec);
  if (ec) return endpoint;
  auto bound = s.local_endpoint(ec);
  return bound;
}

}  // namespace

std::vector<udp::socket> bind_udp_group(const std::vector<asio::io_context*>& contexts,
                                        const udp::endpoint& endpoint,
                                        boost::system::error_code& ec) {
  std::vector<udp::socket> out;
  if (contexts.empty()) return out;
  const auto ep = probe<udp::socket>(*contexts.front(), endpoint, ec);
  if (ec) return out;
  for (auto* io : contexts) {
    udp::socket s(*io);
    s.open(ep.protocol(), ec);
    if (!ec) s.set_option(ReusePort(true), ec);
    if (!ec) s.bind(ep, ec);
    if (!ec) s.non_blocking(true, ec);
    // A burst of keyframes from many clients must not overflow the kernel's
    // default ~200 KB (about 90 full datagrams) before a worker drains it.
    // The kernel caps the request at net.core.rmem_max; that is not an error.
    if (!ec) {
      boost::system::error_code ignored;
      s.set_option(asio::socket_base::receive_buffer_size(kUdpBufferBytes), ignored);
      s.set_option(asio::socket_base::send_buffer_size(kUdpBufferBytes), ignored);
    }
    if (ec) {
      out.clear();
      return out;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<tcp::acceptor> listen_tcp_group(const std::vector<asio::io_context*>& contexts,
                                            const tcp::endpoint& endpoint,
                                            boost::system::error_code& ec) {
  std::vector<tcp::acceptor> out;
  if (contexts.empty()) return out;
  const auto ep = [&] {
    // A TCP probe must allow TIME_WAIT leftovers, as the real bind does.
    tcp::acceptor s(*contexts.front());
    s.open(endpoint.protocol(), ec);
    if (!ec) s.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.bind(endpoint, ec);
    return ec ? endpoint : s.local_endpoint(ec);
  }();
  if (ec) return out;
  for (auto* io : contexts) {
    tcp::acceptor a(*io);
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.set_option(ReusePort(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      out.clear();
      return out;
    }
    out.push_back(std::move(a));
  }
  return out;
}

void set_dont_fragment(int fd, bool v6) {
  int value = IP_PMTUDISC_DO;
  if (v6)
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &value, sizeof value);
  else
    ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &value, sizeof value);
}

}  // namespace parley::net
