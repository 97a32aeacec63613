#include "ice/tcp_framing.hpp"

#include <algorithm>

namespace parley::ice {

std::string_view to_string(FramingError error) {
  switch (error) {
    case FramingError::FrameTooLarge: return "frame larger than allowed";
  }
  return "unknown framing error";
}

TcpFrameDecoder::TcpFrameDecoder(std::size_t max_frame_size)
    : max_frame_size_(std::min(max_frame_size, kMaxRfc4571FrameSize)) {}

void TcpFrameDecoder::check_header() {
  if (error_ || buffered() < kFrameHeaderSize) return;
  const std::size_t length = (std::size_t{buffer_[read_]} << 8) | buffer_[read_ + 1];
  if (length > max_frame_size_) {
    error_ = FramingError::FrameTooLarge;
    buffer_.clear();
    buffer_.shrink_to_fit();
    read_ = 0;
  }
}

std::expected<void, FramingError> TcpFrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (error_) return std::unexpected(*error_);
  // Drop what next() already handed out (its span is invalidated by contract).
  if (read_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  // Refuse an oversized frame as soon as its header is in, without waiting
  // for (and buffering) its body.
  check_header();
  if (error_) return std::unexpected(*error_);
  return {};
}

std::optional<std::span<const std::uint8_t>> TcpFrameDecoder::next() {
  while (!error_ && buffered() >= kFrameHeaderSize) {
    check_header();
    if (error_) break;
    const std::size_t length = (std::size_t{buffer_[read_]} << 8) | buffer_[read_ + 1];
    if (buffered() < kFrameHeaderSize + length) break;  // partial frame: wait
    const std::size_t start = read_ + kFrameHeaderSize;
    read_ = start + length;
    if (length == 0) continue;
    return std::span<const std::uint8_t>(buffer_).subspan(start, length);
  }
  // Everything consumed: reuse the buffer from its start.
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  }
  return std::nullopt;
}

std::expected<std::array<std::uint8_t, kFrameHeaderSize>, FramingError> frame_header(
    std::size_t payload_size) {
  if (payload_size > kMaxRfc4571FrameSize) return std::unexpected(FramingError::FrameTooLarge);
  return std::array<std::uint8_t, kFrameHeaderSize>{static_cast<std::uint8_t>(payload_size >> 8),
                                                     static_cast<std::uint8_t>(payload_size)};
}

std::expected<std::vector<std::uint8_t>, FramingError> encode_frame(
    std::span<const std::uint8_t> payload) {
  const auto header = frame_header(payload.size());
  if (!header) return std::unexpected(header.error());
  std::vector<std::uint8_t> out;
  out.reserve(kFrameHeaderSize + payload.size());
  out.insert(out.end(), header->begin(), header->end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace parley::ice
