#pragma once
// Blocking raw TCP helpers for the ICE-TCP tests: connect, write RFC 4571
// frames (a 16-bit length, then the packet), read them back, and tell when
// the server closed the connection. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ice/tcp_framing.hpp"
#include "stun/address.hpp"

namespace parley::itest::tcp {

// An open, connected TCP socket (closed when destroyed).
class Socket {
 public:
  explicit Socket(const stun::SocketAddress& to) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(to.port);
    std::memcpy(&sa.sin_addr, to.ip.data(), 4);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  stun::SocketAddress local_address() const {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    std::array<std::uint8_t, 4> ip{};
    std::memcpy(ip.data(), &sa.sin_addr, 4);
    return stun::SocketAddress::v4(ip, ntohs(sa.sin_port));
  }

  // Writes all of `bytes`; false if the connection is gone.
  bool write(std::span<const std::uint8_t> bytes) {
    for (std::size_t off = 0; off < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool write_frame(std::span<const std::uint8_t> packet) {
    const auto framed = ice::encode_frame(packet);
    return framed && write(*framed);
  }

  // The next frame, or nothing after `timeout` or at the end of the stream.
  std::optional<std::vector<std::uint8_t>> read_frame(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto f = decoder_.next()) return std::vector<std::uint8_t>(f->begin(), f->end());
      if (eof_) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      std::array<std::uint8_t, 4096> chunk;
      const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      if (!decoder_.feed(std::span<const std::uint8_t>(chunk.data(), static_cast<std::size_t>(n))))
        eof_ = true;
    }
  }

  // True once the server closed the connection (EOF or reset) within
  // `timeout`; anything it sent before is discarded.
  bool closed_within(std::chrono::milliseconds timeout) {
    if (eof_) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<std::uint8_t, 4096> chunk;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return eof_ = true;
    }
  }

 private:
  int fd_ = -1;
  ice::TcpFrameDecoder decoder_{ice::kMaxRfc4571FrameSize};
  bool eof_ = false;
};

}  // namespace parley::itest::tcp
