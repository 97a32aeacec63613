#pragma once

// What a datagram on the shared media port is, by its first byte
// (RFC 7983 §7, updating RFC 5764 §5.1.2):
//
//   0-3     STUN           20-63   DTLS        64-79   TURN channel (unused here)
//   128-191 RTP / RTCP     anything else: drop
//
// RTP and RTCP share the port (rtcp-mux); RFC 5761 §4 tells them apart by
// the second byte: RTCP packet types 192-223 (payload type 64-95 with the
// marker bit set) are RTCP, everything else RTP.

#include <cstdint>
#include <span>
#include <string_view>

namespace parley::rtc {

enum class PacketClass : std::uint8_t { Stun, Dtls, Rtp, Rtcp, Unknown };

constexpr std::string_view to_string(PacketClass c) {
  switch (c) {
    case PacketClass::Stun: return "stun";
    case PacketClass::Dtls: return "dtls";
    case PacketClass::Rtp: return "rtp";
    case PacketClass::Rtcp: return "rtcp";
    case PacketClass::Unknown: break;
  }
  return "unknown";
}

constexpr PacketClass classify(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return PacketClass::Unknown;
  const std::uint8_t b = datagram[0];
  if (b <= 3) return PacketClass::Stun;                   // RFC 7983 §7
  if (b >= 20 && b <= 63) return PacketClass::Dtls;       // RFC 7983 §7
  if (b >= 128 && b <= 191) {                             // RFC 7983 §7
    if (datagram.size() < 2) return PacketClass::Unknown;  // no header to judge
    const std::uint8_t pt = datagram[1];
    return pt >= 192 && pt <= 223 ? PacketClass::Rtcp : PacketClass::Rtp;  // RFC 5761 §4
  }
  return PacketClass::Unknown;
}

}  // namespace parley::rtc
