#pragma once

// RTCP reports: SR (RFC 3550 §6.4.1), RR (§6.4.2), SDES (§6.5), BYE (§6.6).
// Parsers take an RtcpPacket of the matching type and return views into it.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/error.hpp"
#include "rtp/record_range.hpp"
#include "rtp/rtcp_packet.hpp"

namespace parley::rtp {

inline constexpr std::size_t kMaxReportBlocks = 31;  // RC is 5 bits

// §6.4.1: one reception report block (24 bytes).
struct ReportBlock {
  static constexpr std::size_t kSize = 24;

  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;    // fixed point, /256
  std::int32_t cumulative_lost = 0;  // 24-bit signed
  std::uint32_t extended_highest_sequence = 0;
  std::uint32_t jitter = 0;               // timestamp units
  std::uint32_t last_sr = 0;              // middle 32 bits of the NTP timestamp
  std::uint32_t delay_since_last_sr = 0;  // 1/65536 s

  static ReportBlock read(const std::uint8_t* p);
  void write(std::uint8_t* p) const;  // cumulative_lost clamped to 24 bits
  friend bool operator==(const ReportBlock&, const ReportBlock&) = default;
};

// §6.4.1: the sender info of an SR.
struct SenderInfo {
  std::uint64_t ntp_timestamp = 0;  // 32.32 fixed-point seconds since 1900
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  friend bool operator==(const SenderInfo&, const SenderInfo&) = default;
};

// RFC 3550 §4: wall-clock time as NTP, seconds since 1900 in 32.32 fixed point.
std::uint64_t ntp_time(std::chrono::system_clock::time_point time);

// The middle 32 bits of a 64-bit NTP timestamp: an SR's id in LSR (§6.4.1).
constexpr std::uint32_t compact_ntp(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

struct SenderReport {
  std::uint32_t sender_ssrc = 0;
  SenderInfo info;
  RecordRange<ReportBlock> report_blocks;
  std::span<const std::uint8_t> profile_extension;  // bytes after the blocks, if any

  // PT=200; body holds the sender info and RC blocks (Error::Truncated if not).
  static std::expected<SenderReport, Error> parse(const RtcpPacket& packet);
};

struct ReceiverReport {
  std::uint32_t sender_ssrc = 0;
  RecordRange<ReportBlock> report_blocks;
  std::span<const std::uint8_t> profile_extension;

  // PT=201; body holds the SSRC and RC blocks.
  static std::expected<ReceiverReport, Error> parse(const RtcpPacket& packet);
};

// At most 31 blocks. Returns the bytes written.
std::expected<std::size_t, Error> write_sender_report(std::span<std::uint8_t> out,
                                                      std::uint32_t sender_ssrc,
                                                      const SenderInfo& info,
                                                      std::span<const ReportBlock> blocks = {});
std::expected<std::size_t, Error> write_receiver_report(std::span<std::uint8_t> out,
                                                        std::uint32_t sender_ssrc,
                                                        std::span<const ReportBlock> blocks = {});

// --- SDES (§6.5) --------------------------------------------------------------

namespace sdes_type {
inline constexpr std::uint8_t kEnd = 0;
inline constexpr std::uint8_t kCname = 1;
inline constexpr std::uint8_t kName = 2;
inline constexpr std::uint8_t kEmail = 3;
inline constexpr std::uint8_t kPhone = 4;
inline constexpr std::uint8_t kLoc = 5;
inline constexpr std::uint8_t kTool = 6;
inline constexpr std::uint8_t kNote = 7;
inline constexpr std::uint8_t kPriv = 8;
}  // namespace sdes_type

struct SdesItem {
  std::uint8_t type = 0;
  std::string_view value;  // up to 255 bytes
  friend bool operator==(const SdesItem&, const SdesItem&) = default;
};

// The items of one chunk (before its null terminator).
class SdesItemIterator {
 public:
  using value_type = SdesItem;
  using difference_type = std::ptrdiff_t;

  SdesItemIterator() = default;
  explicit SdesItemIterator(std::span<const std::uint8_t> items) : rest_(items) { load(); }
  const SdesItem& operator*() const { return current_; }
  const SdesItem* operator->() const { return &current_; }
  SdesItemIterator& operator++() {
    load();
    return *this;
  }
  SdesItemIterator operator++(int) {
    auto copy = *this;
    load();
    return copy;
  }
  friend bool operator==(const SdesItemIterator& it, std::default_sentinel_t) { return it.done_; }

 private:
  void load();
  std::span<const std::uint8_t> rest_;
  SdesItem current_;
  bool done_ = true;
};

struct SdesChunk {
  std::uint32_t ssrc = 0;
  std::span<const std::uint8_t> item_bytes;  // the items, terminator excluded

  struct Items {
    std::span<const std::uint8_t> bytes;
    SdesItemIterator begin() const { return SdesItemIterator(bytes); }
    std::default_sentinel_t end() const { return {}; }
  };
  Items items() const { return {item_bytes}; }
  // The first item of `type`.
  std::optional<std::string_view> find(std::uint8_t type) const;
  std::optional<std::string_view> cname() const { return find(sdes_type::kCname); }
};

class SdesChunkIterator {
 public:
  using value_type = SdesChunk;
  using difference_type = std::ptrdiff_t;

  SdesChunkIterator() = default;
  SdesChunkIterator(std::span<const std::uint8_t> body, std::size_t count)
      : rest_(body), remaining_(count) {
    load();
  }
  const SdesChunk& operator*() const { return current_; }
  const SdesChunk* operator->() const { return &current_; }
  SdesChunkIterator& operator++() {
    load();
    return *this;
  }
  SdesChunkIterator operator++(int) {
    auto copy = *this;
    load();
    return copy;
  }
  friend bool operator==(const SdesChunkIterator& it, std::default_sentinel_t) { return it.done_; }

 private:
  void load();
  std::span<const std::uint8_t> rest_;
  std::size_t remaining_ = 0;
  SdesChunk current_;
  bool done_ = true;
};

class Sdes {
 public:
  // PT=202: SC chunks, each an SSRC, items that stay inside the body, a null
  // terminator and zero padding to the next 32-bit boundary.
  static std::expected<Sdes, Error> parse(const RtcpPacket& packet);

  std::size_t chunk_count() const { return count_; }
  SdesChunkIterator begin() const { return {body_, count_}; }
  std::default_sentinel_t end() const { return {}; }

 private:
  Sdes(std::span<const std::uint8_t> body, std::size_t count) : body_(body), count_(count) {}
  std::span<const std::uint8_t> body_;
  std::size_t count_ = 0;
};

struct SdesChunkSpec {
  std::uint32_t ssrc = 0;
  std::span<const SdesItem> items;  // type 1-255, values up to 255 bytes
};

// At most 31 chunks. Returns the bytes written.
std::expected<std::size_t, Error> write_sdes(std::span<std::uint8_t> out,
                                             std::span<const SdesChunkSpec> chunks);
// One chunk with a CNAME: what every compound packet carries (§6.1).
std::expected<std::size_t, Error> write_sdes_cname(std::span<std::uint8_t> out, std::uint32_t ssrc,
                                                   std::string_view cname);

// --- BYE (§6.6) ----------------------------------------------------------------

struct Bye {
  RecordRange<std::uint32_t> ssrcs;
  std::optional<std::string_view> reason;

  // PT=203: SC SSRCs inside the body; a reason, if present, also inside.
  static std::expected<Bye, Error> parse(const RtcpPacket& packet);
};

// At most 31 SSRCs and a reason of at most 255 bytes (none if empty).
std::expected<std::size_t, Error> write_bye(std::span<std::uint8_t> out,
                                            std::span<const std::uint32_t> ssrcs,
                                            std::string_view reason = {});

}  // namespace parley::rtp
