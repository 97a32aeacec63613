#include "rtp/header_extensions.hpp"

#include <algorithm>
#include <cstring>

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

std::optional<ExtensionForm> extension_form(std::uint16_t profile) {
  if (profile == kOneByteExtensionProfile) return ExtensionForm::OneByte;
  if ((profile & 0xFFF0) == kTwoByteExtensionProfile) return ExtensionForm::TwoByte;
  return std::nullopt;
}

ExtensionIterator::ExtensionIterator(std::optional<ExtensionForm> form,
                                     std::span<const std::uint8_t> block)
    : block_(block), form_(form.value_or(ExtensionForm::OneByte)), done_(!form.has_value()) {
  if (!done_) advance();
}

void ExtensionIterator::advance() {
  if (done_) return;
  const std::size_t size = block_.size();
  // Padding bytes (id 0) may sit between elements (RFC 8285 §4.2, §4.3); in
  // the one-byte form a byte with id 0 is padding whatever its L bits say.
  while (offset_ < size && (block_[offset_] == 0 ||
                            (form_ == ExtensionForm::OneByte && (block_[offset_] >> 4) == 0))) {
    ++offset_;
  }
  if (offset_ >= size) {
    done_ = true;
    return;
  }
  const std::uint8_t first = block_[offset_];
  std::size_t header = 0;
  std::size_t length = 0;
  std::uint8_t id = 0;
  if (form_ == ExtensionForm::OneByte) {
    // §4.2: ID (4 bits) and L (4 bits), data is L+1 bytes.
    id = first >> 4;
    if (id == 15) {  // reserved: stop processing the block
      done_ = true;
      return;
    }
    header = 1;
    length = (first & 0x0F) + 1u;
  } else {
    // §4.3: ID (8 bits) and length (8 bits), data is length bytes.
    id = first;
    if (size - offset_ < 2) {
      done_ = true;
      malformed_ = true;
      return;
    }
    header = 2;
    length = block_[offset_ + 1];
  }
  if (size - offset_ - header < length) {
    done_ = true;
    malformed_ = true;
    return;
  }
  current_ = HeaderExtension{id, block_.subspan(offset_ + header, length)};
  offset_ += header + length;
}

std::expected<void, Error> validate_extension_block(std::uint16_t profile,
                                                    std::span<const std::uint8_t> block) {
  const auto form = extension_form(profile);
  if (!form) return {};
  ExtensionIterator it(form, block);
  while (it != std::default_sentinel) ++it;
  if (it.malformed()) return std::unexpected(Error::BadExtension);
  return {};
}

std::optional<std::span<const std::uint8_t>> find_extension(std::uint16_t profile,
                                                            std::span<const std::uint8_t> block,
                                                            std::uint8_t id) {
  if (id == 0) return std::nullopt;
  for (const auto& element : ExtensionRange(extension_form(profile), block)) {
    if (element.id == id) return element.data;
  }
  return std::nullopt;
}

// --- Kinds and the map -----------------------------------------------------------

