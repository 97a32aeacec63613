#include "sdp/session_description.hpp"

#include "sdp/detail/text.hpp"

namespace parley::sdp {

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::SendRecv: return "sendrecv";
    case Direction::SendOnly: return "sendonly";
    case Direction::RecvOnly: return "recvonly";
    case Direction::Inactive: return "inactive";
  }
  return "sendrecv";
}

Direction reversed(Direction direction) {
  switch (direction) {
    case Direction::SendOnly: return Direction::RecvOnly;
    case Direction::RecvOnly: return Direction::SendOnly;
    default: return direction;
  }
}

std::string_view to_string(Setup setup) {
  switch (setup) {
    case Setup::ActPass: return "actpass";
    case Setup::Active: return "active";
    case Setup::Passive: return "passive";
    case Setup::HoldConn: return "holdconn";
  }
  return "actpass";
}

std::string_view to_string(MediaKind kind) {
  switch (kind) {
    case MediaKind::Audio: return "audio";
    case MediaKind::Video: return "video";
    case MediaKind::Application: return "application";
    case MediaKind::Other: break;
  }
  return "";
}

// ---------------------------------------------------------------- MediaSection

std::string_view MediaSection::kind_name() const {
  return kind == MediaKind::Other ? std::string_view(other_kind) : to_string(kind);
}

bool MediaSection::is_rtp() const { return protocol.find("RTP/") != std::string::npos; }

Codec* MediaSection::find_codec(std::string_view name) {
  for (auto& c : codecs) {
    if (c.is(name)) return &c;
  }
  return nullptr;
}

const Codec* MediaSection::find_codec(std::string_view name) const {
  return const_cast<MediaSection*>(this)->find_codec(name);
}

Codec* MediaSection::find_codec(std::uint8_t payload_type) {
  for (auto& c : codecs) {
    if (c.payload_type == payload_type) return &c;
  }
  return nullptr;
}

const Codec* MediaSection::find_codec(std::uint8_t payload_type) const {
  return const_cast<MediaSection*>(this)->find_codec(payload_type);
}

std::optional<std::uint8_t> MediaSection::rtx_payload_type(std::uint8_t payload_type) const {
  for (const auto& c : codecs) {
    if (c.is("rtx") && c.apt() == payload_type) return c.payload_type;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> MediaSection::extmap_id(std::string_view uri) const {
  for (const auto& e : extmaps) {
    if (e.uri == uri) return e.id;
  }
  return std::nullopt;
}

const SsrcGroup* MediaSection::find_ssrc_group(std::string_view semantics) const {
  for (const auto& g : ssrc_groups) {
    if (detail::iequals(g.semantics, semantics)) return &g;
  }
  return nullptr;
}

std::optional<std::string_view> MediaSection::ssrc_attribute(std::uint32_t ssrc,
                                                             std::string_view attribute) const {
  for (const auto& s : ssrcs) {
    if (s.ssrc == ssrc && s.attribute == attribute) return std::string_view(s.value);
  }
  return std::nullopt;
}

const Rid* MediaSection::find_rid(std::string_view id) const {
  for (const auto& r : rids) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const Attribute* MediaSection::find_attribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// ---------------------------------------------------------- SessionDescription

const Group* SessionDescription::find_group(std::string_view semantics) const {
  for (const auto& g : groups) {
    if (detail::iequals(g.semantics, semantics)) return &g;
  }
  return nullptr;
}

MediaSection* SessionDescription::find_media(std::string_view mid) {
  for (auto& m : media) {
    if (m.mid && *m.mid == mid) return &m;
  }
  return nullptr;
}

const MediaSection* SessionDescription::find_media(std::string_view mid) const {
  return const_cast<SessionDescription*>(this)->find_media(mid);
}

const Attribute* SessionDescription::find_attribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace parley::sdp
