#include "sdp/parser.hpp"

#include <algorithm>
#include <string>

#include "sdp/detail/text.hpp"

namespace parley::sdp {

namespace {

using detail::quote;

// Inner parsers report a reason; the Parser adds the line number.
template <typename T>
using Parsed = std::expected<T, std::string>;
using Status = std::expected<void, std::string>;

std::unexpected<std::string> bad(std::string message) { return std::unexpected(std::move(message)); }

// ------------------------------------------------------------ line grammars

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2)
Parsed<Origin> parse_origin(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.size() != 6) {
    return bad("expected 6 fields (username, session id, version, nettype, addrtype, address), found " +
               std::to_string(w.size()));
  }
  Origin o;
  if (!detail::is_visible(w[0])) return bad("username " + quote(w[0]) + " is not printable");
  o.username = w[0];
  if (w[1].size() > 64 || !std::all_of(w[1].begin(), w[1].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("session id " + quote(w[1]) + " is not a number");
  }
  o.session_id = w[1];
  auto version = detail::parse_uint<std::uint64_t>(w[2]);
  if (!version) return bad("session version " + quote(w[2]) + " is not a 64-bit number");
  o.session_version = *version;
  if (!detail::is_token(w[3])) return bad("network type " + quote(w[3]) + " is not a token");
  if (!detail::is_token(w[4])) return bad("address type " + quote(w[4]) + " is not a token");
  if (!detail::is_visible(w[5])) return bad("address " + quote(w[5]) + " is not printable");
  o.network_type = w[3];
  o.address_type = w[4];
  o.address = w[5];
  return o;
}

// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7)
Parsed<Connection> parse_connection(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.size() != 3) return bad("expected \"<nettype> <addrtype> <address>\"");
  if (!detail::is_token(w[0])) return bad("network type " + quote(w[0]) + " is not a token");
  if (!detail::is_token(w[1])) return bad("address type " + quote(w[1]) + " is not a token");
  if (!detail::is_visible(w[2])) return bad("address " + quote(w[2]) + " is not printable");
  return Connection{std::string(w[0]), std::string(w[1]), std::string(w[2])};
}

// b=<bwtype>:<bandwidth> (RFC 8866 §5.8)
Parsed<Bandwidth> parse_bandwidth(std::string_view value) {
  std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) return bad("expected \"<type>:<value>\"");
  std::string_view type = value.substr(0, colon);
  if (!detail::is_token(type)) return bad("type " + quote(type) + " is not a token");
  auto number = detail::parse_uint<std::uint64_t>(value.substr(colon + 1));
  if (!number) return bad("value " + quote(value.substr(colon + 1)) + " is not a number");
  return Bandwidth{std::string(type), *number};
}

// t=<start-time> <stop-time> (RFC 8866 §5.9)
Parsed<Timing> parse_timing(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.size() != 2) return bad("expected \"<start> <stop>\"");
  auto start = detail::parse_uint<std::uint64_t>(w[0]);
  auto stop = detail::parse_uint<std::uint64_t>(w[1]);
  if (!start || !stop) return bad("times must be numbers");
  return Timing{*start, *stop};
}

std::optional<Direction> direction_from(std::string_view word) {
  if (word == "sendrecv") return Direction::SendRecv;
  if (word == "sendonly") return Direction::SendOnly;
  if (word == "recvonly") return Direction::RecvOnly;
  if (word == "inactive") return Direction::Inactive;
  return std::nullopt;
}

// a=fingerprint:<hash-func> <XX:XX:...> (RFC 8122 §5)
Parsed<Fingerprint> parse_fingerprint(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.size() != 2) return bad("expected \"<hash function> <hex:hex:...>\"");
  if (!detail::is_token(w[0])) return bad("hash function " + quote(w[0]) + " is not a token");
  auto is_hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (w[1].size() > 3 * 64) return bad("fingerprint is longer than 64 bytes");
  for (std::string_view pair : detail::split(w[1], ':')) {
    if (pair.size() != 2 || !is_hex(pair[0]) || !is_hex(pair[1])) {
      return bad("fingerprint " + quote(w[1]) + " is not hex pairs separated by ':'");
    }
  }
  return Fingerprint{std::string(w[0]), std::string(w[1])};
}

