#pragma once

// The RTCP common header (RFC 3550 §6.4.1) and compound packets (§6.1),
// including reduced-size RTCP, a datagram with any single packet or any mix
// of packets (RFC 5506 §3). Typed parsers for the packet types are in
// rtcp_reports.hpp, rtcp_feedback.hpp and transport_cc.hpp; each takes an
// RtcpPacket from here.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <iterator>
#include <span>

#include "rtp/error.hpp"

namespace parley::rtp {

inline constexpr std::size_t kRtcpHeaderSize = 4;

// RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611.
namespace rtcp_type {
inline constexpr std::uint8_t kSenderReport = 200;
inline constexpr std::uint8_t kReceiverReport = 201;
inline constexpr std::uint8_t kSdes = 202;
inline constexpr std::uint8_t kBye = 203;
inline constexpr std::uint8_t kApp = 204;
inline constexpr std::uint8_t kRtpFeedback = 205;      // RTPFB
inline constexpr std::uint8_t kPayloadFeedback = 206;  // PSFB
inline constexpr std::uint8_t kExtendedReport = 207;   // XR
}  // namespace rtcp_type

// A view of one RTCP packet: the common header checked, the length field
// within the bytes. Points into the buffer it was parsed from.
class RtcpPacket {
 public:
  // The packet at the start of `bytes` (more may follow): version 2,
  // (length + 1) * 4 bytes available, padding (if P) at least 1 and inside
  // the body.
  static std::expected<RtcpPacket, Error> parse(std::span<const std::uint8_t> bytes);

  std::uint8_t version() const { return bytes_[0] >> 6; }
  bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
  // RC, SC or FMT, by type (5 bits).
  std::uint8_t count() const { return bytes_[0] & 0x1F; }
  std::uint8_t format() const { return count(); }
  std::uint8_t type() const { return bytes_[1]; }
  // The whole packet, header and padding included: (length + 1) * 4 bytes.
  std::span<const std::uint8_t> bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  // After the 4-byte header, without padding.
  std::span<const std::uint8_t> body() const {
    return bytes_.subspan(kRtcpHeaderSize, bytes_.size() - kRtcpHeaderSize - padding_size_);
  }
  std::size_t padding_size() const { return padding_size_; }

 private:
  friend class RtcpIterator;
  RtcpPacket() = default;
  RtcpPacket(std::span<const std::uint8_t> bytes, std::size_t padding)
      : bytes_(bytes), padding_size_(padding) {}

  std::span<const std::uint8_t> bytes_;
  std::size_t padding_size_ = 0;
};

// Walks the packets of a validated compound datagram.
class RtcpIterator {
 public:
  using value_type = RtcpPacket;
  using difference_type = std::ptrdiff_t;

  RtcpIterator() = default;
  explicit RtcpIterator(std::span<const std::uint8_t> rest) : rest_(rest) { load(); }

  const RtcpPacket& operator*() const { return current_; }
  const RtcpPacket* operator->() const { return &current_; }
  RtcpIterator& operator++() {
    rest_ = rest_.subspan(current_.size());
    load();
    return *this;
  }
  RtcpIterator operator++(int) {
    auto copy = *this;
    ++*this;
    return copy;
  }
  friend bool operator==(const RtcpIterator& it, std::default_sentinel_t) { return it.done_; }

 private:
  void load();

  std::span<const std::uint8_t> rest_;
  RtcpPacket current_;
  bool done_ = true;
};

// A validated compound (or reduced-size) RTCP datagram.
class RtcpCompound {
 public:
  // RFC 3550 §6.1 and Appendix A.2, relaxed per RFC 5506 §3.4 (any first
  // packet type, a single packet allowed): at least one packet, every packet
  // valid as RtcpPacket::parse checks, and the length fields adding up to
  // exactly the datagram's size (Error::BadLength otherwise). Packet types
  // are not judged here: unknown ones are for the caller to skip.
  static std::expected<RtcpCompound, Error> parse(std::span<const std::uint8_t> datagram);

  RtcpIterator begin() const { return RtcpIterator(bytes_); }
  std::default_sentinel_t end() const { return {}; }
  std::size_t packet_count() const { return packet_count_; }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  RtcpCompound(std::span<const std::uint8_t> bytes, std::size_t count)
      : bytes_(bytes), packet_count_(count) {}

  std::span<const std::uint8_t> bytes_;
  std::size_t packet_count_ = 0;
};

// Writes a packet with `body` (a multiple of 4 bytes, else
// Error::ValueOutOfRange) after a common header of `type` and `count`
// (0-31). Returns the bytes written. For APP and types without a builder.
std::expected<std::size_t, Error> write_rtcp_packet(std::span<std::uint8_t> out, std::uint8_t type,
                                                    std::uint8_t count,
                                                    std::span<const std::uint8_t> body);

}  // namespace parley::rtp
