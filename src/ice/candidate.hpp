#pragma once

// Local candidates of the server: priorities (RFC 8445 §5.1.2, RFC 6544
// §4.2 for TCP), foundations (RFC 8445 §5.1.1.3) and the SDP attribute value
// (RFC 8839 §5.1, RFC 6544 §4.5).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stun/address.hpp"

namespace parley::ice {

enum class TransportProtocol : std::uint8_t { Udp, Tcp };

std::string_view to_string(TransportProtocol protocol);  // "udp", "tcp"

// RFC 8445 §5.1.2.2: recommended type preferences.
enum class CandidateType : std::uint8_t { Host, PeerReflexive, ServerReflexive, Relayed };

std::string_view to_string(CandidateType type);  // "host", "prflx", "srflx", "relay"
std::uint32_t type_preference(CandidateType type);  // 126, 110, 100, 0

// RFC 6544 §4.5.
enum class TcpType : std::uint8_t { Active, Passive, SimultaneousOpen };

std::string_view to_string(TcpType type);  // "active", "passive", "so"

// RFC 8445 §5.1.2.1:
//   priority = 2^24 * type preference + 2^8 * local preference + (256 - component)
// type 0-126, local 0-65535, component 1-256. Out-of-range inputs are clamped.
std::uint32_t compute_priority(std::uint32_t type_preference, std::uint32_t local_preference,
                               std::uint32_t component_id = 1);

// RFC 6544 §4.2: for TCP the local preference is
//   2^13 * direction-pref + other-pref
// with direction-pref 0-7 and other-pref 0-8191. Host candidates should use
// direction-pref 6 (active), 4 (passive), 2 (S-O).
std::uint32_t tcp_local_preference(TcpType type, std::uint32_t other_preference = 8191);

// The local preference a host UDP candidate gets by default: the maximum,
// which is right for a server with one address per family (RFC 8445
// §5.1.2.2). A multihomed server lowers it per address.
inline constexpr std::uint32_t kDefaultLocalPreference = 65535;

struct LocalCandidate {
  std::string foundation;  // 1-32 ice-chars
  std::uint32_t component = 1;
  TransportProtocol protocol = TransportProtocol::Udp;
  std::uint32_t priority = 0;
  stun::SocketAddress address;
  CandidateType type = CandidateType::Host;
  std::optional<TcpType> tcp_type;  // set for TCP candidates only
};

// RFC 8445 §5.1.1.3: candidates with the same type, base IP, STUN/TURN
// server and transport protocol share a foundation. This derives a short,
// stable decimal foundation from type, base IP and protocol (FNV-1a 32);
// distinct inputs may collide, which only makes pairs share a frozen state in
// the peer's checklist, never a wrong answer.
std::string compute_foundation(CandidateType type, const stun::SocketAddress& base,
                               TransportProtocol protocol);

// A host candidate of component 1 with its priority and foundation filled in:
// UDP with `local_preference`, or TCP passive (RFC 6544) with the TCP local
// preference of tcp_local_preference(Passive). UDP thus ranks above TCP for
// the same address, as RFC 6544 §4.2 wants.
LocalCandidate make_host_candidate(const stun::SocketAddress& address, TransportProtocol protocol,
                                   std::uint32_t local_preference = kDefaultLocalPreference);

// The value of the SDP "a=candidate" attribute, without "a=" (RFC 8839 §5.1):
//   candidate:<foundation> 1 udp <priority> <ip> <port> typ host
//   candidate:<foundation> 1 tcp <priority> <ip> <port> typ host tcptype passive
// IPv6 addresses appear without brackets.
std::string to_sdp_candidate(const LocalCandidate& candidate);

// The IP text of an address without port or brackets ("192.0.2.1", "2001:db8::1").
std::string ip_to_string(const stun::SocketAddress& address);

}  // namespace parley::ice
