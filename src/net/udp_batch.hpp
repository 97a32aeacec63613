#pragma once

// Batched UDP I/O with recvmmsg/sendmmsg over fixed, reused buffers: one
// system call moves up to kBatchSize datagrams, and nothing is allocated per
// packet. Use on non-blocking sockets (socket.native_handle()), driven by
// async_wait(wait_read).

#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace parley::net {

inline constexpr std::size_t kBatchSize = 32;
// Largest datagram relayed; media packets stay far below. Larger ones are
// seen as truncated and dropped.
inline constexpr std::size_t kMaxDatagram = 8192;

class RecvBatch {
 public:
  RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;

  // Reads what is queued, up to kBatchSize datagrams, without blocking.
  // Returns how many; 0 when nothing is waiting or on error (errno kept).
  std::size_t receive(int fd);

  std::span<const std::uint8_t> data(std::size_t i) const {
    return {buffers_.get() + i * kMaxDatagram, msgs_[i].msg_len};
  }
  // Writable view of the same bytes, for in-place rewrites.
  std::span<std::uint8_t> mutable_data(std::size_t i) {
    return {buffers_.get() + i * kMaxDatagram, msgs_[i].msg_len};
  }
  bool truncated(std::size_t i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  boost::asio::ip::udp::endpoint from(std::size_t i) const;

 private:
  void arm();

  std::array<mmsghdr, kBatchSize> msgs_{};
  std::array<iovec, kBatchSize> iov_{};
  std::array<sockaddr_storage, kBatchSize> addrs_{};
  std::unique_ptr<std::uint8_t[]> buffers_;
};

// Queues datagrams for one socket at a time and sends them with one
// sendmmsg. Queuing for another socket, or a full batch, flushes first.
// Sends never block: what the kernel will not take now is dropped, as UDP
// may.
class SendBatch {
 public:
  SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // A slot of kMaxDatagram bytes to fill for `to` on `fd`; commit(n) queues
  // its first n bytes.
  std::span<std::uint8_t> slot(int fd, const boost::asio::ip::udp::endpoint& to);
  void commit(std::size_t size);
  // slot + copy + commit. False if `data` is larger than kMaxDatagram.
  bool push(int fd, const boost::asio::ip::udp::endpoint& to, std::span<const std::uint8_t> data);
  void flush();
  std::size_t pending() const { return count_; }

 private:
  int fd_ = -1;
  std::size_t count_ = 0;
  std::array<mmsghdr, kBatchSize> msgs_{};
  std::array<iovec, kBatchSize> iov_{};
  std::array<sockaddr_storage, kBatchSize> addrs_{};
  std::unique_ptr<std::uint8_t[]> buffers_;
};

}  // namespace parley::net
