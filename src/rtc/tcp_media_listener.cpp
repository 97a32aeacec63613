#include "rtc/tcp_media_listener.hpp"

#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>

#include "common/log.hpp"
#include "ice/tcp_framing.hpp"
#include "net/udp_batch.hpp"
#include "stun/asio_endpoint.hpp"
#include "stun/message.hpp"

namespace parley::rtc {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// A failed accept (EMFILE, ENOBUFS) is retried after this, not at once.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Beyond this, a drained write buffer gives its memory back.
constexpr std::size_t kKeepWriteCapacity = 64 * 1024;

bool is_binding_request(std::span<const std::uint8_t> frame) {
  if (!stun::looks_like_stun(frame)) return false;
  const auto m = stun::Message::parse(frame);
  return m && m->method() == stun::Method::Binding &&
         m->message_class() == stun::MessageClass::Request;
}

}  // namespace

struct TcpMediaListener::Connection {
  Connection(tcp::socket s, std::size_t max_frame)
      : socket(std::move(s)), timer(socket.get_executor()), decoder(max_frame) {}

  tcp::socket socket;
  asio::steady_timer timer;
  ice::TcpFrameDecoder decoder;
  stun::SocketAddress remote;
  std::optional<ice::TransportId> transport;  // set by the first frame
  std::array<std::uint8_t, 4096> rx{};
  // Framed bytes waiting for the write in flight, and those being written.
  std::vector<std::uint8_t> pending, writing;
  bool write_in_flight = false;
  bool closing = false;  // the transport is gone: write what is queued, then close
  bool closed = false;
  Clock::time_point last_frame{};
  Clock::time_point write_started{};
};

TcpMediaListener::TcpMediaListener(asio::io_context& io, TcpMediaLimits limits, RouteFunction route,
                                   FrameFunction frame)
    : io_(io),
      limits_(limits),
      route_(std::move(route)),
      frame_(std::move(frame)),
      acceptor_(io),
      accept_retry_(io),
      // SRTP may grow a packet in place: the same room as a UDP slot.
      scratch_(std::max(net::kMaxDatagram, limits.max_frame_size + 64)) {
  limits_.max_frame_size = std::min(limits_.max_frame_size, ice::kMaxRfc4571FrameSize);
}

TcpMediaListener::~TcpMediaListener() { close(); }

boost::system::error_code TcpMediaListener::listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  // TIME_WAIT connections of a previous run must not keep the port; two
  // listeners still cannot share it (Linux refuses the second listen()).
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint bound;
  if (!ec) bound = acceptor_.local_endpoint(ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  local_ = stun::from_endpoint(bound);
  closed_ = false;
  return {};
}

void TcpMediaListener::start() {
  if (acceptor_.is_open()) accept_next();
}

void TcpMediaListener::close() {
  closed_ = true;
  boost::system::error_code ec;
  accept_retry_.cancel();
  acceptor_.close(ec);
  std::vector<ConnectionPtr> all;
  all.reserve(connections_.size());
  for (auto& [address, c] : connections_) all.push_back(c);
  for (auto& c : all) close(c, "media worker stopping");
  connections_.clear();
}

void TcpMediaListener::accept_next() {
  if (closed_ || !acceptor_.is_open()) return;
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void TcpMediaListener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (closed_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    spdlog::debug("media tcp: accept failed: {}", ec.message());
    accept_retry_.expires_after(kAcceptRetry);
    accept_retry_.async_wait([this](boost::system::error_code e) {
      if (!e) accept_next();
    });
    return;
  }
  accept_next();
  boost::system::error_code e;
  if (connections_.size() >= limits_.max_connections) {
    ++stats_.refused;
    socket.close(e);
    return;
  }
  const auto remote = socket.remote_endpoint(e);
  if (e) return;  // already gone
  socket.set_option(tcp::no_delay(true), e);  // media: no Nagle delay
  auto c = std::make_shared<Connection>(std::move(socket), limits_.max_frame_size);
  c->remote = stun::from_endpoint(remote);
  // A remote address is unique among open connections to one listening
  // socket; a stale entry (impossible unless the kernel reuses a 4-tuple we
  // still hold) loses.
  if (auto old = connections_.find(c->remote); old != connections_.end()) close(old->second, "replaced");
  connections_.emplace(c->remote, c);
  ++stats_.accepted;
  spdlog::debug("media tcp: connection from {}", c->remote.to_string());
  arm_timer(c, limits_.handshake_timeout);
  read(c);
}

void TcpMediaListener::read(const ConnectionPtr& c) {
  c->socket.async_read_some(asio::buffer(c->rx), [this, c](boost::system::error_code ec, std::size_t n) {
    if (c->closed) return;
    if (ec) return close(c, ec == asio::error::eof ? "closed by the peer" : "read: " + ec.message());
    on_bytes(c, n);
    if (!c->closed) read(c);
  });
}

