#pragma once

// RTP header extensions: the one-byte and two-byte element forms of RFC 8285
// (§4.2, §4.3) inside the RFC 3550 §5.3.1 extension block, the id → kind map
// negotiated in SDP (RFC 8285 §5, a=extmap), and the values of the extensions
// WebRTC uses.
//
// Everything here reads a block that RtpPacket::parse has located; elements
// are views into the packet, never copies.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/error.hpp"

namespace parley::rtp {

// RFC 8285 §4.2: "defined by profile" value of the one-byte form.
inline constexpr std::uint16_t kOneByteExtensionProfile = 0xBEDE;
// RFC 8285 §4.3: 0x100 followed by 4 "appbits" for the two-byte form.
inline constexpr std::uint16_t kTwoByteExtensionProfile = 0x1000;

enum class ExtensionForm : std::uint8_t {
  OneByte,  // ids 1-14, 1-16 bytes of data (RFC 8285 §4.2)
  TwoByte,  // ids 1-255, 0-255 bytes of data (RFC 8285 §4.3)
};

// The form of an extension block from its profile value, or nullopt for a
// profile that RFC 8285 does not define (the block is then opaque).
std::optional<ExtensionForm> extension_form(std::uint16_t profile);

// One element: a local id and its data, a view into the packet.
struct HeaderExtension {
  std::uint8_t id = 0;
  std::span<const std::uint8_t> data;
};

// Walks the elements of an extension block, skipping padding bytes (id 0) and
// stopping at the one-byte form's id 15 (RFC 8285 §4.2). Bounds-checked on its
// own: on a malformed element it stops and sets malformed(), so iterating an
// unvalidated block is safe too.
class ExtensionIterator {
 public:
  using value_type = HeaderExtension;
  using difference_type = std::ptrdiff_t;

  ExtensionIterator() = default;
  ExtensionIterator(std::optional<ExtensionForm> form, std::span<const std::uint8_t> block);

  const HeaderExtension& operator*() const { return current_; }
  const HeaderExtension* operator->() const { return &current_; }
  ExtensionIterator& operator++() {
    advance();
    return *this;
  }
  ExtensionIterator operator++(int) {
    auto copy = *this;
    advance();
    return copy;
  }
  friend bool operator==(const ExtensionIterator& it, std::default_sentinel_t) { return it.done_; }

  // True once iteration stopped at an element that overruns the block.
  bool malformed() const { return malformed_; }

 private:
  void advance();

  std::span<const std::uint8_t> block_;
  std::size_t offset_ = 0;
  HeaderExtension current_;
  ExtensionForm form_ = ExtensionForm::OneByte;
  bool done_ = true;
  bool malformed_ = false;
};

class ExtensionRange {
 public:
  ExtensionRange() = default;
  ExtensionRange(std::optional<ExtensionForm> form, std::span<const std::uint8_t> block)
      : form_(form), block_(block) {}
  ExtensionIterator begin() const { return {form_, block_}; }
  std::default_sentinel_t end() const { return {}; }

 private:
  std::optional<ExtensionForm> form_;
  std::span<const std::uint8_t> block_;
};

// Checks that every element of the block lies inside it (RFC 8285 §4.2/§4.3).
// Blocks of other profiles are opaque and always pass.
std::expected<void, Error> validate_extension_block(std::uint16_t profile,
                                                    std::span<const std::uint8_t> block);

// The data of the first element with `id`, or nullopt.
std::optional<std::span<const std::uint8_t>> find_extension(std::uint16_t profile,
                                                            std::span<const std::uint8_t> block,
                                                            std::uint8_t id);

// --- What an id means: the a=extmap lines of the SDP ----------------------------------

enum class ExtensionKind : std::uint8_t {
  None,              // not mapped, or a URI this codec does not know
  Mid,               // RFC 8843 §15.1
  Rid,               // RFC 8852 §3.1 (RtpStreamId)
  RepairedRid,       // RFC 8852 §3.2 (RepairedRtpStreamId)
  AbsSendTime,       // webrtc.org abs-send-time
  TransportWideCc,   // draft-holmer-rmcat-transport-wide-cc-extensions-01 §2
  AudioLevel,        // RFC 6464
  VideoOrientation,  // 3GPP TS 26.114 §7.4.5 (CVO)
};
inline constexpr std::size_t kExtensionKindCount = 8;

// The kind for an a=extmap URI; ExtensionKind::None if unknown.
ExtensionKind extension_kind_from_uri(std::string_view uri);
// The URI of a kind; empty for None.
std::string_view extension_uri(ExtensionKind kind);

// id → kind, set from SDP. Ids are 1-255 (RFC 8285 §5: 1-14 for the one-byte
// form, 1-255 for the two-byte form; 0 is never an id). Each kind has at most
// one id: setting a kind at a new id unmaps its old one, and setting an id
// replaces whatever kind it had.
class ExtensionMap {
 public:
  // false (and no change) for id 0 or ExtensionKind::None.
  bool set(std::uint8_t id, ExtensionKind kind);
  // Sets the kind of a known URI; returns it, or None (and no change) if the
  // URI is unknown or the id is 0.
  ExtensionKind set(std::uint8_t id, std::string_view uri);
  void erase(std::uint8_t id);
  void clear();

