#include "turn_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/write.hpp>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace turntest {

namespace {

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

std::uint16_t port_after(const std::string& line, const std::string& key) {
  const auto at = line.find(key);
  if (at == std::string::npos) return 0;
  const auto colon = line.find(':', at + key.size());
  return static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

// Cuts one STUN or ChannelData frame off the front of a stream buffer.
std::optional<Bytes> take_frame(Bytes& buffer) {
  if (buffer.size() < 4) return std::nullopt;
  std::size_t size = 0;
  if (stun::looks_like_channel_data(buffer)) {
    const auto s = stun::channel_data_size(buffer, stun::Framing::Stream);
    if (!s) throw std::runtime_error("bad ChannelData frame from server");
    size = *s;
  } else {
    const auto s = stun::message_size(buffer);
    if (!s) throw std::runtime_error("bad STUN frame from server");
    size = *s;
  }
  if (buffer.size() < size) return std::nullopt;
  Bytes frame(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
  buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
  return frame;
}

class UdpTransport final : public Transport {
 public:
  explicit UdpTransport(const udp::endpoint& server) : socket_(io_) {
    socket_.open(udp::v4());
    socket_.bind({asio::ip::make_address("127.0.0.1"), 0});
    socket_.connect(server);
  }
  void send(std::span<const std::uint8_t> bytes) override {
    boost::system::error_code ec;
    socket_.send(asio::buffer(bytes.data(), bytes.size()), 0, ec);
  }
  std::optional<Bytes> receive(std::chrono::milliseconds timeout) override {
    if (!wait_readable(socket_.native_handle(), timeout)) return std::nullopt;
    Bytes buf(65536);
    boost::system::error_code ec;
    const auto n = socket_.receive(asio::buffer(buf), 0, ec);
    if (ec) return std::nullopt;
    buf.resize(n);
    return buf;
  }
  bool is_stream() const override { return false; }
  stun::SocketAddress local() const override {
    return stun::from_endpoint(socket_.local_endpoint());
  }

 private:
  asio::io_context io_;
  udp::socket socket_;
};

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(const tcp::endpoint& server) : socket_(io_) { socket_.connect(server); }
  void send(std::span<const std::uint8_t> bytes) override {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
  }
  std::optional<Bytes> receive(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto f = take_frame(buffer_)) return f;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !wait_readable(socket_.native_handle(), left)) return std::nullopt;
      std::uint8_t chunk[4096];
      boost::system::error_code ec;
      const auto n = socket_.read_some(asio::buffer(chunk), ec);
      if (ec) return std::nullopt;
      buffer_.insert(buffer_.end(), chunk, chunk + n);
    }
  }
  bool is_stream() const override { return true; }
  stun::SocketAddress local() const override {
    return stun::from_endpoint(socket_.local_endpoint());
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  Bytes buffer_;
};

class TlsTransport final : public Transport {
 public:
  explicit TlsTransport(const tcp::endpoint& server) : socket_(io_) {
    socket_.connect(server);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // the server's cert is self-signed
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, socket_.native_handle());
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake failed");
  }
  ~TlsTransport() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  void send(std::span<const std::uint8_t> bytes) override {
    SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
  }
  std::optional<Bytes> receive(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto f = take_frame(buffer_)) return f;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (SSL_pending(ssl_) == 0 &&
          (left.count() <= 0 || !wait_readable(socket_.native_handle(), left)))
        return std::nullopt;
      std::uint8_t chunk[4096];
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.insert(buffer_.end(), chunk, chunk + n);
    }
  }
  bool is_stream() const override { return true; }
  stun::SocketAddress local() const override {
    return stun::from_endpoint(socket_.local_endpoint());
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  Bytes buffer_;
};

}  // namespace

// ---------------------------------------------------------------------------

TurnProcess::TurnProcess(std::vector<std::string> args, bool tls) {
  const char* bin = std::getenv("PARLEY_BIN");
  if (!bin) throw std::runtime_error("PARLEY_BIN is not set");
  std::vector<std::string> argv_s = {bin, "turn", "--turn-listen", "127.0.0.1:0", "--log-level",
                                     "warn"};
  if (tls) {
    argv_s.push_back("--turn-tls-listen");
    argv_s.push_back("127.0.0.1:0");
  }
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = pid;
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(out[0], left)) break;
    char buf[512];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  udp_port_ = port_after(line, "turn-udp=");
  tcp_port_ = port_after(line, "turn-tcp=");
  tls_port_ = port_after(line, "turn-tls=");
  if (!line.starts_with("listening ") || udp_port_ == 0 || tcp_port_ == 0 || (tls && !tls_port_))
    throw std::runtime_error("unexpected first line from parley turn: '" + line + "'");
}