Parsed<Setup> parse_setup(std::string_view value) {
  if (value == "actpass") return Setup::ActPass;
  if (value == "active") return Setup::Active;
  if (value == "passive") return Setup::Passive;
  if (value == "holdconn") return Setup::HoldConn;
  return bad(quote(value) + " is not actpass, active, passive or holdconn");
}

// a=extmap:<id>[/<direction>] <uri> [<extensionattributes>] (RFC 8285 §8)
Parsed<Extmap> parse_extmap(std::string_view value) {
  value = detail::trim(value);
  std::size_t space = value.find(' ');
  if (space == std::string_view::npos) return bad("expected \"<id>[/<direction>] <uri>\"");
  std::string_view id_part = value.substr(0, space);
  std::string_view rest = detail::trim(value.substr(space + 1));
  Extmap e;
  std::size_t slash = id_part.find('/');
  auto id = detail::parse_uint<std::uint16_t>(id_part.substr(0, slash));
  // 1-255 (RFC 8285 §5); 4096-4351 only in offers, to be remapped (§7).
  if (!id || *id == 0 || (*id > 255 && (*id < 4096 || *id > 4351))) {
    return bad("id " + quote(id_part.substr(0, slash)) + " is not 1-255 or 4096-4351");
  }
  e.id = *id;
  if (slash != std::string_view::npos) {
    auto direction = direction_from(id_part.substr(slash + 1));
    if (!direction) return bad("direction " + quote(id_part.substr(slash + 1)) + " is not a direction");
    e.direction = direction;
  }
  space = rest.find(' ');
  std::string_view uri = rest.substr(0, space);
  if (!detail::is_visible(uri)) return bad("uri " + quote(uri) + " is not printable");
  e.uri = uri;
  if (space != std::string_view::npos) e.attributes = detail::trim(rest.substr(space + 1));
  return e;
}

// a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1)
Parsed<SsrcAttribute> parse_ssrc(std::string_view value) {
  value = detail::trim(value);
  std::size_t space = value.find(' ');
  auto ssrc = detail::parse_uint<std::uint32_t>(value.substr(0, space));
  if (!ssrc) return bad("ssrc " + quote(value.substr(0, space)) + " is not a 32-bit number");
  if (space == std::string_view::npos) return bad("expected \"<ssrc> <attribute>[:<value>]\"");
  std::string_view rest = detail::trim(value.substr(space + 1));
  std::size_t colon = rest.find(':');
  std::string_view attribute = rest.substr(0, colon);
  if (!detail::is_token(attribute)) return bad("attribute " + quote(attribute) + " is not a token");
  SsrcAttribute s{*ssrc, std::string(attribute), {}};
  if (colon != std::string_view::npos) s.value = rest.substr(colon + 1);
  return s;
}

// a=ssrc-group:<semantics> <ssrc-id>... (RFC 5576 §4.2)
Parsed<SsrcGroup> parse_ssrc_group(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.size() < 2) return bad("expected \"<semantics> <ssrc>...\"");
  if (!detail::is_token(w[0])) return bad("semantics " + quote(w[0]) + " is not a token");
  SsrcGroup g{std::string(w[0]), {}};
  for (std::size_t i = 1; i < w.size(); ++i) {
    auto ssrc = detail::parse_uint<std::uint32_t>(w[i]);
    if (!ssrc) return bad("ssrc " + quote(w[i]) + " is not a 32-bit number");
    g.ssrcs.push_back(*ssrc);
  }
  return g;
}

// a=group:<semantics> *(SP <identification-tag>) (RFC 5888 §5)
Parsed<Group> parse_group(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.empty()) return bad("expected \"<semantics> <mid>...\"");
  if (!detail::is_token(w[0])) return bad("semantics " + quote(w[0]) + " is not a token");
  Group g{std::string(w[0]), {}};
  for (std::size_t i = 1; i < w.size(); ++i) {
    if (!detail::is_token(w[i])) return bad("mid " + quote(w[i]) + " is not a token");
    g.mids.emplace_back(w[i]);
  }
  return g;
}

// a=msid:<stream id> [<track id>] (RFC 8830 §2: 1-64 token-chars each)
Parsed<Msid> parse_msid(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.empty() || w.size() > 2) return bad("expected \"<stream id> [<track id>]\"");
  for (auto id : w) {
    if (!detail::is_token(id) || id.size() > 64) return bad("id " + quote(id) + " is not 1-64 token chars");
  }
  return Msid{std::string(w[0]), w.size() == 2 ? std::string(w[1]) : std::string()};
}

