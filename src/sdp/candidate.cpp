#include "sdp/candidate.hpp"

#include <algorithm>

#include "sdp/detail/text.hpp"

namespace parley::sdp {

namespace {

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(Error{0, std::move(message)});
}

// Connection addresses: IPv4, IPv6 (with an optional %zone) or a host name.
bool is_address(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == ':' || c == '-' || c == '_' || c == '%';
  });
}

}  // namespace

std::string_view to_string(CandidateType type) {
  switch (type) {
    case CandidateType::Host: return "host";
    case CandidateType::ServerReflexive: return "srflx";
    case CandidateType::PeerReflexive: return "prflx";
    case CandidateType::Relayed: return "relay";
    case CandidateType::Other: break;
  }
  return "";
}

std::optional<std::string_view> Candidate::extension(std::string_view name) const {
  return find_parameter(extensions, name);
}

bool Candidate::is_udp() const { return detail::iequals(transport, "udp"); }
bool Candidate::is_tcp() const { return detail::iequals(transport, "tcp"); }

Result<Candidate> parse_candidate(std::string_view text) {
  text = detail::trim(text);
  if (text.starts_with("a=")) text.remove_prefix(2);
  if (text.starts_with("candidate:")) text.remove_prefix(10);
  if (text.size() > kMaxCandidateSize) return fail("longer than " + std::to_string(kMaxCandidateSize) + " bytes");

  auto words = detail::split_words(text);
  // RFC 8839 §5.1: six fixed fields, then "typ <type>".
  if (words.size() < 8) return fail("expected at least 8 fields, found " + std::to_string(words.size()));
  Candidate c;

  if (!detail::is_ice_chars(words[0]) || words[0].size() > 32) {
    return fail("foundation " + detail::quote(words[0]) + " is not 1-32 ice-chars");
  }
  c.foundation = words[0];

  auto component = detail::parse_uint<std::uint16_t>(words[1], 256);
  if (!component || *component == 0) return fail("component " + detail::quote(words[1]) + " is not 1-256");
  c.component = *component;

  if (!detail::is_token(words[2])) return fail("transport " + detail::quote(words[2]) + " is not a token");
  c.transport = words[2];

  auto priority = detail::parse_uint<std::uint32_t>(words[3]);
  if (!priority) return fail("priority " + detail::quote(words[3]) + " is not a 32-bit number");
  c.priority = *priority;

  if (!is_address(words[4])) return fail("address " + detail::quote(words[4]) + " is not an address");
  c.address = words[4];

  auto port = detail::parse_uint<std::uint16_t>(words[5]);
  if (!port) return fail("port " + detail::quote(words[5]) + " is not 0-65535");
  c.port = *port;

  if (words[6] != "typ") return fail("expected \"typ\", found " + detail::quote(words[6]));
  std::string_view type = words[7];
  if (type == "host") {
    c.type = CandidateType::Host;
  } else if (type == "srflx") {
    c.type = CandidateType::ServerReflexive;
  } else if (type == "prflx") {
    c.type = CandidateType::PeerReflexive;
  } else if (type == "relay") {
    c.type = CandidateType::Relayed;
  } else if (detail::is_token(type)) {
    c.type = CandidateType::Other;
    c.other_type = type;
  } else {
    return fail("candidate type " + detail::quote(type) + " is not a token");
  }

  // The rest are name/value pairs.
  if ((words.size() - 8) % 2 != 0) {
    return fail("extension " + detail::quote(words.back()) + " has no value");
  }
  for (std::size_t i = 8; i + 1 < words.size(); i += 2) {
    std::string_view name = words[i];
    std::string_view value = words[i + 1];
    if (name == "raddr") {
      if (c.related_address) return fail("raddr given twice");
      if (!is_address(value)) return fail("raddr " + detail::quote(value) + " is not an address");
      c.related_address = std::string(value);
    } else if (name == "rport") {
      if (c.related_port) return fail("rport given twice");
      auto rport = detail::parse_uint<std::uint16_t>(value);
      if (!rport) return fail("rport " + detail::quote(value) + " is not 0-65535");
      c.related_port = *rport;
    } else if (name == "tcptype") {
      if (c.tcp_type) return fail("tcptype given twice");
      if (!detail::is_token(value)) return fail("tcptype " + detail::quote(value) + " is not a token");
      c.tcp_type = std::string(value);
    } else {
      if (!detail::is_visible(name) || !detail::is_visible(value)) {
        return fail("extension " + detail::quote(name) + " has non-printable bytes");
      }
      c.extensions.push_back({std::string(name), std::string(value)});
    }
  }
  return c;
}

std::string to_string(const Candidate& c) {
  std::string out = "candidate:";
  out += c.foundation;
  out += ' ';
  out += std::to_string(c.component);
  out += ' ';
  out += c.transport;
  out += ' ';
  out += std::to_string(c.priority);
  out += ' ';
  out += c.address;
  out += ' ';
  out += std::to_string(c.port);
  out += " typ ";
  out += c.type == CandidateType::Other ? std::string_view(c.other_type) : to_string(c.type);
  if (c.related_address) {
    out += " raddr ";
    out += *c.related_address;
  }
  if (c.related_port) {
    out += " rport ";
    out += std::to_string(*c.related_port);
  }
  if (c.tcp_type) {
    out += " tcptype ";
    out += *c.tcp_type;
  }
  for (const auto& ext : c.extensions) {
    out += ' ';
    out += ext.name;
    out += ' ';
    out += ext.value;
  }
  return out;
}

}  // namespace parley::sdp
