#pragma once

// Binding helpers: groups of SO_REUSEPORT sockets (one per worker, the kernel
// spreads flows over them by 4-tuple hash, so a client's 5-tuple always lands
// on the same worker) and small socket options.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <vector>

namespace parley::net {

// One UDP socket per context, all bound to `endpoint` with SO_REUSEPORT and
// non-blocking. Port 0 first finds a free port with an exclusive bind, and a
// fixed port is first bound exclusively too, so that another process already
// holding the port (even one with SO_REUSEPORT) makes this fail instead of
// silently sharing its traffic. Empty on error (`ec` says why).
std::vector<boost::asio::ip::udp::socket> bind_udp_group(
    const std::vector<boost::asio::io_context*>& contexts,
    const boost::asio::ip::udp::endpoint& endpoint, boost::system::error_code& ec);

// The same for listening TCP sockets.
std::vector<boost::asio::ip::tcp::acceptor> listen_tcp_group(
    const std::vector<boost::asio::io_context*>& contexts,
    const boost::asio::ip::tcp::endpoint& endpoint, boost::system::error_code& ec);

// IP_MTU_DISCOVER / IPV6_MTU_DISCOVER = DO: the kernel sets DF and refuses to
// fragment (RFC 8656 §7.2, DONT-FRAGMENT).
void set_dont_fragment(int fd, bool v6);

}  // namespace parley::net
