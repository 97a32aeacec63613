#pragma once

// Transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): RTPFB FMT=15,
// a base sequence number, packet status chunks (run-length, and status
// vectors of 1-bit and 2-bit symbols, §3.1.3/§3.1.4) and receive deltas
// in 250 µs ticks (§3.1.5). Parse and build.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <iterator>
#include <span>

#include "rtp/error.hpp"
#include "rtp/rtcp_packet.hpp"

namespace parley::rtp {

inline constexpr std::int64_t kTwccDeltaTickUs = 250;         // §3.1.5
inline constexpr std::int64_t kTwccReferenceTickUs = 64'000;  // §3.1: 64 ms
inline constexpr std::size_t kTwccMaxRunLength = 0x1FFF;      // 13 bits

// §3.1.1 packet status symbols.
enum class TwccSymbol : std::uint8_t {
  NotReceived = 0,
  SmallDelta = 1,  // received, delta 0-255 ticks in one byte
  LargeDelta = 2,  // received, delta as a signed 16-bit value (or negative)
};

// One packet of a parsed feedback message.
struct TwccPacket {
  std::uint16_t sequence_number = 0;
  TwccSymbol symbol = TwccSymbol::NotReceived;
  std::int32_t delta = 0;       // ticks of 250 µs since the previous received packet
  std::int64_t arrival_us = 0;  // reference time plus all deltas so far (received only)
  bool received() const { return symbol != TwccSymbol::NotReceived; }
};

// Walks the packets of a validated message in sequence order.
class TwccPacketIterator {
 public:
  using value_type = TwccPacket;
  using difference_type = std::ptrdiff_t;

  TwccPacketIterator() = default;
  TwccPacketIterator(std::span<const std::uint8_t> chunks, std::span<const std::uint8_t> deltas,
                     std::uint16_t base_sequence, std::size_t count, std::int64_t reference_us);

  const TwccPacket& operator*() const { return current_; }
  const TwccPacket* operator->() const { return &current_; }
  TwccPacketIterator& operator++() {
    load();
    return *this;
  }
  TwccPacketIterator operator++(int) {
    auto copy = *this;
    load();
    return copy;
  }
  friend bool operator==(const TwccPacketIterator& it, std::default_sentinel_t) { return it.done_; }

 private:
  void load();

  std::span<const std::uint8_t> chunks_;
  std::span<const std::uint8_t> deltas_;
  std::size_t remaining_ = 0;
  std::uint16_t chunk_ = 0;
  std::uint16_t chunk_length_ = 0;  // symbols in the current chunk
  std::uint16_t chunk_index_ = 0;   // next symbol of it
  std::uint16_t next_sequence_ = 0;
  std::int64_t clock_us_ = 0;
  TwccPacket current_;
  bool done_ = true;
};

class TransportFeedback {
 public:
  // PT=205 FMT=15. The chunks must cover the packet status count, no symbol
  // that counts may be the reserved value 3 (Error::Malformed), and the
  // receive deltas they call for must be inside the FCI (Error::Truncated).
  // Trailing bytes after the deltas (zero padding) are ignored.
  static std::expected<TransportFeedback, Error> parse(const RtcpPacket& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  std::uint32_t media_ssrc() const { return media_ssrc_; }
  std::uint16_t base_sequence() const { return base_sequence_; }
  std::uint16_t status_count() const { return status_count_; }
  // 24-bit signed, in 64 ms units (§3.1).
  std::int32_t reference_time() const { return reference_time_; }
  std::int64_t reference_time_us() const { return reference_time_ * kTwccReferenceTickUs; }
  std::uint8_t feedback_count() const { return feedback_count_; }
  std::size_t received_count() const { return received_count_; }

  TwccPacketIterator begin() const {
    return {chunks_, deltas_, base_sequence_, status_count_, reference_time_us()};
  }
  std::default_sentinel_t end() const { return {}; }

 private:
  TransportFeedback() = default;

  std::span<const std::uint8_t> chunks_;
  std::span<const std::uint8_t> deltas_;
  std::uint32_t sender_ssrc_ = 0;
  std::uint32_t media_ssrc_ = 0;
  std::uint16_t base_sequence_ = 0;
  std::uint16_t status_count_ = 0;
  std::int32_t reference_time_ = 0;
  std::uint8_t feedback_count_ = 0;
  std::size_t received_count_ = 0;
};

// One packet to report.
struct TwccStatus {
  bool received = false;
  std::int32_t delta = 0;  // ticks since the previous received packet; -32768..32767
  friend bool operator==(const TwccStatus&, const TwccStatus&) = default;
};

struct TransportFeedbackSpec {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::uint16_t base_sequence = 0;
  std::int32_t reference_time = 0;  // 64 ms units; written modulo 2^24
  std::uint8_t feedback_count = 0;
  std::span<const TwccStatus> packets;  // 1-65535, from base_sequence on
};

// Size that write_transport_feedback needs.
std::expected<std::size_t, Error> transport_feedback_size(const TransportFeedbackSpec& spec);

// Encodes the statuses with run-length chunks where a run pays and 1-bit or
// 2-bit status vectors elsewhere, then the deltas, zero-padded to 32 bits.
// Error::ValueOutOfRange for no packets, more than 65535, or a delta that
// does not fit 16 bits.
std::expected<std::size_t, Error> write_transport_feedback(std::span<std::uint8_t> out,
                                                           const TransportFeedbackSpec& spec);

// Turns arrival times (µs on the receiver's clock, negative = not received)
// into statuses for write_transport_feedback, and returns the reference time
// to send with them: the first arrival rounded down to 64 ms, modulo 2^24
// (sign-extended). Deltas are rounded to 250 µs ticks against the running
// total so that rounding errors do not add up. `out` must be as long as
// `arrival_us`. Error::ValueOutOfRange if a gap between arrivals does not
// fit 16 bits of ticks (about 8 s), or arrivals are out of order by more
// than that.
std::expected<std::int32_t, Error> twcc_statuses_from_arrivals(
    std::span<const std::int64_t> arrival_us, std::span<TwccStatus> out);

}  // namespace parley::rtp
