#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/candidate.hpp"
#include "sdp/codec.hpp"
#include "sdp/rid.hpp"
#include "sdp/simulcast.hpp"

namespace parley::sdp {

// a=sendrecv / sendonly / recvonly / inactive (RFC 8866 §6.7). Also the
// direction of an extmap (RFC 8285 §8).
enum class Direction : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
std::string_view to_string(Direction direction);
// What the other side of a media section does: sendonly <-> recvonly.
Direction reversed(Direction direction);

// a=setup (RFC 4145 §4, RFC 8842 §5): which side starts DTLS.
enum class Setup : std::uint8_t { ActPass, Active, Passive, HoldConn };
std::string_view to_string(Setup setup);

enum class MediaKind : std::uint8_t { Audio, Video, Application, Other };
std::string_view to_string(MediaKind kind);  // "" for Other

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> (RFC 8866 §5.2)
struct Origin {
  std::string username = "-";
  std::string session_id = "0";  // digits; JSEP uses a 63-bit random number
  std::uint64_t session_version = 0;
  std::string network_type = "IN";
  std::string address_type = "IP4";
  std::string address = "127.0.0.1";

  bool operator==(const Origin&) const = default;
};

// t=<start> <stop> (RFC 8866 §5.9); WebRTC always writes "t=0 0".
struct Timing {
  std::uint64_t start = 0;
  std::uint64_t stop = 0;

  bool operator==(const Timing&) const = default;
};

// c=<nettype> <addrtype> <address> (RFC 8866 §5.7).
struct Connection {
  std::string network_type = "IN";
  std::string address_type = "IP4";
  std::string address = "0.0.0.0";

  bool operator==(const Connection&) const = default;
};

// b=<type>:<kbps or bps> (RFC 8866 §5.8; TIAS is RFC 3890).
struct Bandwidth {
  std::string type;  // "AS", "CT", "TIAS", ...
  std::uint64_t value = 0;

  bool operator==(const Bandwidth&) const = default;
};

// a=group:<semantics> <mid>... (RFC 5888 §5); BUNDLE is RFC 8843.
struct Group {
  std::string semantics;
  std::vector<std::string> mids;

  bool operator==(const Group&) const = default;
};

// a=fingerprint:<hash-func> <hex:hex:...> (RFC 8122 §5).
struct Fingerprint {
  std::string hash_function;  // "sha-256" (compare case-insensitively)
  std::string value;          // upper-case hex pairs joined by ':'

  bool operator==(const Fingerprint&) const = default;
};

// a=extmap:<id>[/<direction>] <uri> [<extension attributes>] (RFC 8285 §8).
struct Extmap {
  std::uint16_t id = 0;  // 1-14 one-byte, 1-255 two-byte, 4096-4351 in offers
  std::optional<Direction> direction;
  std::string uri;
  std::string attributes;  // the rest of the line, if any

  bool operator==(const Extmap&) const = default;
};

// a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 §4.1), e.g. cname.
struct SsrcAttribute {
  std::uint32_t ssrc = 0;
  std::string attribute;
  std::string value;  // empty when the line has none

  bool operator==(const SsrcAttribute&) const = default;
};

// a=ssrc-group:<semantics> <ssrc>... (RFC 5576 §4.2): FID (RFC 4588 rtx
// pairs), SIM (simulcast layers, low to high), FEC-FR.
struct SsrcGroup {
  std::string semantics;
  std::vector<std::uint32_t> ssrcs;

  bool operator==(const SsrcGroup&) const = default;
};

// a=msid:<stream id> [<track id>] (RFC 8830 §2).
struct Msid {
  std::string stream_id;  // "-" for no stream
  std::string track_id;   // empty when absent

  bool operator==(const Msid&) const = default;
};

// a=msid-semantic: WMS [<stream id>...] (the WebRTC session-level form).
struct MsidSemantic {
  std::string semantic = "WMS";
  std::vector<std::string> ids;

  bool operator==(const MsidSemantic&) const = default;
};

// An attribute this library has no field for, kept verbatim and in order:
// a=<name> or a=<name>:<value> (RFC 8866 §5.13).
struct Attribute {
  std::string name;
  std::optional<std::string> value;

  bool operator==(const Attribute&) const = default;
};

// A non-attribute line with no field of its own (i=, u=, e=, p=, k=, r=, z=,
// a second t=, or an unknown type letter), kept verbatim and in order.
struct Line {
  char type = 'i';
  std::string value;

  bool operator==(const Line&) const = default;
};

// One m= section and its attributes.
struct MediaSection {
  // m=<media> <port>[/<count>] <proto> <fmt>... (RFC 8866 §5.14)
  MediaKind kind = MediaKind::Audio;
  std::string other_kind;  // the media token when kind is Other
  std::uint16_t port = 9;  // 9 = "discard", the JSEP placeholder; 0 = rejected
  std::optional<std::uint16_t> port_count;
  std::string protocol = "UDP/TLS/RTP/SAVPF";
  // The m= formats. For RTP these are payload types; when left empty the
  // writer lists the payload types of `codecs` instead.
  std::vector<std::string> formats;

  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;

