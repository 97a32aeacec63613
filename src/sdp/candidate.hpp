#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/error.hpp"
#include "sdp/parameter.hpp"

namespace parley::sdp {

// RFC 8839 §5.1 cand-type.
enum class CandidateType : std::uint8_t { Host, ServerReflexive, PeerReflexive, Relayed, Other };

std::string_view to_string(CandidateType type);  // "host", "srflx", "prflx", "relay", "" (Other)

// An ICE candidate (RFC 8839 §5.1):
//   candidate:<foundation> <component> <transport> <priority> <address> <port>
//             typ <type> [raddr <address>] [rport <port>] *(<ext-name> <ext-value>)
// tcptype (RFC 6544 §4.5) is pulled out of the extensions; every other
// extension (generation, ufrag, network-id, network-cost, ...) is kept in
// order in `extensions`.
struct Candidate {
  std::string foundation;         // 1-32 ice-chars
  std::uint16_t component = 1;    // 1 = RTP (the only one with rtcp-mux)
  std::string transport = "udp";  // as written ("udp", "UDP", "tcp")
  std::uint32_t priority = 0;
  std::string address;            // IPv4, IPv6 or an FQDN (mDNS "<uuid>.local")
  std::uint16_t port = 0;
  CandidateType type = CandidateType::Host;
  std::string other_type;         // the typ token when type is Other
  std::optional<std::string> related_address;  // raddr
  std::optional<std::uint16_t> related_port;   // rport
  std::optional<std::string> tcp_type;         // "active", "passive", "so"
  std::vector<Parameter> extensions;

  // An extension's value by name ("generation", "ufrag", ...).
  std::optional<std::string_view> extension(std::string_view name) const;

  bool is_udp() const;
  bool is_tcp() const;

  bool operator==(const Candidate&) const = default;
};

inline constexpr std::size_t kMaxCandidateSize = 2048;  // bytes; real ones are < 200

// Parses a candidate as found in SDP or in a trickled RTCIceCandidate:
// "a=candidate:...", "candidate:..." or the bare attribute value. Errors have
// line 0.
Result<Candidate> parse_candidate(std::string_view text);

// "candidate:<foundation> ..." (the attribute without the "a=").
std::string to_string(const Candidate& candidate);

}  // namespace parley::sdp
