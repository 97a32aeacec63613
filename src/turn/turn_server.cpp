#include "turn/turn_server.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include "net/ip.hpp"
#include "net/socket_util.hpp"
#include "turn/tls_identity.hpp"
#include "turn/worker.hpp"

namespace parley::turn {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

namespace {

std::string show(const asio::ip::address& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                   : a.to_string() + ":" + std::to_string(port);
}

net::IpAddress to_ip(const asio::ip::address& a) {
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return net::IpAddress::from_v4(std::span<const std::uint8_t, 4>(b.data(), 4));
  }
  const auto b = a.to_v6().to_bytes();
  return net::IpAddress::from_v6(std::span<const std::uint8_t, 16>(b.data(), 16));
}

asio::ip::address parse_host(const std::string& host, const char* key) {
  boost::system::error_code e;
  const auto a = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, e);
  if (e) throw std::runtime_error(std::string(key) + ": '" + host + "' is not an IP address");
  return a;
}

// The addresses of this host's interfaces, for a wildcard listener.
std::vector<asio::ip::address> local_addresses() {
  std::vector<asio::ip::address> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* s = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      asio::ip::address_v4::bytes_type b{};
      std::memcpy(b.data(), &s->sin_addr, 4);
      out.emplace_back(asio::ip::address_v4(b));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* s = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type b{};
      std::memcpy(b.data(), &s->sin6_addr, 16);
      out.emplace_back(asio::ip::address_v6(b));
    }
  }
  ::freeifaddrs(list);
  return out;
}

// The source address the host would use to reach the Internet; no packet is
// sent (connect() on UDP only picks a route).
asio::ip::address default_route_address() {
  asio::io_context io;
  boost::system::error_code e;
  udp::socket s(io);
  s.open(udp::v4(), e);
  if (!e) s.connect({asio::ip::make_address_v4("192.0.2.1"), 9}, e);
  if (!e) {
    const auto local = s.local_endpoint(e);
    if (!e) return local.address();
  }
  return asio::ip::address_v4::loopback();
}

}  // namespace

struct TurnServer::Impl {
  Impl(TurnConfig c, metrics::Registry& registry)
      : shared{c,
               CredentialStore(c.realm, c.secret, c.static_users),
               NonceService::with_random_key(c.nonce_ttl),
               PeerPolicy(c.allow_peers),
               AllocationQuota(c.user_quota, c.total_quota),
               RelayPortPool(c.relay_port_min, c.relay_port_max),
               TurnMetrics(registry),
               {},
               {}} {}

  Shared shared;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::optional<udp::endpoint> udp_ep;
  std::optional<tcp::endpoint> tcp_ep, tls_ep;
  bool started = false, stopped = false;
};

TurnServer::TurnServer(TurnConfig config, metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(config), metrics)) {}

TurnServer::~TurnServer() { stop(); }

