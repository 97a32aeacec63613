#pragma once

// VP9 RTP payload descriptor (RFC 9628, formerly draft-ietf-payload-vp9,
// §4.2), flexible and non-flexible modes, with the scalability structure
// (§4.2.1), parsed in place.
//
//        0 1 2 3 4 5 6 7
//       +-+-+-+-+-+-+-+-+
//       |I|P|L|F|B|E|V|Z| (REQUIRED)
//       +-+-+-+-+-+-+-+-+
//  I:   |M| PICTURE ID  | (if I; M: a second byte, 15-bit id)
//       +-+-+-+-+-+-+-+-+
//  L:   |  TID  |U| SID |D| (if L)
//       +-+-+-+-+-+-+-+-+
//       |   TL0PICIDX   | (if L and not F)
//       +-+-+-+-+-+-+-+-+
//  P,F: | P_DIFF      |N| (if P and F; up to 3 times, N = another follows)
//       +-+-+-+-+-+-+-+-+
//  V:   | SS            | (if V)

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "rtp/error.hpp"

namespace parley::rtp {

inline constexpr std::size_t kVp9MaxRefPics = 3;
inline constexpr std::size_t kVp9MaxSpatialLayers = 8;

// §4.2.1: one picture of the picture group description.
struct Vp9GroupPicture {
  std::uint8_t tid = 0;  // 0-7
  bool switching_up = false;
  std::uint8_t num_refs = 0;  // R, 0-3
  std::array<std::uint8_t, kVp9MaxRefPics> p_diff{};
  friend bool operator==(const Vp9GroupPicture&, const Vp9GroupPicture&) = default;
};

// §4.2.1 scalability structure.
struct Vp9ScalabilityStructure {
  std::uint8_t spatial_layers = 1;  // N_S + 1, 1-8
  bool has_resolution = false;      // Y
  std::array<std::uint16_t, kVp9MaxSpatialLayers> width{};
  std::array<std::uint16_t, kVp9MaxSpatialLayers> height{};
  bool has_group = false;               // G
  std::uint8_t group_size = 0;          // N_G
  std::span<const std::uint8_t> group;  // the N_G descriptions (parse only)

  // Decodes up to out.size() pictures of the group description; returns
  // how many were decoded.
  std::size_t pictures(std::span<Vp9GroupPicture> out) const;
};

struct Vp9Descriptor {
  bool inter_picture_predicted = false;     // P
  bool flexible = false;                    // F
  bool begin_of_frame = false;              // B
  bool end_of_frame = false;                // E
  bool not_reference_for_upper = false;     // Z
  std::optional<std::uint16_t> picture_id;  // I: 7 or 15 bits
  bool long_picture_id = false;             // M
  // L: layer indices.
  std::optional<std::uint8_t> tid;          // 0-7
  std::optional<std::uint8_t> sid;          // 0-7
  bool switching_up = false;                // U
  bool inter_layer_dependent = false;       // D
  std::optional<std::uint8_t> tl0_pic_idx;  // non-flexible mode with L
  // Flexible mode with P: reference picture differences.
  std::uint8_t num_ref_pics = 0;
  std::array<std::uint8_t, kVp9MaxRefPics> p_diff{};
  std::optional<Vp9ScalabilityStructure> ss;  // V

  // Set by parsing only.
  std::size_t size = 0;
  // Start of a frame, not inter-picture predicted, lowest spatial layer.
  bool keyframe = false;

  // Error::Truncated if a field runs past the payload or no VP9 data byte
  // follows; Error::Malformed for a fourth P_DIFF or a zero P_DIFF.
  static std::expected<Vp9Descriptor, Error> parse(std::span<const std::uint8_t> payload);
};

// For building (tests, and a forwarder that writes its own descriptors):
// `group_pictures` is the SS picture group when d.ss->has_group.
std::expected<std::size_t, Error> write_vp9_descriptor(
    std::span<std::uint8_t> out, const Vp9Descriptor& d,
    std::span<const Vp9GroupPicture> group_pictures = {});

// In place, keeping the layout (7 or 15 bits). Error::NotPresent if absent.
std::expected<void, Error> vp9_set_picture_id(std::span<std::uint8_t> payload,
                                              std::uint16_t picture_id);
std::expected<void, Error> vp9_set_tl0_pic_idx(std::span<std::uint8_t> payload,
                                               std::uint8_t tl0_pic_idx);

}  // namespace parley::rtp