void TcpMediaListener::on_bytes(const ConnectionPtr& c, std::size_t n) {
  if (c->closing) return;  // the transport is gone; only the queue matters
  if (!c->decoder.feed(std::span<const std::uint8_t>(c->rx.data(), n))) {
    ++stats_.oversized_frames;
    return close(c, "frame larger than " + std::to_string(limits_.max_frame_size) + " bytes");
  }
  const auto now = Clock::now();
  while (auto frame = c->decoder.next()) {
    if (!c->transport) {
      // RFC 6544: the first thing on a connection to a passive candidate is
      // the peer's connectivity check; it names the transport by our ufrag.
      std::optional<ice::TransportId> id;
      if (is_binding_request(*frame)) id = route_(*frame);
      if (!id) {
        ++stats_.bad_first_frames;
        return close(c, "first frame is not a STUN Binding request for a known ufrag");
      }
      c->transport = *id;
      c->last_frame = now;
      // From the handshake deadline to the idle and write-stall checks.
      arm_timer(c, std::min(limits_.idle_timeout, limits_.write_stall_timeout) / 4);
    }
    c->last_frame = now;
    ++stats_.frames_in;
    // Copied out of the decoder: the transport may rewrite and grow it.
    std::copy(frame->begin(), frame->end(), scratch_.begin());
    frame_(*c->transport, std::span<std::uint8_t>(scratch_), frame->size(), c->remote);
    // The frame's callbacks may have released the transport (closing us).
    if (c->closed || c->closing) return;
  }
}

void TcpMediaListener::arm_timer(const ConnectionPtr& c, Clock::duration after) {
  c->timer.expires_after(std::max<Clock::duration>(after, std::chrono::milliseconds(10)));
  c->timer.async_wait([this, c](boost::system::error_code ec) {
    if (ec || c->closed) return;
    on_timer(c);
  });
}

void TcpMediaListener::on_timer(const ConnectionPtr& c) {
  const auto now = Clock::now();
  if (!c->transport && !c->closing) {
    ++stats_.handshake_timeouts;
    return close(c, "no STUN Binding request in time");
  }
  if (c->write_in_flight && now - c->write_started >= limits_.write_stall_timeout) {
    ++stats_.write_stalls;
    return close(c, "the peer does not read");
  }
  if (!c->closing && now - c->last_frame >= limits_.idle_timeout) {
    ++stats_.idle_timeouts;
    return close(c, "idle");
  }
  arm_timer(c, std::min(limits_.idle_timeout, limits_.write_stall_timeout) / 4);
}

bool TcpMediaListener::send(ice::TransportId id, std::span<const std::uint8_t> datagram,
                            const stun::SocketAddress& to) {
  if (connections_.empty()) return false;
  const auto it = connections_.find(to);
  if (it == connections_.end()) return false;
  const ConnectionPtr& c = it->second;
  // The same ip:port may be a UDP peer of another transport (UDP and TCP
  // ports are distinct): only the bound transport's packets go here.
  if (c->closing || !c->transport || *c->transport != id) return false;
  const auto header = ice::frame_header(datagram.size());
  const std::size_t queued = c->pending.size() + (c->write_in_flight ? c->writing.size() : 0);
  if (!header || queued + ice::kFrameHeaderSize + datagram.size() > limits_.max_queued_bytes) {
    ++stats_.frames_dropped;  // whole frames only: the stream stays framed
    return true;
  }
  c->pending.insert(c->pending.end(), header->begin(), header->end());  // RFC 4571 §2
  c->pending.insert(c->pending.end(), datagram.begin(), datagram.end());
  ++stats_.frames_out;
  if (!c->write_in_flight) flush(c);
  return true;
}

void TcpMediaListener::flush(const ConnectionPtr& c) {
  c->writing.clear();
  c->writing.swap(c->pending);
  c->write_in_flight = true;
  c->write_started = Clock::now();
  asio::async_write(c->socket, asio::buffer(c->writing),
                    [this, c](boost::system::error_code ec, std::size_t) {
                      if (c->closed) return;
                      c->write_in_flight = false;
                      if (ec) return close(c, "write: " + ec.message());
                      c->writing.clear();
                      if (c->writing.capacity() > kKeepWriteCapacity) std::vector<std::uint8_t>().swap(c->writing);
                      if (!c->pending.empty()) return flush(c);
                      if (c->closing) close(c, "transport released");
                    });
}

void TcpMediaListener::close_transport(ice::TransportId id) {
  std::vector<ConnectionPtr> bound;
  for (auto& [address, c] : connections_)
    if (c->transport == id) bound.push_back(c);
  for (auto& c : bound) {
    c->transport.reset();
    c->closing = true;
    if (!c->write_in_flight) close(c, "transport released");
    // else: the write handler closes it once the queue is out (or the
    // stall check does).
  }
}

void TcpMediaListener::close(ConnectionPtr c, std::string_view why) {
  if (c->closed) return;
  c->closed = true;
  spdlog::debug("media tcp: closing {}: {}", c->remote.to_string(), why);
  boost::system::error_code ec;
  c->timer.cancel();
  c->socket.close(ec);
  c->pending.clear();
  c->pending.shrink_to_fit();
  if (auto it = connections_.find(c->remote); it != connections_.end() && it->second == c)
    connections_.erase(it);
}

}  // namespace parley::rtc