void TurnServer::start() {
  auto& s = impl_->shared;
  const auto& c = s.config;
  if (impl_->started) return;
  const bool plain = !c.listen.empty() && c.listen != "off";
  const bool tls = !c.tls_listen.empty() && c.tls_listen != "off";
  if (!plain && !tls) throw std::runtime_error("turn: nothing to listen on");

  std::optional<net::HostPort> listen, tls_listen;
  if (plain) {
    listen = net::parse_host_port(c.listen);
    if (!listen) throw std::runtime_error("turn_listen: expected HOST:PORT, got '" + c.listen + "'");
  }
  if (tls) {
    tls_listen = net::parse_host_port(c.tls_listen);
    if (!tls_listen)
      throw std::runtime_error("turn_tls_listen: expected HOST:PORT, got '" + c.tls_listen + "'");
  }
  const auto listen_addr = listen ? parse_host(listen->host, "turn_listen") : asio::ip::address{};
  const auto tls_addr =
      tls_listen ? parse_host(tls_listen->host, "turn_tls_listen") : asio::ip::address{};

  // Relayed transport addresses: the configured IP, else the listening one,
  // else (wildcard) the host's default-route address.
  if (!c.relay_ip.empty()) {
    s.relay_address = parse_host(c.relay_ip, "turn_relay_ip");
  } else {
    const auto base = listen ? listen_addr : tls_addr;
    s.relay_address = base.is_unspecified() ? default_route_address() : base;
  }
  if (s.relay_address.is_unspecified())
    throw std::runtime_error("turn_relay_ip: must be a concrete address");
  if (s.relay_address.is_v6() && s.relay_address.to_v6().is_v4_mapped())
    s.relay_address = asio::ip::make_address_v4(asio::ip::v4_mapped, s.relay_address.to_v6());

  if (c.tls_listen.size() && tls) s.tls = make_tls_context(c.cert_file, c.key_file);

  const unsigned n = c.workers ? c.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<asio::io_context*> contexts;
  for (unsigned i = 0; i < n; ++i) {
    impl_->workers.push_back(std::make_unique<Worker>(s, i));
    contexts.push_back(&impl_->workers.back()->io());
  }

  boost::system::error_code e;
  if (listen) {
    // TCP on the same port as UDP, as clients expect of one TURN URL. With
    // port 0 the kernel picks a UDP port whose TCP twin may be taken (by any
    // outgoing connection's ephemeral port): then pick again.
    const int attempts = listen->port == 0 ? 20 : 1;
    std::vector<udp::socket> udps;
    std::vector<asio::ip::tcp::acceptor> tcps;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      e.clear();
      udps = net::bind_udp_group(contexts, {listen_addr, listen->port}, e);
      if (e) throw std::runtime_error("turn: cannot bind UDP " + c.listen + ": " + e.message());
      tcps = net::listen_tcp_group(contexts, {listen_addr, udps.front().local_endpoint().port()}, e);
      if (!e) break;
    }
    if (e) throw std::runtime_error("turn: cannot listen on TCP " + c.listen + ": " + e.message());
    impl_->udp_ep = udps.front().local_endpoint();
    impl_->tcp_ep = tcps.front().local_endpoint();
    for (unsigned i = 0; i < n; ++i) {
      impl_->workers[i]->add_udp_listener(std::move(udps[i]));
      impl_->workers[i]->add_acceptor(std::move(tcps[i]), false);
    }
  }
  if (tls) {
    auto tlss = net::listen_tcp_group(contexts, {tls_addr, tls_listen->port}, e);
    if (e) throw std::runtime_error("turn: cannot listen on TLS " + c.tls_listen + ": " + e.message());
    impl_->tls_ep = tlss.front().local_endpoint();
    for (unsigned i = 0; i < n; ++i) impl_->workers[i]->add_acceptor(std::move(tlss[i]), true);
  }

  // The server's own listening addresses are never peers (a relay into our own
  // TURN port would loop). Relay ports are: when both parties of a call sit
  // behind restrictive NATs, each one's peer is the other's relayed address
  // on this same server, and that call must work.
  const auto add_self = [&](const asio::ip::address& a, std::uint16_t lo, std::uint16_t hi) {
    if (a.is_unspecified()) {
      for (const auto& l : local_addresses()) s.policy.add_self(to_ip(l), lo, hi);
    } else {
      s.policy.add_self(to_ip(a), lo, hi);
    }
  };
  if (impl_->udp_ep) add_self(listen_addr, impl_->udp_ep->port(), impl_->udp_ep->port());
  if (impl_->tls_ep) add_self(tls_addr, impl_->tls_ep->port(), impl_->tls_ep->port());

  for (auto& w : impl_->workers) w->start();
  for (auto& w : impl_->workers) impl_->threads.emplace_back([w = w.get()] { w->run(); });
  impl_->started = true;
  spdlog::info("turn: {} worker(s), relay {} ports {}-{}, realm '{}'", n,
               s.relay_address.to_string(), c.relay_port_min, c.relay_port_max, c.realm);
}

void TurnServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& w : impl_->workers) w->stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  impl_->workers.clear();
}

std::optional<udp::endpoint> TurnServer::udp_endpoint() const { return impl_->udp_ep; }
std::optional<tcp::endpoint> TurnServer::tcp_endpoint() const { return impl_->tcp_ep; }
std::optional<tcp::endpoint> TurnServer::tls_endpoint() const { return impl_->tls_ep; }
asio::ip::address TurnServer::relay_address() const { return impl_->shared.relay_address; }

std::string TurnServer::listening_line() const {
  std::string line = "listening";
  if (impl_->udp_ep) line += " turn-udp=" + show(impl_->udp_ep->address(), impl_->udp_ep->port());
  if (impl_->tcp_ep) line += " turn-tcp=" + show(impl_->tcp_ep->address(), impl_->tcp_ep->port());
  if (impl_->tls_ep) line += " turn-tls=" + show(impl_->tls_ep->address(), impl_->tls_ep->port());
  return line;
}

std::vector<std::string> TurnServer::ice_urls() const {
  std::vector<std::string> urls;
  const auto url_host = [&](const asio::ip::address& given) {
    const auto a = given.is_unspecified() ? impl_->shared.relay_address : given;
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  };
  if (impl_->udp_ep) {
    const auto h = url_host(impl_->udp_ep->address()) + ":" + std::to_string(impl_->udp_ep->port());
    urls.push_back("stun:" + h);
    urls.push_back("turn:" + h + "?transport=udp");
    urls.push_back("turn:" + h + "?transport=tcp");
  }
  if (impl_->tls_ep) {
    const auto h = url_host(impl_->tls_ep->address()) + ":" + std::to_string(impl_->tls_ep->port());
    urls.push_back("turns:" + h + "?transport=tcp");
  }
  return urls;
}

}  // namespace parley::turn