// a=msid-semantic: WMS [<stream id>...]
Parsed<MsidSemantic> parse_msid_semantic(std::string_view value) {
  auto w = detail::split_words(value);
  if (w.empty()) return bad("expected \"<semantic> [<id>...]\"");
  MsidSemantic m{std::string(w[0]), {}};
  for (auto id : w) {
    if (!detail::is_visible(id)) return bad("id " + quote(id) + " is not printable");
  }
  for (std::size_t i = 1; i < w.size(); ++i) m.ids.emplace_back(w[i]);
  return m;
}

// "<pt> <rest>" shared by rtpmap, fmtp and rtcp-fb.
Parsed<std::pair<std::uint8_t, std::string_view>> payload_type_prefix(std::string_view value) {
  value = detail::trim(value);
  std::size_t space = value.find(' ');
  std::string_view pt_text = value.substr(0, space);
  auto pt = detail::parse_uint<std::uint8_t>(pt_text, 127);
  if (!pt) return bad("payload type " + quote(pt_text) + " is not 0-127");
  std::string_view rest = space == std::string_view::npos ? std::string_view() : detail::trim(value.substr(space + 1));
  return std::pair{*pt, rest};
}

// a=rtcp-fb value after the payload type: <type> [<parameters>] (RFC 4585 §4.2)
Parsed<RtcpFeedback> parse_feedback(std::string_view rest) {
  if (rest.empty()) return bad("missing feedback type");
  std::size_t space = rest.find(' ');
  std::string_view type = rest.substr(0, space);
  if (!detail::is_token(type)) return bad("feedback type " + quote(type) + " is not a token");
  RtcpFeedback fb{std::string(type), {}};
  if (space != std::string_view::npos) fb.parameter = detail::trim(rest.substr(space + 1));
  return fb;
}

// ---------------------------------------------------------------- the parser

class Parser {
 public:
  Result<SessionDescription> run(std::string_view text);

 private:
  Status line(char type, std::string_view value);
  Status session_line(char type, std::string_view value);
  Status media_line(char type, std::string_view value);
  Status start_media(std::string_view value);
  Status attribute(std::string_view text);
  // Each returns false when the attribute is not one it knows.
  template <typename Level>
  Parsed<bool> common_attribute(Level& level, std::string_view name, std::optional<std::string_view> value);
  Parsed<bool> session_attribute(std::string_view name, std::optional<std::string_view> value);
  Parsed<bool> media_attribute(MediaSection& m, std::string_view name, std::optional<std::string_view> value);
  std::expected<void, Error> finish_media();
  std::expected<void, Error> finish();

  Error error_here(std::string message) const { return Error{line_, std::move(message)}; }

  SessionDescription sd_;
  std::size_t line_ = 0;  // 1-based number of the line being parsed
  bool seen_v_ = false;
  bool seen_o_ = false;
  bool seen_s_ = false;
  bool seen_t_ = false;
  bool seen_session_direction_ = false;

  // Where things were, for errors found after the fact.
  struct MediaLines {
    std::size_t m = 0;
    std::size_t mid = 0;
    std::size_t simulcast = 0;
    bool seen_direction = false;
  };
  std::vector<MediaLines> media_lines_;
  std::vector<std::size_t> group_lines_;
};