TurnProcess::~TurnProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "parley turn did not stop on SIGTERM";
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

bool TurnProcess::running() {
  int status = 0;
  return ::waitpid(pid_, &status, WNOHANG) == 0;
}

std::string private_relay_ports(int count) {
  const int base = 61000 + static_cast<int>((::getpid() * 97) % 4000);
  return std::to_string(base) + "-" + std::to_string(base + count - 1);
}

std::string single_free_port() {
  asio::io_context io;
  udp::socket s(io);
  s.open(udp::v4());
  s.bind({asio::ip::make_address("127.0.0.1"), 0});
  const auto p = std::to_string(s.local_endpoint().port());
  return p + "-" + p;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rest_username(std::int64_t expiry, const std::string& user) {
  return std::to_string(expiry) + ":" + user;
}

std::string rest_password(const std::string& secret, const std::string& username) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), digest, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len));
  return out;
}

std::unique_ptr<Transport> connect(Kind kind, const TurnProcess& server) {
  switch (kind) {
    case Kind::Udp: return std::make_unique<UdpTransport>(server.udp_endpoint());
    case Kind::Tcp: return std::make_unique<TcpTransport>(server.tcp_endpoint());
    case Kind::Tls: return std::make_unique<TlsTransport>(server.tls_endpoint());
  }
  return nullptr;
}

std::unique_ptr<Transport> connect_udp(const udp::endpoint& server) {
  return std::make_unique<UdpTransport>(server);
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// ---------------------------------------------------------------------------

std::optional<stun::Message> Reply::parsed() const {
  auto m = stun::Message::parse(bytes);
  if (!m) return std::nullopt;
  return *m;
}

int Reply::code() const {
  const auto m = parsed();
  if (!m) return -1;
  if (m->message_class() == stun::MessageClass::SuccessResponse) return 0;
  const auto e = m->get<stun::ErrorCode>();
  return e ? e->code : -1;
}

Reply TurnClient::transact(const Bytes& request, const stun::TransactionId& id) {
  // RFC 8489 §6.2.1: retransmit over UDP, doubling the wait (500 ms, 1 s, 2 s,
  // 4 s, 8 s). The waits only bound how long a failure takes to show; a slow,
  // loaded machine must not turn a late answer into a failed test.
  const int tries = t_->is_stream() ? 1 : 5;
  auto wait = std::chrono::milliseconds(t_->is_stream() ? 5000 : 500);
  for (int i = 0; i < tries; ++i, wait *= 2) {
    t_->send(request);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto got = t_->receive(left);
      if (!got) break;
      const auto m = stun::Message::parse(*got);
      if (m && stun::is_response(m->message_class()) && m->transaction_id() == id)
        return Reply{std::move(*got)};
      queued_.push_back(std::move(*got));
    }
  }
  return Reply{};
}

Reply TurnClient::plain_request(stun::Method method, const Fill& fill) {
  const auto id = stun::TransactionId::random();
  stun::Builder b(method, stun::MessageClass::Request, id);
  if (fill) fill(b);
  b.add_fingerprint();
  auto bytes = b.release();
  if (!bytes) return {};
  return transact(*bytes, id);
}

Reply TurnClient::request(stun::Method method, const Fill& fill, bool retry) {
  Reply reply;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto id = stun::TransactionId::random();
    stun::Builder b(method, stun::MessageClass::Request, id);
    if (fill) fill(b);
    if (!nonce_.empty()) {
      b.add(stun::Username{user_}).add(stun::Realm{realm_}).add(stun::Nonce{nonce_});
      const auto key = stun::long_term_key(user_, realm_, password_);
      b.add_message_integrity(key->view());
    }
    b.add_fingerprint();
    auto bytes = b.release();
    if (!bytes) return {};
    reply = transact(*bytes, id);
    const int code = reply.code();
    const bool learn = (code == 401 && nonce_.empty()) || code == 438;
    if (!learn) return reply;
    const auto m = reply.parsed();
    if (auto r = m->get<stun::Realm>()) realm_ = std::string(r->value);
    if (auto n = m->get<stun::Nonce>()) nonce_ = std::string(n->value);
    if (!retry && code == 438) return reply;
  }
  return reply;
}