  ExtensionKind kind(std::uint8_t id) const { return kinds_[id]; }
  std::optional<std::uint8_t> id_of(ExtensionKind kind) const;

 private:
  std::array<ExtensionKind, 256> kinds_{};
  std::array<std::uint8_t, kExtensionKindCount> ids_{};  // 0 = not mapped
};

// --- Extension values ---------------------------------------------------------

// RFC 6464 §3: V bit and the level in -dBov (0 loudest, 127 silence).
struct AudioLevel {
  bool voice_activity = false;
  std::uint8_t level = 127;
  friend bool operator==(const AudioLevel&, const AudioLevel&) = default;
};

// 3GPP TS 26.114 §7.4.5: 0 0 0 0 C F R1 R0.
struct VideoOrientation {
  bool back_camera = false;   // C
  bool flip = false;          // F: horizontal flip
  std::uint8_t rotation = 0;  // R1R0: quarter turns, 0-3
  unsigned degrees() const { return rotation * 90u; }
  friend bool operator==(const VideoOrientation&, const VideoOrientation&) = default;
};

// mid, rid and repaired-rid are SDES-like strings (RFC 8843 §15.1, RFC 8852
// §3): the element data itself. nullopt when empty.
std::optional<std::string_view> read_string_extension(std::span<const std::uint8_t> data);
// abs-send-time: 24-bit 6.18 fixed-point seconds.
std::optional<std::uint32_t> read_abs_send_time(std::span<const std::uint8_t> data);
// transport-wide-cc (draft-holmer-...-01 §2): 16-bit transport sequence number.
std::optional<std::uint16_t> read_transport_sequence(std::span<const std::uint8_t> data);
std::optional<AudioLevel> read_audio_level(std::span<const std::uint8_t> data);
std::optional<VideoOrientation> read_video_orientation(std::span<const std::uint8_t> data);

std::array<std::uint8_t, 3> encode_abs_send_time(std::uint32_t value);
std::array<std::uint8_t, 2> encode_transport_sequence(std::uint16_t value);
std::array<std::uint8_t, 1> encode_audio_level(AudioLevel value);
std::array<std::uint8_t, 1> encode_video_orientation(VideoOrientation value);

// abs-send-time from and to microseconds of some sender clock; the 24 bits
// wrap every 64 seconds.
constexpr std::uint32_t abs_send_time_from_us(std::uint64_t us) {
  return static_cast<std::uint32_t>(((us << 18) / 1'000'000) & 0xFFFFFF);
}
constexpr std::uint64_t abs_send_time_to_us(std::uint32_t value) {
  return (std::uint64_t{value & 0xFFFFFF} * 1'000'000) >> 18;
}

// The values of all the kinds above that a block carries, in one pass.
struct ExtensionValues {
  std::optional<std::string_view> mid;
  std::optional<std::string_view> rid;
  std::optional<std::string_view> repaired_rid;
  std::optional<std::uint32_t> abs_send_time;
  std::optional<std::uint16_t> transport_sequence;
  std::optional<AudioLevel> audio_level;
  std::optional<VideoOrientation> video_orientation;
};

ExtensionValues read_extension_values(std::uint16_t profile, std::span<const std::uint8_t> block,
                                      const ExtensionMap& map);

// --- Building -----------------------------------------------------------------

// The smallest form that can carry every element: one-byte if all ids are
// 1-14 and all data 1-16 bytes, else two-byte.
ExtensionForm choose_extension_form(std::span<const HeaderExtension> elements);

// Size of the extension block (4-byte profile/length header included, padded
// to 32 bits) that write_extension_block would write.
std::expected<std::size_t, Error> extension_block_size(std::span<const HeaderExtension> elements,
                                                       ExtensionForm form);

// Writes the RFC 3550 §5.3.1 header (profile, length in words) and the
// elements in `form`, zero-padded to 32 bits. Returns the bytes written.
std::expected<std::size_t, Error> write_extension_block(std::span<std::uint8_t> out,
                                                        std::span<const HeaderExtension> elements,
                                                        ExtensionForm form);

}  // namespace parley::rtp