Result<SessionDescription> Parser::run(std::string_view text) {
  if (text.size() > kMaxSdpSize) {
    return std::unexpected(Error{0, "SDP is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                        std::to_string(kMaxSdpSize)});
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();  // last line without a line ending
    std::string_view current = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_;
    if (current.ends_with('\r')) current.remove_suffix(1);
    if (current.empty()) continue;  // tolerate blank lines

    for (std::size_t i = 0; i < current.size(); ++i) {
      auto u = static_cast<unsigned char>(current[i]);
      if (u < 0x20 || u == 0x7F) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        std::string what = u == '\r' ? std::string("stray carriage return")
                                      : std::string("control byte 0x") + kHex[u >> 4] + kHex[u & 0x0F];
        return std::unexpected(error_here(what + " at column " + std::to_string(i + 1)));
      }
    }
    // <type>=<value> (RFC 8866 §5): one lower-case letter, then '='.
    if (current.size() < 2 || current[1] != '=' || current[0] < 'a' || current[0] > 'z') {
      return std::unexpected(error_here("expected \"<letter>=<value>\", found " + quote(current)));
    }
    char type = current[0];
    std::string_view value = current.substr(2);

    if (!seen_v_) {
      if (type != 'v') return std::unexpected(error_here("missing v= line: SDP must start with \"v=0\""));
      if (value != "0") return std::unexpected(error_here("unsupported version " + quote(value) + " (expected 0)"));
      seen_v_ = true;
      continue;
    }
    if (!seen_o_ && type != 'o') {
      return std::unexpected(error_here("missing o= line: expected it right after v=, found " + quote(current)));
    }
    if (type == 'm' && !sd_.media.empty()) {
      // The previous section is complete; its own checks report their lines.
      if (auto done = finish_media(); !done) return std::unexpected(std::move(done.error()));
    }
    if (auto status = line(type, value); !status) {
      return std::unexpected(error_here(std::move(status.error())));
    }
  }
  if (!seen_v_) return std::unexpected(Error{line_ == 0 ? 1 : line_, "missing v= line: the SDP is empty"});
  if (!seen_o_) return std::unexpected(Error{line_, "missing o= line"});
  if (!sd_.media.empty()) {
    if (auto done = finish_media(); !done) return std::unexpected(std::move(done.error()));
  }
  if (auto done = finish(); !done) return std::unexpected(std::move(done.error()));
  return std::move(sd_);
}

Status Parser::line(char type, std::string_view value) {
  if (type == 'm') return start_media(value);
  if (type == 'a') return attribute(value);
  if (sd_.media.empty()) return session_line(type, value);
  return media_line(type, value);
}

Status Parser::session_line(char type, std::string_view value) {
  switch (type) {
    case 'v':
      return bad("v= given twice");
    case 'o': {
      if (seen_o_) return bad("o= given twice");
      auto origin = parse_origin(value);
      if (!origin) return bad("o= line: " + origin.error());
      sd_.origin = std::move(*origin);
      seen_o_ = true;
      return {};
    }
    case 's':
      if (seen_s_) return bad("s= given twice");
      seen_s_ = true;
      sd_.session_name = value;
      return {};
    case 't':
      if (seen_t_) break;  // more t= lines (RFC 8866 §5.9) are kept as lines
      if (auto timing = parse_timing(value); timing) {
        sd_.timing = *timing;
        seen_t_ = true;
        return {};
      } else {
        return bad("t= line: " + timing.error());
      }
    case 'c': {
      if (sd_.connection) return bad("c= given twice at session level");
      auto connection = parse_connection(value);
      if (!connection) return bad("c= line: " + connection.error());
      sd_.connection = std::move(*connection);
      return {};
    }
    case 'b': {
      auto bandwidth = parse_bandwidth(value);
      if (!bandwidth) return bad("b= line: " + bandwidth.error());
      sd_.bandwidths.push_back(std::move(*bandwidth));
      return {};
    }
    default:
      break;
  }
  sd_.lines.push_back(Line{type, std::string(value)});
  return {};
}

Status Parser::media_line(char type, std::string_view value) {
  MediaSection& m = sd_.media.back();
  switch (type) {
    case 'v':
    case 'o':
    case 's':
    case 't':
      return bad(std::string(1, type) + "= is only allowed before the first m= line");
    case 'c': {
      if (m.connection) return bad("c= given twice in one media section");
      auto connection = parse_connection(value);
      if (!connection) return bad("c= line: " + connection.error());
      m.connection = std::move(*connection);
      return {};
    }
    case 'b': {
      auto bandwidth = parse_bandwidth(value);
      if (!bandwidth) return bad("b= line: " + bandwidth.error());
      m.bandwidths.push_back(std::move(*bandwidth));
      return {};
    }
    default:
      m.lines.push_back(Line{type, std::string(value)});
      return {};
  }
}

// m=<media> <port>[/<number of ports>] <proto> 1*(SP <fmt>) (RFC 8866 §5.14)
Status Parser::start_media(std::string_view value) {
  if (sd_.media.size() >= kMaxMediaSections) {
    return bad("more than " + std::to_string(kMaxMediaSections) + " media sections");
  }
  auto w = detail::split_words(value);
  if (w.size() < 4) return bad("m= line: expected \"<media> <port> <proto> <fmt>...\"");
  MediaSection m;
  if (w[0] == "audio") {
    m.kind = MediaKind::Audio;
  } else if (w[0] == "video") {
    m.kind = MediaKind::Video;
  } else if (w[0] == "application") {
    m.kind = MediaKind::Application;
  } else if (detail::is_token(w[0])) {
    m.kind = MediaKind::Other;
    m.other_kind = w[0];
  } else {
    return bad("m= line: media " + quote(w[0]) + " is not a token");
  }

  std::string_view port_text = w[1];
  std::size_t slash = port_text.find('/');
  auto port = detail::parse_uint<std::uint16_t>(port_text.substr(0, slash));
  if (!port) return bad("m= line: port " + quote(port_text.substr(0, slash)) + " is not 0-65535");
  m.port = *port;
  if (slash != std::string_view::npos) {
    auto count = detail::parse_uint<std::uint16_t>(port_text.substr(slash + 1));
    if (!count || *count == 0) return bad("m= line: port count " + quote(port_text.substr(slash + 1)) + " is not 1-65535");
    m.port_count = *count;
  }

  // proto = token *("/" token)
  for (std::string_view part : detail::split(w[2], '/')) {
    if (!detail::is_token(part)) return bad("m= line: protocol " + quote(w[2]) + " is not tokens separated by '/'");
  }
  m.protocol = w[2];

  bool rtp = m.is_rtp();
  for (std::size_t i = 3; i < w.size(); ++i) {
    if (rtp) {
      if (!detail::parse_uint<std::uint8_t>(w[i], 127)) {
        return bad("m= line: payload type " + quote(w[i]) + " is not 0-127");
      }
    } else if (!detail::is_token(w[i])) {
      return bad("m= line: format " + quote(w[i]) + " is not a token");
    }
    m.formats.emplace_back(w[i]);
  }
  sd_.media.push_back(std::move(m));
  media_lines_.push_back(MediaLines{line_, 0, 0, false});
  return {};
}

// a=<attribute-name>[:<attribute-value>] (RFC 8866 §5.13)
Status Parser::attribute(std::string_view text) {
  std::size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  std::optional<std::string_view> value;
  if (colon != std::string_view::npos) value = text.substr(colon + 1);
  if (!detail::is_token(name)) return bad("attribute name " + quote(name) + " is not a token");

  bool session = sd_.media.empty();
  Parsed<bool> known = session ? session_attribute(name, value) : media_attribute(sd_.media.back(), name, value);
  if (!known) return bad("a=" + std::string(name) + ": " + known.error());
  if (!*known) {
    Attribute a{std::string(name), value ? std::optional<std::string>(std::string(*value)) : std::nullopt};
    (session ? sd_.attributes : sd_.media.back().attributes).push_back(std::move(a));
  }
  return {};
}

// Attributes allowed both at session and media level.
template <typename Level>
Parsed<bool> Parser::common_attribute(Level& level, std::string_view name, std::optional<std::string_view> value) {
  auto need_value = [&]() -> Status {
    if (!value || detail::trim(*value).empty()) return bad("missing value");
    return {};
  };
  auto no_value = [&]() -> Status {
    if (value) return bad("takes no value");
    return {};
  };

  if (auto direction = direction_from(name)) {
    if (auto s = no_value(); !s) return bad(s.error());
    bool& seen = [&]() -> bool& {
      if constexpr (std::is_same_v<Level, MediaSection>) {
        return media_lines_.back().seen_direction;
      } else {
        return seen_session_direction_;
      }
    }();
    if (seen) return bad("a second direction attribute (already " + std::string(to_string(*level.direction)) + ")");
    seen = true;
    level.direction = direction;
    return true;
  }
  if (name == "ice-ufrag" || name == "ice-pwd") {
    if (auto s = need_value(); !s) return bad(s.error());
    bool ufrag = name == "ice-ufrag";
    auto& field = ufrag ? level.ice_ufrag : level.ice_pwd;
    if (field) return bad("given twice");
    std::string_view v = detail::trim(*value);
    // RFC 8839 §5.4: ufrag 4-256 ice-chars, pwd 22-256 ice-chars.
    std::size_t min = ufrag ? 4 : 22;
    if (!detail::is_ice_chars(v) || v.size() < min || v.size() > 256) {
      return bad(quote(v) + " is not " + std::to_string(min) + "-256 ice-chars (letters, digits, '+', '/')");
    }
    field = std::string(v);
    return true;
  }
  if (name == "ice-options") {
    if (auto s = need_value(); !s) return bad(s.error());
    for (auto option : detail::split_words(*value)) {
      if (!detail::is_token(option)) return bad("option " + quote(option) + " is not a token");
      level.ice_options.emplace_back(option);
    }
    return true;
  }
  if (name == "fingerprint") {
    if (auto s = need_value(); !s) return bad(s.error());
    auto fingerprint = parse_fingerprint(*value);
    if (!fingerprint) return bad(fingerprint.error());
    level.fingerprints.push_back(std::move(*fingerprint));
    return true;
  }
  if (name == "setup") {
    if (auto s = need_value(); !s) return bad(s.error());
    if (level.setup) return bad("given twice");
    auto setup = parse_setup(detail::trim(*value));
    if (!setup) return bad(setup.error());
    level.setup = *setup;
    return true;
  }
  if (name == "extmap") {
    if (auto s = need_value(); !s) return bad(s.error());
    auto extmap = parse_extmap(*value);
    if (!extmap) return bad(extmap.error());
    for (const auto& e : level.extmaps) {
      if (e.id == extmap->id) return bad("id " + std::to_string(e.id) + " used twice");
    }
    level.extmaps.push_back(std::move(*extmap));
    return true;
  }
  if (name == "extmap-allow-mixed") {
    if (auto s = no_value(); !s) return bad(s.error());
    level.extmap_allow_mixed = true;
    return true;
  }
  if (name == "end-of-candidates") {
    if (auto s = no_value(); !s) return bad(s.error());
    level.end_of_candidates = true;
    return true;
  }
  return false;
}

Parsed<bool> Parser::session_attribute(std::string_view name, std::optional<std::string_view> value) {
  auto common = common_attribute(sd_, name, value);
  if (!common || *common) return common;
  if (name == "group") {
    if (!value) return bad("missing value");
    auto group = parse_group(*value);
    if (!group) return bad(group.error());
    sd_.groups.push_back(std::move(*group));
    group_lines_.push_back(line_);
    return true;
  }
  if (name == "ice-lite") {
    if (value) return bad("takes no value");
    sd_.ice_lite = true;
    return true;
  }
  if (name == "msid-semantic") {
    if (!value) return bad("missing value");
    if (sd_.msid_semantic) return bad("given twice");
    auto semantic = parse_msid_semantic(*value);
    if (!semantic) return bad(semantic.error());
    sd_.msid_semantic = std::move(*semantic);
    return true;
  }
  return false;
}

Parsed<bool> Parser::media_attribute(MediaSection& m, std::string_view name, std::optional<std::string_view> value) {
  auto common = common_attribute(m, name, value);
  if (!common || *common) return common;

  // Flags.
  bool* flag = nullptr;
  if (name == "rtcp-mux") flag = &m.rtcp_mux;
  else if (name == "rtcp-mux-only") flag = &m.rtcp_mux_only;
  else if (name == "rtcp-rsize") flag = &m.rtcp_rsize;
  else if (name == "bundle-only") flag = &m.bundle_only;
  if (flag) {
    if (value) return bad("takes no value");
    *flag = true;
    return true;
  }

  static constexpr std::string_view kWithValue[] = {
      "mid", "msid", "rtpmap", "fmtp", "rtcp-fb", "ssrc", "ssrc-group",
      "rid", "simulcast", "candidate", "sctp-port", "max-message-size"};
  if (std::find(std::begin(kWithValue), std::end(kWithValue), name) == std::end(kWithValue)) return false;
  if (!value || detail::trim(*value).empty()) return bad("missing value");
  std::string_view v = *value;
  bool rtp = m.is_rtp();

  // Finds or adds the codec entry of a payload type.
  auto codec_for = [&m](std::uint8_t pt) -> Codec& {
    if (Codec* c = m.find_codec(pt)) return *c;
    m.codecs.push_back(Codec{});
    m.codecs.back().payload_type = pt;
    return m.codecs.back();
  };

  if (name == "mid") {
    // RFC 5888 §4: identification-tag = token.
    v = detail::trim(v);
    if (m.mid) return bad("given twice in one media section");
    if (!detail::is_token(v) || v.size() > 256) return bad(quote(v) + " is not a token");
    m.mid = std::string(v);
    media_lines_.back().mid = line_;
    return true;
  }
  if (name == "msid") {
    auto msid = parse_msid(v);
    if (!msid) return bad(msid.error());
    m.msids.push_back(std::move(*msid));
    return true;
  }
  if (name == "rtpmap") {
    // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6)
    if (!rtp) return false;
    auto prefix = payload_type_prefix(v);
    if (!prefix) return bad(prefix.error());
    auto [pt, encoding] = *prefix;
    if (encoding.empty() || encoding.find(' ') != std::string_view::npos) {
      return bad("expected \"<payload type> <name>/<clock rate>[/<channels>]\"");
    }
    auto parts = detail::split(encoding, '/');
    if (parts.size() < 2 || parts.size() > 3) return bad("expected \"<name>/<clock rate>[/<channels>]\", found " + quote(encoding));
    if (!detail::is_token(parts[0])) return bad("encoding name " + quote(parts[0]) + " is not a token");
    auto rate = detail::parse_uint<std::uint32_t>(parts[1]);
    if (!rate || *rate == 0) return bad("clock rate " + quote(parts[1]) + " is not a positive number");
    std::uint32_t channels = 0;
    if (parts.size() == 3) {
      auto n = detail::parse_uint<std::uint32_t>(parts[2], 255);
      if (!n || *n == 0) return bad("channels " + quote(parts[2]) + " is not 1-255");
      channels = *n;
    }
    Codec& c = codec_for(pt);
    if (!c.name.empty()) return bad("payload type " + std::to_string(pt) + " mapped twice");
    c.name = parts[0];
    c.clock_rate = *rate;
    c.channels = channels;
    return true;
  }
  if (name == "fmtp") {
    // a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15)
    if (!rtp) return false;
    auto prefix = payload_type_prefix(v);
    if (!prefix) return bad(prefix.error());
    auto [pt, params] = *prefix;
    if (params.empty()) return bad("missing parameters after the payload type");
    Codec& c = codec_for(pt);
    if (!c.fmtp_raw.empty()) return bad("payload type " + std::to_string(pt) + " given twice");
    c.fmtp_raw = params;
    c.fmtp = parse_parameter_list(params);
    return true;
  }
  if (name == "rtcp-fb") {
    // a=rtcp-fb:<pt or *> <type> [<parameter>] (RFC 4585 §4.2)
    if (!rtp) return false;
    v = detail::trim(v);
    if (v.starts_with("* ") || v == "*") {
      auto fb = parse_feedback(detail::trim(v.substr(1)));
      if (!fb) return bad(fb.error());
      m.rtcp_fb_all.push_back(std::move(*fb));
      return true;
    }
    auto prefix = payload_type_prefix(v);
    if (!prefix) return bad(prefix.error());
    auto fb = parse_feedback(prefix->second);
    if (!fb) return bad(fb.error());
    codec_for(prefix->first).rtcp_fb.push_back(std::move(*fb));
    return true;
  }
  if (name == "ssrc") {
    auto ssrc = parse_ssrc(v);
    if (!ssrc) return bad(ssrc.error());
    m.ssrcs.push_back(std::move(*ssrc));
    return true;
  }
  if (name == "ssrc-group") {
    auto group = parse_ssrc_group(v);
    if (!group) return bad(group.error());
    m.ssrc_groups.push_back(std::move(*group));
    return true;
  }
  if (name == "rid") {
    auto rid = parse_rid(v);
    if (!rid) return bad(rid.error().message);
    if (m.rids.size() >= kMaxRids) return bad("more than " + std::to_string(kMaxRids) + " rids in one media section");
    for (const auto& r : m.rids) {
      if (r.id == rid->id) return bad("rid " + quote(r.id) + " given twice");
    }
    m.rids.push_back(std::move(*rid));
    return true;
  }
  if (name == "simulcast") {
    if (m.simulcast) return bad("given twice in one media section");
    auto simulcast = parse_simulcast(v);
    if (!simulcast) return bad(simulcast.error().message);
    m.simulcast = std::move(*simulcast);
    media_lines_.back().simulcast = line_;
    return true;
  }
  if (name == "candidate") {
    auto candidate = parse_candidate(v);
    if (!candidate) return bad(candidate.error().message);
    m.candidates.push_back(std::move(*candidate));
    return true;
  }
  if (name == "sctp-port") {
    // RFC 8841 §5.1
    if (m.sctp_port) return bad("given twice");
    auto port = detail::parse_uint<std::uint16_t>(detail::trim(v));
    if (!port) return bad(quote(v) + " is not 0-65535");
    m.sctp_port = *port;
    return true;
  }
  if (name == "max-message-size") {
    // RFC 8841 §6.1; 0 means no limit.
    if (m.max_message_size) return bad("given twice");
    auto size = detail::parse_uint<std::uint64_t>(detail::trim(v));
    if (!size) return bad(quote(v) + " is not a number");
    m.max_message_size = *size;
    return true;
  }
  return false;
}

// Puts codecs in m= order, names listed static payload types, and checks that
// simulcast names only declared rids.
std::expected<void, Error> Parser::finish_media() {
  MediaSection& m = sd_.media.back();
  const MediaLines& where = media_lines_.back();
  if (m.is_rtp()) {
    std::vector<std::uint8_t> order;
    for (const auto& f : m.formats) {
      if (auto pt = detail::parse_uint<std::uint8_t>(f, 127)) order.push_back(*pt);
    }
    for (std::uint8_t pt : order) {
      if (m.find_codec(pt)) continue;
      if (auto c = static_codec(pt)) m.codecs.push_back(std::move(*c));
    }
    // A static payload type with fmtp/rtcp-fb but no rtpmap gets its name too.
    for (auto& c : m.codecs) {
      if (!c.name.empty()) continue;
      if (auto s = static_codec(c.payload_type)) {
        c.name = s->name;
        c.clock_rate = s->clock_rate;
        c.channels = s->channels;
      }
    }
    auto position = [&order](std::uint8_t pt) {
      return static_cast<std::size_t>(std::find(order.begin(), order.end(), pt) - order.begin());
    };
    std::stable_sort(m.codecs.begin(), m.codecs.end(),
                     [&](const Codec& a, const Codec& b) { return position(a.payload_type) < position(b.payload_type); });
  }
  if (m.simulcast) {
    // RFC 8853 §5.1: every rid in a send (recv) list has an a=rid ... send (recv).
    auto check = [&](const std::vector<SimulcastAlternatives>& list, RidDirection direction) -> std::expected<void, Error> {
      for (const auto& alternatives : list) {
        for (const auto& stream : alternatives) {
          const Rid* rid = m.find_rid(stream.rid);
          if (!rid || rid->direction != direction) {
            return std::unexpected(Error{where.simulcast, "a=simulcast: rid " + quote(stream.rid) +
                                                              " has no \"a=rid:" + stream.rid + " " +
                                                              std::string(to_string(direction)) + "\" line"});
          }
        }
      }
      return {};
    };
    if (auto ok = check(m.simulcast->send, RidDirection::Send); !ok) return ok;
    if (auto ok = check(m.simulcast->recv, RidDirection::Recv); !ok) return ok;
  }
  return {};
}

// Checks across sections: unique mids, groups name existing mids. Puts kept
// lines in the order the writer uses (RFC 8866 §5), so that a round trip
// through serialize() gives the same description back.
std::expected<void, Error> Parser::finish() {
  auto session_rank = [](const Line& l) {
    if (std::string_view("iuep").find(l.type) != std::string_view::npos) return 0;
    if (std::string_view("trz").find(l.type) != std::string_view::npos) return 1;
    return 2;
  };
  std::stable_sort(sd_.lines.begin(), sd_.lines.end(),
                   [&](const Line& a, const Line& b) { return session_rank(a) < session_rank(b); });
  for (auto& m : sd_.media) {
    std::stable_sort(m.lines.begin(), m.lines.end(),
                     [](const Line& a, const Line& b) { return (a.type == 'i') > (b.type == 'i'); });
  }
  for (std::size_t i = 0; i < sd_.media.size(); ++i) {
    if (!sd_.media[i].mid) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (sd_.media[j].mid == sd_.media[i].mid) {
        return std::unexpected(Error{media_lines_[i].mid, "a=mid: " + quote(*sd_.media[i].mid) +
                                                              " is already the mid of the m= section on line " +
                                                              std::to_string(media_lines_[j].m)});
      }
    }
  }
  for (std::size_t g = 0; g < sd_.groups.size(); ++g) {
    for (const auto& mid : sd_.groups[g].mids) {
      if (!sd_.find_media(mid)) {
        return std::unexpected(Error{group_lines_[g], "a=group: " + sd_.groups[g].semantics + " names mid " +
                                                          quote(mid) + ", which no m= section has"});
      }
    }
  }
  return {};
}

}  // namespace

Result<SessionDescription> parse(std::string_view text) { return Parser{}.run(text); }

}  // namespace parley::sdp