Reply TurnClient::allocate(const Fill& extra) {
  return request(stun::Method::Allocate, [&](stun::Builder& b) {
    b.add(stun::RequestedTransport{stun::kProtocolUdp});
    if (extra) extra(b);
  });
}

stun::SocketAddress TurnClient::relayed(const Reply& r) const {
  const auto m = r.parsed();
  const auto a = m->get<stun::XorRelayedAddress>();
  return a ? a->address : stun::SocketAddress{};
}

Reply TurnClient::create_permission(const stun::SocketAddress& peer) {
  return request(stun::Method::CreatePermission,
                 [&](stun::Builder& b) { b.add(stun::XorPeerAddress{peer}); });
}

Reply TurnClient::channel_bind(std::uint16_t channel, const stun::SocketAddress& peer) {
  return request(stun::Method::ChannelBind, [&](stun::Builder& b) {
    b.add(stun::ChannelNumber{channel}).add(stun::XorPeerAddress{peer});
  });
}

Reply TurnClient::refresh(std::optional<std::uint32_t> lifetime) {
  return request(stun::Method::Refresh, [&](stun::Builder& b) {
    if (lifetime) b.add(stun::Lifetime{*lifetime});
  });
}

void TurnClient::send_indication(const stun::SocketAddress& peer,
                                 std::span<const std::uint8_t> data) {
  stun::Builder b(stun::Method::Send, stun::MessageClass::Indication,
                  stun::TransactionId::random());
  b.add(stun::XorPeerAddress{peer}).add(stun::Data{data});
  t_->send(*b.finish());
}

void TurnClient::send_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data) {
  const auto framing = t_->is_stream() ? stun::Framing::Stream : stun::Framing::Datagram;
  Bytes out(stun::channel_data_encoded_size(data.size(), framing));
  const auto n = stun::encode_channel_data(out, channel, data, framing);
  out.resize(*n);
  t_->send(out);
}

std::optional<TurnClient::Incoming> TurnClient::receive_data(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Bytes got;
    if (!queued_.empty()) {
      got = std::move(queued_.front());
      queued_.erase(queued_.begin());
    } else {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto r = t_->receive(left);
      if (!r) return std::nullopt;
      got = std::move(*r);
    }
    if (stun::looks_like_channel_data(got)) {
      const auto cd = stun::parse_channel_data(
          got, t_->is_stream() ? stun::Framing::Stream : stun::Framing::Datagram);
      if (!cd) continue;
      return Incoming{std::nullopt, cd->channel, Bytes(cd->data.begin(), cd->data.end())};
    }
    const auto m = stun::Message::parse(got);
    if (!m || m->method() != stun::Method::Data ||
        m->message_class() != stun::MessageClass::Indication)
      continue;
    const auto peer = m->get<stun::XorPeerAddress>();
    const auto data = m->get<stun::Data>();
    if (!peer || !data) continue;
    return Incoming{peer->address, std::nullopt, Bytes(data->value.begin(), data->value.end())};
  }
}

Peer::Peer() : socket_(io_) {
  socket_.open(udp::v4());
  socket_.bind({asio::ip::make_address("127.0.0.1"), 0});
}

stun::SocketAddress Peer::address() const { return stun::from_endpoint(socket_.local_endpoint()); }

void Peer::send_to(const stun::SocketAddress& to, std::span<const std::uint8_t> data) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(data.data(), data.size()), stun::to_endpoint<udp::endpoint>(to), 0,
                  ec);
}

std::optional<std::pair<stun::SocketAddress, Bytes>> Peer::receive(
    std::chrono::milliseconds timeout) {
  if (!wait_readable(socket_.native_handle(), timeout)) return std::nullopt;
  Bytes buf(65536);
  udp::endpoint from;
  boost::system::error_code ec;
  const auto n = socket_.receive_from(asio::buffer(buf), from, 0, ec);
  if (ec) return std::nullopt;
  buf.resize(n);
  return std::pair{stun::from_endpoint(from), std::move(buf)};
}

}  // namespace turntest
