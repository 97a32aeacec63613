#pragma once

// The RTP fixed header, CSRC list, header extension block and padding
// (RFC 3550 §5.1, §5.3.1), parsed in place. The SFU parses every packet it
// receives with RtpPacket::parse and rewrites SSRC, sequence number and
// timestamp through MutableRtpPacket without copying.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "rtp/error.hpp"
#include "rtp/header_extensions.hpp"

namespace parley::rtp {

inline constexpr std::size_t kRtpHeaderSize = 12;  // RFC 3550 §5.1, without CSRCs
inline constexpr std::uint8_t kRtpVersion = 2;
inline constexpr std::size_t kMaxCsrcCount = 15;

// A validated view of one RTP packet. Everything it returns points into the
// buffer given to parse(); keep that buffer alive while the view is used.
class RtpPacket {
 public:
  // RFC 3550 §5.1: version 2; the CSRC list, the extension block (§5.3.1)
  // and the padding (count in the last byte, at least 1, no larger than what
  // follows the header) all inside the datagram. RFC 8285 blocks are walked
  // so that no element overruns (Error::BadExtension).
  static std::expected<RtpPacket, Error> parse(std::span<const std::uint8_t> datagram);

  std::uint8_t version() const { return bytes_[0] >> 6; }
  bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
  bool has_extension() const { return (bytes_[0] & 0x10) != 0; }
  std::uint8_t csrc_count() const { return bytes_[0] & 0x0F; }
  bool marker() const { return (bytes_[1] & 0x80) != 0; }
  std::uint8_t payload_type() const { return bytes_[1] & 0x7F; }
  std::uint16_t sequence_number() const;
  std::uint32_t timestamp() const;
  std::uint32_t ssrc() const;
  // i < csrc_count().
  std::uint32_t csrc(std::size_t i) const;

  // The extension block without its 4-byte header, and the profile value
  // from that header (0 and empty when there is no extension).
  std::uint16_t extension_profile() const { return extension_profile_; }
  std::span<const std::uint8_t> extension_block() const {
    return bytes_.subspan(extension_offset_, extension_size_);
  }
  // The RFC 8285 elements (none for other profiles).
  ExtensionRange extensions() const {
    return {extension_form(extension_profile_), extension_block()};
  }
  // Data of the first element with `id`.
  std::optional<std::span<const std::uint8_t>> extension(std::uint8_t id) const {
    return find_extension(extension_profile_, extension_block(), id);
  }
  // The values of the mapped extensions, in one pass.
  ExtensionValues extension_values(const ExtensionMap& map) const {
    return read_extension_values(extension_profile_, extension_block(), map);
  }

  // Header, CSRCs and extension block: the offset of the payload.
  std::size_t header_size() const { return header_size_; }
  std::span<const std::uint8_t> payload() const {
    return bytes_.subspan(header_size_, bytes_.size() - header_size_ - padding_size_);
  }
  // Padding bytes including the count byte; 0 without the P bit.
  std::size_t padding_size() const { return padding_size_; }
  std::size_t size() const { return bytes_.size(); }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  RtpPacket() = default;
  friend class MutableRtpPacket;

  std::span<const std::uint8_t> bytes_;
  std::size_t header_size_ = 0;
  std::size_t extension_offset_ = 0;
  std::size_t extension_size_ = 0;
  std::size_t padding_size_ = 0;
  std::uint16_t extension_profile_ = 0;
};

// The same view over writable bytes, for rewriting header fields in place.
class MutableRtpPacket {
 public:
  static std::expected<MutableRtpPacket, Error> parse(std::span<std::uint8_t> datagram);

  // A view over `copy`, a byte-for-byte copy of the packet `parsed` was
  // parsed from (the SFU copies a cached packet into a send buffer per
  // subscriber), without parsing again. Error::BadLength if the sizes differ.
  static std::expected<MutableRtpPacket, Error> rebind(std::span<std::uint8_t> copy,
                                                       const RtpPacket& parsed);

  const RtpPacket& view() const { return view_; }

  void set_marker(bool marker);
  void set_payload_type(std::uint8_t payload_type);  // low 7 bits
  void set_sequence_number(std::uint16_t sequence_number);
  void set_timestamp(std::uint32_t timestamp);
  void set_ssrc(std::uint32_t ssrc);

  std::span<std::uint8_t> payload() {
    return bytes_.subspan(view_.header_size_,
                          bytes_.size() - view_.header_size_ - view_.padding_size_);
  }
  std::span<std::uint8_t> bytes() { return bytes_; }

  // Data of the first element with `id`, writable.
  std::optional<std::span<std::uint8_t>> extension(std::uint8_t id);
  // Overwrites the data of element `id` with `value` of the same size
  // (Error::NotPresent if absent, Error::ValueOutOfRange if sizes differ).
  std::expected<void, Error> set_extension(std::uint8_t id, std::span<const std::uint8_t> value);

 private:
  MutableRtpPacket(std::span<std::uint8_t> bytes, RtpPacket view) : bytes_(bytes), view_(view) {}

  std::span<std::uint8_t> bytes_;
  RtpPacket view_;
};

// What write_rtp_packet writes.
struct RtpPacketSpec {
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0-127
  std::uint16_t sequence_number = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint32_t> csrcs;  // at most 15
  std::span<const HeaderExtension> extensions;
  std::optional<ExtensionForm> extension_form;  // default: choose_extension_form
  std::span<const std::uint8_t> payload;        // may overlap `out`
  std::uint8_t padding = 0;                     // padding bytes to append, 0 = none
};

// The size write_rtp_packet needs for `spec`.
std::expected<std::size_t, Error> rtp_packet_size(const RtpPacketSpec& spec);

// Writes a whole RTP packet into `out`; returns the bytes used. No extension
// block is written when spec.extensions is empty.
std::expected<std::size_t, Error> write_rtp_packet(std::span<std::uint8_t> out,
                                                   const RtpPacketSpec& spec);

// RFC 5761 §4: an RTP/RTCP-muxed datagram is RTCP when its second byte (the
// RTCP packet type) is 192-223. Only the first two bytes are looked at.
bool looks_like_rtcp(std::span<const std::uint8_t> datagram);
// Version 2, at least a fixed header, and not RTCP by the rule above.
bool looks_like_rtp(std::span<const std::uint8_t> datagram);

}  // namespace parley::rtp
