// libFuzzer target for the shared media port: a datagram is classified by
// its first byte (RFC 7983 §7) and handed to the parser of its class, as the
// media worker does. Nothing that arrives may crash a parser it is routed to.
//
// Built as `demux_fuzz` with Clang (libFuzzer) and as `demux_fuzz_replay` with
// any compiler (../replay_main.cpp), which runs as a unit test.

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtc/demux.hpp"
#include "rtp/rtp.hpp"
#include "stun/stun.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  switch (parley::rtc::classify(datagram)) {
    case parley::rtc::PacketClass::Stun:
      if (auto m = parley::stun::Message::parse(datagram)) (void)m->attributes();
      break;
    case parley::rtc::PacketClass::Rtp:
      if (auto p = parley::rtp::RtpPacket::parse(datagram)) (void)p->payload();
      break;
    case parley::rtc::PacketClass::Rtcp:
      if (auto c = parley::rtp::RtcpCompound::parse(datagram))
        for (const auto& packet : *c) (void)packet.body();
      break;
    case parley::rtc::PacketClass::Dtls:     // goes to OpenSSL, which we do not fuzz here
    case parley::rtc::PacketClass::Unknown:  // dropped
      break;
  }
  return 0;
}
