#pragma once

// RTCP feedback messages (RFC 4585 §6.1 common format): generic NACK
// (§6.2.1), PLI (§6.3.1), FIR (RFC 5104 §4.3.1) and REMB
// (draft-alvestrand-rmcat-remb-03 §2.2). Transport-wide congestion control
// feedback, also an RTPFB message, is in transport_cc.hpp.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "rtp/error.hpp"
#include "rtp/record_range.hpp"
#include "rtp/rtcp_packet.hpp"

namespace parley::rtp {

// FMT values of PT=205 (RTPFB) and PT=206 (PSFB).
namespace rtpfb_format {
inline constexpr std::uint8_t kNack = 1;          // RFC 4585 §6.2.1
inline constexpr std::uint8_t kTransportCc = 15;  // draft-holmer-...-01 §3.1
}  // namespace rtpfb_format
namespace psfb_format {
inline constexpr std::uint8_t kPli = 1;   // RFC 4585 §6.3.1
inline constexpr std::uint8_t kFir = 4;   // RFC 5104 §4.3.1
inline constexpr std::uint8_t kAfb = 15;  // RFC 4585 §6.4, REMB rides on it
}  // namespace psfb_format

// RFC 4585 §6.1: the fields every feedback message shares.
struct Feedback {
  std::uint8_t type = 0;    // 205 or 206
  std::uint8_t format = 0;  // FMT
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::span<const std::uint8_t> fci;  // feedback control information

  // PT 205 or 206 (Error::WrongType otherwise) with both SSRCs present.
  static std::expected<Feedback, Error> parse(const RtcpPacket& packet);
};

// --- Generic NACK (RFC 4585 §6.2.1) ------------------------------------------------

// PID: a lost packet; BLP bit i: packet PID + i + 1 lost as well.
struct NackItem {
  static constexpr std::size_t kSize = 4;
  std::uint16_t pid = 0;
  std::uint16_t blp = 0;

  static NackItem read(const std::uint8_t* p);
  // Calls f(sequence_number) for PID, then each BLP bit in order.
  template <typename F>
  void for_each(F&& f) const {
    f(pid);
    for (unsigned i = 0; i < 16; ++i) {
      if ((blp >> i) & 1u) f(static_cast<std::uint16_t>(pid + i + 1));
    }
  }
  friend bool operator==(const NackItem&, const NackItem&) = default;
};

struct Nack {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  RecordRange<NackItem> items;

  // PT=205 FMT=1 with at least one FCI item; a trailing partial item is an
  // error (Error::Malformed).
  static std::expected<Nack, Error> parse(const RtcpPacket& packet);

  // Calls f(sequence_number) for each lost packet, in the order carried.
  template <typename F>
  void for_each_lost(F&& f) const {
    for (const NackItem item : items) item.for_each(f);
  }
  // Writes the lost sequence numbers into `out` (up to its size) and returns
  // how many there are in all, which may be more than were written.
  std::size_t expand(std::span<std::uint16_t> out) const;
};

// How many FCI items write_nack packs `lost` into.
std::size_t nack_item_count(std::span<const std::uint16_t> lost);
// Packs the list into PID+BLP items greedily in the order given (a sorted
// list packs tightest; duplicates of the current PID are dropped) and writes
// the message. Error::ValueOutOfRange for an empty list.
std::expected<std::size_t, Error> write_nack(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                             std::uint32_t media_ssrc,
                                             std::span<const std::uint16_t> lost);
std::expected<std::size_t, Error> write_nack(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                             std::uint32_t media_ssrc,
                                             std::span<const NackItem> items);

// --- PLI (RFC 4585 §6.3.1) ------------------------------------------------------

// PT=206 FMT=1 (no FCI). A PLI with FCI bytes is still a PLI.
bool is_pli(const Feedback& feedback);
std::expected<std::size_t, Error> write_pli(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                            std::uint32_t media_ssrc);

// --- FIR (RFC 5104 §4.3.1) ------------------------------------------------------

struct FirEntry {
  static constexpr std::size_t kSize = 8;
  std::uint32_t ssrc = 0;            // the media sender asked for a decoder refresh
  std::uint8_t sequence_number = 0;  // command sequence number

  static FirEntry read(const std::uint8_t* p);
  friend bool operator==(const FirEntry&, const FirEntry&) = default;
};

struct Fir {
  std::uint32_t sender_ssrc = 0;
  RecordRange<FirEntry> entries;

  // PT=206 FMT=4 with at least one whole entry.
  static std::expected<Fir, Error> parse(const RtcpPacket& packet);
};

// Media source SSRC 0 as §4.3.1.2 requires; at least one entry.
std::expected<std::size_t, Error> write_fir(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                            std::span<const FirEntry> entries);

// --- REMB (draft-alvestrand-rmcat-remb-03 §2.2) -------------------------------

struct Remb {
  std::uint32_t sender_ssrc = 0;
  std::uint64_t bitrate_bps = 0;  // mantissa << exponent, saturated to 2^64-1
  RecordRange<std::uint32_t> ssrcs;

  // PT=206 FMT=15, the "REMB" identifier, and Num SSRC SSRCs inside the FCI.
  static std::expected<Remb, Error> parse(const RtcpPacket& packet);
};

// The 6-bit exponent and 18-bit mantissa for `bitrate_bps`, rounded down.
struct RembBitrate {
  std::uint8_t exponent = 0;
  std::uint32_t mantissa = 0;
};
RembBitrate encode_remb_bitrate(std::uint64_t bitrate_bps);

// At most 255 SSRCs. Media source SSRC 0 as the draft requires.
std::expected<std::size_t, Error> write_remb(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                             std::uint64_t bitrate_bps,
                                             std::span<const std::uint32_t> ssrcs);

}  // namespace parley::rtp