  std::optional<std::string> mid;        // RFC 5888 §4, RFC 8843
  std::optional<Direction> direction;    // absent means sendrecv
  std::vector<Msid> msids;

  // ICE (RFC 8839 §5) and DTLS (RFC 8842, RFC 8122).
  std::optional<std::string> ice_ufrag;
  std::optional<std::string> ice_pwd;
  std::vector<std::string> ice_options;  // "trickle", "renomination", ...
  std::vector<Fingerprint> fingerprints;
  std::optional<Setup> setup;
  std::vector<Candidate> candidates;
  bool end_of_candidates = false;        // RFC 8840 §8.2

  bool rtcp_mux = false;        // RFC 5761 §5.1.3
  bool rtcp_mux_only = false;   // RFC 8858
  bool rtcp_rsize = false;      // RFC 5506 §5
  bool bundle_only = false;     // RFC 8843 §6
  bool extmap_allow_mixed = false;  // RFC 8285 §6

  std::vector<Extmap> extmaps;
  // In m= format order; static payload types listed without an rtpmap get
  // their RFC 3551 name, so find_codec("PCMU") works either way.
  std::vector<Codec> codecs;
  std::vector<RtcpFeedback> rtcp_fb_all;  // a=rtcp-fb:* ...
  std::vector<SsrcAttribute> ssrcs;
  std::vector<SsrcGroup> ssrc_groups;
  std::vector<Rid> rids;
  std::optional<Simulcast> simulcast;

  // Data channels (RFC 8841 §5, §6).
  std::optional<std::uint16_t> sctp_port;
  std::optional<std::uint64_t> max_message_size;

  std::vector<Attribute> attributes;  // unknown ones, in order
  std::vector<Line> lines;            // unknown non-attribute lines, in order

  // The media token: "audio", "video", "application" or other_kind.
  std::string_view kind_name() const;
  // "RTP/" in the protocol (RFC 8866 §5.14): formats are payload types.
  bool is_rtp() const;
  // The direction, defaulting to sendrecv.
  Direction effective_direction() const { return direction.value_or(Direction::SendRecv); }

  // First codec with this encoding name (case-insensitive), e.g. "VP8".
  Codec* find_codec(std::string_view name);
  const Codec* find_codec(std::string_view name) const;
  Codec* find_codec(std::uint8_t payload_type);
  const Codec* find_codec(std::uint8_t payload_type) const;
  // The rtx payload type whose apt= is `payload_type` (RFC 4588 §8.6).
  std::optional<std::uint8_t> rtx_payload_type(std::uint8_t payload_type) const;
  // The id of the extmap with this URI.
  std::optional<std::uint16_t> extmap_id(std::string_view uri) const;
  // First ssrc-group with these semantics ("FID", "SIM").
  const SsrcGroup* find_ssrc_group(std::string_view semantics) const;
  // The value of `attribute` for `ssrc` (e.g. "cname").
  std::optional<std::string_view> ssrc_attribute(std::uint32_t ssrc, std::string_view attribute) const;
  const Rid* find_rid(std::string_view id) const;
  // First unknown attribute with this name.
  const Attribute* find_attribute(std::string_view name) const;

  bool operator==(const MediaSection&) const = default;
};

// A whole offer or answer.
struct SessionDescription {
  // v=0 is implied.
  Origin origin;
  std::string session_name = "-";  // s=
  Timing timing;                   // t=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;

  std::vector<Group> groups;
  std::optional<MsidSemantic> msid_semantic;
  std::optional<Direction> direction;

  // Session-level ICE and DTLS; media-level values override them.
  bool ice_lite = false;  // RFC 8839 §5.3
  std::optional<std::string> ice_ufrag;
  std::optional<std::string> ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  std::optional<Setup> setup;
  bool end_of_candidates = false;

  bool extmap_allow_mixed = false;
  std::vector<Extmap> extmaps;

  std::vector<Attribute> attributes;  // unknown ones, in order
  std::vector<Line> lines;            // unknown non-attribute lines, in order

  std::vector<MediaSection> media;

  // The first a=group with these semantics ("BUNDLE").
  const Group* find_group(std::string_view semantics) const;
  const Group* bundle_group() const { return find_group("BUNDLE"); }
  MediaSection* find_media(std::string_view mid);
  const MediaSection* find_media(std::string_view mid) const;
  const Attribute* find_attribute(std::string_view name) const;

  bool operator==(const SessionDescription&) const = default;
};

}  // namespace parley::sdp
