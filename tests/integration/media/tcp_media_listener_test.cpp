// rtc::TcpMediaListener in process, with real loopback TCP and small limits:
// stream reassembly of RFC 4571 frames, replies framed on the connection,
// the first-frame rule, max connections, handshake and write-stall
// timeouts, the bounded write queue, and close_transport; and the media
// worker's candidates and its UDP-only fallback.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "ice/ice_checker.hpp"
#include "ice/candidate.hpp"
#include "rtc/media_worker.hpp"
#include "rtc/tcp_media_listener.hpp"
#include "stun/message.hpp"
#include "tcp_test_util.hpp"

namespace parley::itest {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr ice::TransportId kId = 7;

struct Received {
  ice::TransportId id;
  std::vector<std::uint8_t> frame;
  stun::SocketAddress from;
};

// A listener on 127.0.0.1:0 whose io_context runs on its own thread; the
// test reaches it with run() (posted, waited for).
class Fixture {
 public:
  explicit Fixture(rtc::TcpMediaLimits limits, bool echo = true) {
    listener_ = std::make_unique<rtc::TcpMediaListener>(
        io_, limits,
        [this](std::span<const std::uint8_t> stun) -> std::optional<ice::TransportId> {
          // A known ufrag: the one of `known_`.
          const auto ufrag = ice::stun_local_ufrag(stun);
          if (!ufrag || *ufrag != known_.ufrag) return std::nullopt;
          return kId;
        },
        [this, echo](ice::TransportId id, std::span<std::uint8_t> buffer, std::size_t len,
                     const stun::SocketAddress& from) {
          EXPECT_GE(buffer.size(), len + 16) << "no room for SRTP growth";
          {
            std::lock_guard lock(mu_);
            received_.push_back({id, {buffer.begin(), buffer.begin() + len}, from});
          }
          if (echo) listener_->send(id, buffer.first(len), from);
        });
    const auto ec = listener_->listen({asio::ip::make_address("127.0.0.1"), 0});
    EXPECT_FALSE(ec) << ec.message();
    listener_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  template <typename F>
  auto run(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto done = task.get_future();
    asio::post(io_, [&task] { task(); });
    return done.get();
  }

  ~Fixture() {
    run([this] { listener_->close(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }


  stun::SocketAddress address() const { return listener_->local_address(); }
  rtc::TcpMediaListener& listener() { return *listener_; }
  const ice::IceCredentials& known() const { return known_; }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  rtc::TcpMediaStats stats() {
    return run([this] { return listener_->stats(); });
  }
  std::size_t connections() {
    return run([this] { return listener_->connection_count(); });
  }

  // A Binding request the route function accepts.
  std::vector<std::uint8_t> check() {
    ice::IceChecker checker(ice::generate_credentials(), known_);
    return checker.build_request(address(), 1, true)->bytes;
  }

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  ice::IceCredentials known_ = ice::generate_credentials();
  std::unique_ptr<rtc::TcpMediaListener> listener_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> received_;
};

TEST(TcpMediaListener, FramesAcrossReadsReachTheTransportAndRepliesComeBackFramed) {
  Fixture f({});
  tcp::Socket s(f.address());
  ASSERT_TRUE(s.ok());
  // The check and three media frames in one byte stream, written a few
  // bytes at a time so that frames straddle reads.
  const auto check = f.check();
  std::vector<std::uint8_t> stream = *ice::encode_frame(check);
  std::vector<std::vector<std::uint8_t>> media;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> m(100 + 500 * i, static_cast<std::uint8_t>(0x80 + i));
    const auto framed = *ice::encode_frame(m);
    stream.insert(stream.end(), framed.begin(), framed.end());
    media.push_back(std::move(m));
  }
  stream.insert(stream.end(), {0x00, 0x00});  // an empty frame is skipped (RFC 4571 allows it)
  for (std::size_t off = 0; off < stream.size(); off += 7) {
    const auto n = std::min<std::size_t>(7, stream.size() - off);
    ASSERT_TRUE(s.write(std::span(stream).subspan(off, n)));
    if (off % 70 == 0) std::this_thread::sleep_for(milliseconds(1));
  }
  // The echo of each frame comes back framed, in order.
  auto first = s.read_frame(kTimeout);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, check);
  for (const auto& m : media) {
    auto back = s.read_frame(kTimeout);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, m);
  }
  const auto got = f.received();
  ASSERT_EQ(got.size(), 4u);
  for (const auto& r : got) {
    EXPECT_EQ(r.id, kId);
    EXPECT_EQ(r.from, s.local_address());
  }
  // Another transport's packets to the same address are not ours to frame.
  const auto from = s.local_address();
  EXPECT_FALSE(f.run([&] { return f.listener().send(kId + 1, media[0], from); }));
  EXPECT_TRUE(f.run([&] { return f.listener().send(kId, media[0], from); }));
  EXPECT_EQ(s.read_frame(kTimeout), media[0]);
  EXPECT_EQ(f.stats().frames_in, 4u);

  // Releasing the transport closes the connection.
  f.run([&] { f.listener().close_transport(kId); });
  EXPECT_TRUE(s.closed_within(kTimeout));
  EXPECT_TRUE(eventually([&] { return f.connections() == 0; }));
}

TEST(TcpMediaListener, FirstFrameMustBeABindingRequestForAKnownUfrag) {
  Fixture f({});
  {
    tcp::Socket s(f.address());
    ASSERT_TRUE(s.write_frame(std::vector<std::uint8_t>{0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "RTP first";
  }
  {
    tcp::Socket s(f.address());
    ice::IceChecker other(ice::generate_credentials(), ice::generate_credentials());
    ASSERT_TRUE(s.write_frame(other.build_request(f.address(), 1, true)->bytes));
    EXPECT_TRUE(s.closed_within(kTimeout)) << "unknown ufrag";
  }
  EXPECT_TRUE(f.received().empty());
  EXPECT_EQ(f.stats().bad_first_frames, 2u);
}

TEST(TcpMediaListener, OversizedFramesCloseTheConnection) {
  rtc::TcpMediaLimits limits;
  Fixture f(limits);
  tcp::Socket s(f.address());
  ASSERT_TRUE(s.write_frame(f.check()));
  ASSERT_TRUE(s.read_frame(kTimeout));
  // Exactly the limit is fine, one more byte is not.
  std::vector<std::uint8_t> big(rtc::kMaxTcpMediaFrameSize, 0x80);
  ASSERT_TRUE(s.write_frame(big));
  EXPECT_EQ(s.read_frame(kTimeout), big);
  big.push_back(0);
  ASSERT_TRUE(s.write_frame(big));
  EXPECT_TRUE(s.closed_within(kTimeout));
  EXPECT_EQ(f.stats().oversized_frames, 1u);
}

TEST(TcpMediaListener, SilentConnectionsTimeOutAndExtraOnesAreRefused) {
  rtc::TcpMediaLimits limits;
  limits.max_connections = 2;
  limits.handshake_timeout = milliseconds(1000);
  Fixture f(limits);
  tcp::Socket a(f.address()), b(f.address());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(eventually([&] { return f.connections() == 2; }));
  tcp::Socket c(f.address());  // the kernel accepts it; the listener closes it
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.closed_within(kTimeout));
  EXPECT_EQ(f.stats().refused, 1u);
  // b binds in time and stays; a says nothing and is closed.
  ASSERT_TRUE(b.write_frame(f.check()));
  ASSERT_TRUE(b.read_frame(kTimeout));
  EXPECT_TRUE(a.closed_within(kTimeout));
  EXPECT_FALSE(b.closed_within(milliseconds(500)));
  EXPECT_EQ(f.stats().handshake_timeouts, 1u);
  EXPECT_EQ(f.connections(), 1u);
}

TEST(TcpMediaListener, APeerThatStopsReadingCostsABoundedQueueThenItsConnection) {
  rtc::TcpMediaLimits limits;
  limits.max_queued_bytes = 64 * 1024;
  limits.write_stall_timeout = milliseconds(300);
  Fixture f(limits, /*echo=*/false);
  tcp::Socket s(f.address());
  const int small = 16 * 1024;  // so that the kernel buffers fill soon
  ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(s.write_frame(f.check()));
  ASSERT_TRUE(eventually([&] { return f.received().size() == 1; }));
  const auto to = s.local_address();

  // Push media at the connection, far faster than nobody reads it.
  const std::vector<std::uint8_t> packet(1200, 0x80);
  bool accepted_all = true;
  const auto deadline = Clock::now() + milliseconds(10000);
  while (f.connections() == 1 && Clock::now() < deadline) {
    f.run([&] {
      if (f.listener().connection_count() == 0) return;  // closed meanwhile
      for (int i = 0; i < 100; ++i) accepted_all &= f.listener().send(kId, packet, to);
    });
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_TRUE(accepted_all) << "frames for a bound connection never fall back to UDP";
  EXPECT_EQ(f.connections(), 0u) << "a connection that does not read was kept";
  const auto stats = f.stats();
  EXPECT_GT(stats.frames_dropped, 0u);
  EXPECT_EQ(stats.write_stalls, 1u);
  // What did arrive is whole frames from the start of the stream.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.read_frame(kTimeout), packet);
}

rtc::MediaWorkerConfig worker_config(std::string listen) {
  rtc::MediaWorkerConfig config;
  config.listen = std::move(listen);
  return config;
}

// The media worker announces both candidates: UDP, and passive TCP on the
// same IP and port number, ranked below it (RFC 6544 §4.2, §4.5).
TEST(MediaWorkerTcp, AnnouncesAPassiveTcpCandidateOnTheUdpPortNumber) {
  rtc::MediaWorker worker(worker_config("127.0.0.1:0"));
  worker.start();
  ASSERT_TRUE(worker.tcp_address());
  EXPECT_EQ(*worker.tcp_address(), worker.local_address());
  const auto& candidates = worker.candidates();
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[0].protocol, ice::TransportProtocol::Udp);
  EXPECT_EQ(candidates[1].protocol, ice::TransportProtocol::Tcp);
  EXPECT_LT(candidates[1].priority, candidates[0].priority);
  const auto port = std::to_string(worker.local_address().port);
  const auto tcp = ice::to_sdp_candidate(candidates[1]);
  EXPECT_TRUE(tcp.ends_with(" tcp " + std::to_string(candidates[1].priority) + " 127.0.0.1 " + port +
                            " typ host tcptype passive"))
      << tcp;
  // Something listens there.
  tcp::Socket s(*worker.tcp_address());
  EXPECT_TRUE(s.ok());
  worker.stop();
}

TEST(MediaWorkerTcp, AFixedPortWhoseTcpTwinIsTakenRunsUdpOnly) {
  asio::io_context io;
  asio::ip::tcp::acceptor squatter(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = squatter.local_endpoint().port();
  rtc::MediaWorker worker(worker_config("127.0.0.1:" + std::to_string(port)));
  worker.start();
  EXPECT_EQ(worker.local_address().port, port);
  EXPECT_FALSE(worker.tcp_address());
  ASSERT_EQ(worker.candidates().size(), 1u);
  EXPECT_EQ(worker.candidates()[0].protocol, ice::TransportProtocol::Udp);
  worker.stop();
}

TEST(MediaWorkerTcp, CanBeTurnedOff) {
  auto config = worker_config("127.0.0.1:0");
  config.ice_tcp = false;
  rtc::MediaWorker worker(config);
  worker.start();
  EXPECT_FALSE(worker.tcp_address());
  EXPECT_EQ(worker.candidates().size(), 1u);
  worker.stop();
}

}  // namespace
}  // namespace parley::itest