namespace {

struct KnownUri {
  ExtensionKind kind;
  std::string_view uri;
};

constexpr std::array<KnownUri, kExtensionKindCount - 1> kUris = {{
    {ExtensionKind::Mid, "urn:ietf:params:rtp-hdrext:sdes:mid"},
    {ExtensionKind::Rid, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"},
    {ExtensionKind::RepairedRid, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"},
    {ExtensionKind::AbsSendTime, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"},
    {ExtensionKind::TransportWideCc,
     "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"},
    {ExtensionKind::AudioLevel, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"},
    {ExtensionKind::VideoOrientation, "urn:3gpp:video-orientation"},
}};

}  // namespace

ExtensionKind extension_kind_from_uri(std::string_view uri) {
  for (const auto& known : kUris) {
    if (known.uri == uri) return known.kind;
  }
  return ExtensionKind::None;
}

std::string_view extension_uri(ExtensionKind kind) {
  for (const auto& known : kUris) {
    if (known.kind == kind) return known.uri;
  }
  return {};
}

bool ExtensionMap::set(std::uint8_t id, ExtensionKind kind) {
  const auto k = static_cast<std::size_t>(kind);
  if (id == 0 || kind == ExtensionKind::None || k >= kExtensionKindCount) return false;
  erase(id);
  if (ids_[k] != 0) kinds_[ids_[k]] = ExtensionKind::None;
  kinds_[id] = kind;
  ids_[k] = id;
  return true;
}

ExtensionKind ExtensionMap::set(std::uint8_t id, std::string_view uri) {
  const ExtensionKind kind = extension_kind_from_uri(uri);
  return set(id, kind) ? kind : ExtensionKind::None;
}

void ExtensionMap::erase(std::uint8_t id) {
  const auto k = static_cast<std::size_t>(kinds_[id]);
  if (k != 0 && ids_[k] == id) ids_[k] = 0;
  kinds_[id] = ExtensionKind::None;
}

void ExtensionMap::clear() {
  kinds_.fill(ExtensionKind::None);
  ids_.fill(0);
}

std::optional<std::uint8_t> ExtensionMap::id_of(ExtensionKind kind) const {
  const auto k = static_cast<std::size_t>(kind);
  if (k == 0 || k >= kExtensionKindCount || ids_[k] == 0) return std::nullopt;
  return ids_[k];
}

// --- Values ----------------------------------------------------------------------

std::optional<std::string_view> read_string_extension(std::span<const std::uint8_t> data) {
  if (data.empty()) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(data.data()), data.size());
}

std::optional<std::uint32_t> read_abs_send_time(std::span<const std::uint8_t> data) {
  if (data.size() != 3) return std::nullopt;
  return detail::load_u24(data.data());
}

std::optional<std::uint16_t> read_transport_sequence(std::span<const std::uint8_t> data) {
  // Version -01 carries exactly 2 bytes; accept the longer -02 layout too,
  // whose first two bytes are the same sequence number.
  if (data.size() < 2) return std::nullopt;
  return detail::load_u16(data.data());
}

std::optional<AudioLevel> read_audio_level(std::span<const std::uint8_t> data) {
  // RFC 6464 §3: V | level (7 bits). Some senders pad the element; the first
  // byte is the value either way.
  if (data.empty()) return std::nullopt;
  return AudioLevel{(data[0] & 0x80) != 0, static_cast<std::uint8_t>(data[0] & 0x7F)};
}

std::optional<VideoOrientation> read_video_orientation(std::span<const std::uint8_t> data) {
  if (data.empty()) return std::nullopt;
  return VideoOrientation{(data[0] & 0x08) != 0, (data[0] & 0x04) != 0,
                          static_cast<std::uint8_t>(data[0] & 0x03)};
}

std::array<std::uint8_t, 3> encode_abs_send_time(std::uint32_t value) {
  std::array<std::uint8_t, 3> out{};
  detail::store_u24(out.data(), value & 0xFFFFFF);
  return out;
}

std::array<std::uint8_t, 2> encode_transport_sequence(std::uint16_t value) {
  std::array<std::uint8_t, 2> out{};
  detail::store_u16(out.data(), value);
  return out;
}

std::array<std::uint8_t, 1> encode_audio_level(AudioLevel value) {
  return {static_cast<std::uint8_t>((value.voice_activity ? 0x80 : 0) | (value.level & 0x7F))};
}

std::array<std::uint8_t, 1> encode_video_orientation(VideoOrientation value) {
  return {static_cast<std::uint8_t>((value.back_camera ? 0x08 : 0) | (value.flip ? 0x04 : 0) |
                                    (value.rotation & 0x03))};
}

ExtensionValues read_extension_values(std::uint16_t profile, std::span<const std::uint8_t> block,
                                      const ExtensionMap& map) {
  ExtensionValues values;
  for (const auto& element : ExtensionRange(extension_form(profile), block)) {
    switch (map.kind(element.id)) {
      case ExtensionKind::None:
        break;
      case ExtensionKind::Mid:
        values.mid = read_string_extension(element.data);
        break;
      case ExtensionKind::Rid:
        values.rid = read_string_extension(element.data);
        break;
      case ExtensionKind::RepairedRid:
        values.repaired_rid = read_string_extension(element.data);
        break;
      case ExtensionKind::AbsSendTime:
        values.abs_send_time = read_abs_send_time(element.data);
        break;
      case ExtensionKind::TransportWideCc:
        values.transport_sequence = read_transport_sequence(element.data);
        break;
      case ExtensionKind::AudioLevel:
        values.audio_level = read_audio_level(element.data);
        break;
      case ExtensionKind::VideoOrientation:
        values.video_orientation = read_video_orientation(element.data);
        break;
    }
  }
  return values;
}

// --- Building ----------------------------------------------------------------------

ExtensionForm choose_extension_form(std::span<const HeaderExtension> elements) {
  const bool one_byte = std::ranges::all_of(elements, [](const HeaderExtension& e) {
    return e.id >= 1 && e.id <= 14 && !e.data.empty() && e.data.size() <= 16;
  });
  return one_byte ? ExtensionForm::OneByte : ExtensionForm::TwoByte;
}

std::expected<std::size_t, Error> extension_block_size(std::span<const HeaderExtension> elements,
                                                       ExtensionForm form) {
  std::size_t size = 0;
  for (const auto& e : elements) {
    if (form == ExtensionForm::OneByte) {
      if (e.id < 1 || e.id > 14 || e.data.empty() || e.data.size() > 16) {
        return std::unexpected(Error::ValueOutOfRange);
      }
      size += 1 + e.data.size();
    } else {
      if (e.id < 1 || e.data.size() > 255) return std::unexpected(Error::ValueOutOfRange);
      size += 2 + e.data.size();
    }
  }
  const std::size_t words = (size + 3) / 4;
  if (words > 0xFFFF) return std::unexpected(Error::ValueOutOfRange);
  return 4 + words * 4;
}

std::expected<std::size_t, Error> write_extension_block(std::span<std::uint8_t> out,
                                                        std::span<const HeaderExtension> elements,
                                                        ExtensionForm form) {
  const auto size = extension_block_size(elements, form);
  if (!size) return size;
  if (out.size() < *size) return std::unexpected(Error::BufferTooSmall);
  std::uint8_t* p = out.data();
  detail::store_u16(
      p, form == ExtensionForm::OneByte ? kOneByteExtensionProfile : kTwoByteExtensionProfile);
  detail::store_u16(p + 2, static_cast<std::uint16_t>((*size - 4) / 4));
  std::size_t at = 4;
  for (const auto& e : elements) {
    if (form == ExtensionForm::OneByte) {
      p[at++] = static_cast<std::uint8_t>((e.id << 4) | (e.data.size() - 1));
    } else {
      p[at++] = e.id;
      p[at++] = static_cast<std::uint8_t>(e.data.size());
    }
    if (!e.data.empty()) std::memmove(p + at, e.data.data(), e.data.size());
    at += e.data.size();
  }
  std::fill(p + at, p + *size, std::uint8_t{0});
  return *size;
}

}  // namespace parley::rtp
