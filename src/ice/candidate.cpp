#include "ice/candidate.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

namespace parley::ice {

std::string_view to_string(TransportProtocol protocol) {
  return protocol == TransportProtocol::Tcp ? "tcp" : "udp";
}

std::string_view to_string(CandidateType type) {
  switch (type) {
    case CandidateType::Host: return "host";
    case CandidateType::PeerReflexive: return "prflx";
    case CandidateType::ServerReflexive: return "srflx";
    case CandidateType::Relayed: return "relay";
  }
  return "host";
}

std::uint32_t type_preference(CandidateType type) {
  // RFC 8445 §5.1.2.2.
  switch (type) {
    case CandidateType::Host: return 126;
    case CandidateType::PeerReflexive: return 110;
    case CandidateType::ServerReflexive: return 100;
    case CandidateType::Relayed: return 0;
  }
  return 0;
}

std::string_view to_string(TcpType type) {
  switch (type) {
    case TcpType::Active: return "active";
    case TcpType::Passive: return "passive";
    case TcpType::SimultaneousOpen: return "so";
  }
  return "passive";
}

std::uint32_t compute_priority(std::uint32_t type_pref, std::uint32_t local_pref,
                               std::uint32_t component_id) {
  // RFC 8445 §5.1.2.1.
  type_pref = std::min<std::uint32_t>(type_pref, 126);
  local_pref = std::min<std::uint32_t>(local_pref, 65535);
  component_id = std::clamp<std::uint32_t>(component_id, 1, 256);
  return (type_pref << 24) + (local_pref << 8) + (256 - component_id);
}

std::uint32_t tcp_local_preference(TcpType type, std::uint32_t other_preference) {
  // RFC 6544 §4.2, recommended direction-pref of host candidates.
  std::uint32_t direction = 4;
  switch (type) {
    case TcpType::Active: direction = 6; break;
    case TcpType::Passive: direction = 4; break;
    case TcpType::SimultaneousOpen: direction = 2; break;
  }
  return (direction << 13) + std::min<std::uint32_t>(other_preference, 8191);
}

std::string ip_to_string(const stun::SocketAddress& address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const int family = address.family == stun::AddressFamily::IPv6 ? AF_INET6 : AF_INET;
  if (inet_ntop(family, address.ip.data(), text.data(), text.size()) == nullptr) return {};
  return std::string(text.data());
}

std::string compute_foundation(CandidateType type, const stun::SocketAddress& base,
                               TransportProtocol protocol) {
  std::uint32_t hash = 2166136261u;  // FNV-1a 32 offset basis
  const auto mix = [&hash](std::uint8_t byte) {
    hash ^= byte;
    hash *= 16777619u;
  };
  mix(static_cast<std::uint8_t>(type));
  mix(static_cast<std::uint8_t>(protocol));
  mix(static_cast<std::uint8_t>(base.family));
  for (std::uint8_t b : base.ip_bytes()) mix(b);
  return std::to_string(hash);  // at most 10 digits, all ice-chars
}

LocalCandidate make_host_candidate(const stun::SocketAddress& address, TransportProtocol protocol,
                                   std::uint32_t local_preference) {
  LocalCandidate c;
  c.foundation = compute_foundation(CandidateType::Host, address, protocol);
  c.component = 1;
  c.protocol = protocol;
  c.address = address;
  c.type = CandidateType::Host;
  if (protocol == TransportProtocol::Tcp) {
    c.tcp_type = TcpType::Passive;
    c.priority = compute_priority(type_preference(CandidateType::Host),
                                  tcp_local_preference(TcpType::Passive), c.component);
  } else {
    c.priority =
        compute_priority(type_preference(CandidateType::Host), local_preference, c.component);
  }
  return c;
}

std::string to_sdp_candidate(const LocalCandidate& c) {
  // RFC 8839 §5.1: foundation component transport priority address port
  // "typ" type, then extensions; RFC 6544 §4.5 adds "tcptype".
  std::string out = "candidate:";
  out += c.foundation;
  out += ' ';
  out += std::to_string(c.component);
  out += ' ';
  out += to_string(c.protocol);
  out += ' ';
  out += std::to_string(c.priority);
  out += ' ';
  out += ip_to_string(c.address);
  out += ' ';
  out += std::to_string(c.address.port);
  out += " typ ";
  out += to_string(c.type);
  if (c.protocol == TransportProtocol::Tcp && c.tcp_type) {
    out += " tcptype ";
    out += to_string(*c.tcp_type);
  }
  return out;
}

}  // namespace parley::ice
