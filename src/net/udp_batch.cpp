#include "net/udp_batch.hpp"

#include <cerrno>
#include <cstring>

namespace parley::net {

RecvBatch::RecvBatch() : buffers_(new std::uint8_t[kBatchSize * kMaxDatagram]) {}

void RecvBatch::arm() {
  for (std::size_t i = 0; i < kBatchSize; ++i) {
    iov_[i] = {buffers_.get() + i * kMaxDatagram, kMaxDatagram};
    msgs_[i].msg_hdr = {};
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_len = 0;
  }
}

std::size_t RecvBatch::receive(int fd) {
  arm();
  int n;
  do {
    n = ::recvmmsg(fd, msgs_.data(), kBatchSize, MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

boost::asio::ip::udp::endpoint RecvBatch::from(std::size_t i) const {
  boost::asio::ip::udp::endpoint ep;
  const auto len = msgs_[i].msg_hdr.msg_namelen;
  if (len > 0 && len <= ep.capacity()) {
    std::memcpy(ep.data(), &addrs_[i], len);
    ep.resize(len);
  }
  return ep;
}

SendBatch::SendBatch() : buffers_(new std::uint8_t[kBatchSize * kMaxDatagram]) {}

std::span<std::uint8_t> SendBatch::slot(int fd, const boost::asio::ip::udp::endpoint& to) {
  if ((fd != fd_ && count_ > 0) || count_ == kBatchSize) flush();
  fd_ = fd;
  std::memcpy(&addrs_[count_], to.data(), to.size());
  msgs_[count_].msg_hdr = {};
  msgs_[count_].msg_hdr.msg_name = &addrs_[count_];
  msgs_[count_].msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
  return {buffers_.get() + count_ * kMaxDatagram, kMaxDatagram};
}

void SendBatch::commit(std::size_t size) {
  iov_[count_] = {buffers_.get() + count_ * kMaxDatagram, size};
  msgs_[count_].msg_hdr.msg_iov = &iov_[count_];
  msgs_[count_].msg_hdr.msg_iovlen = 1;
  ++count_;
}

bool SendBatch::push(int fd, const boost::asio::ip::udp::endpoint& to,
                     std::span<const std::uint8_t> data) {
  if (data.size() > kMaxDatagram) return false;
  const auto out = slot(fd, to);
  std::memcpy(out.data(), data.data(), data.size());
  commit(data.size());
  return true;
}

void SendBatch::flush() {
  std::size_t sent = 0;
  while (sent < count_) {
    const int n = ::sendmmsg(fd_, msgs_.data() + sent, static_cast<unsigned>(count_ - sent),
                             MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: the socket buffer is full. Other errors (ICMP-reported
      // unreachable peers, ...) concern the first datagram only: skip it.
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(n);
  }
  count_ = 0;
}

}  // namespace parley::net
