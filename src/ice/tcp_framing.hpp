#pragma once

// RFC 4571 framing for ICE-TCP (RFC 6544 §3): every STUN, DTLS, RTP and RTCP
// packet on the TCP connection is preceded by its length as a 16-bit
// big-endian number. Pure stream logic: the caller feeds whatever read()
// returned and takes out complete frames.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace parley::ice {

enum class FramingError : std::uint8_t {
  FrameTooLarge,  // a length prefix above the decoder's limit (or 65535 for encoding)
};

std::string_view to_string(FramingError error);

inline constexpr std::size_t kFrameHeaderSize = 2;
inline constexpr std::size_t kMaxRfc4571FrameSize = 0xFFFF;
// Big enough for any STUN check, DTLS record and RTP packet a WebRTC peer
// sends (they stay below the path MTU even over TCP); a peer announcing more
// is broken or hostile.
inline constexpr std::size_t kDefaultMaxFrameSize = 4096;

class TcpFrameDecoder {
 public:
  explicit TcpFrameDecoder(std::size_t max_frame_size = kDefaultMaxFrameSize);

  // Appends bytes from the stream. After an error, which is sticky, nothing
  // more is accepted: the stream can no longer be resynchronised and the
  // connection should be closed.
  std::expected<void, FramingError> feed(std::span<const std::uint8_t> bytes);

  // The next complete frame, or nothing until more bytes arrive (or after an
  // error). The span is valid until the next call to feed() or next().
  // Zero-length frames carry nothing and are skipped.
  std::optional<std::span<const std::uint8_t>> next();

  std::optional<FramingError> error() const { return error_; }
  // Bytes received but not yet returned as frames.
  std::size_t buffered() const { return buffer_.size() - read_; }
  std::size_t max_frame_size() const { return max_frame_size_; }

 private:
  // Checks the header at read_ (if there is one) against the limit.
  void check_header();

  std::size_t max_frame_size_;
  std::vector<std::uint8_t> buffer_;
  std::size_t read_ = 0;  // start of the unread part of buffer_
  std::optional<FramingError> error_;
};

// Writes the 2-byte prefix then the payload.
std::expected<std::vector<std::uint8_t>, FramingError> encode_frame(
    std::span<const std::uint8_t> payload);

// Just the prefix, for scatter/gather writes.
std::expected<std::array<std::uint8_t, kFrameHeaderSize>, FramingError> frame_header(
    std::size_t payload_size);

}  // namespace parley::ice
