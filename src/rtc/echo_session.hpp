#pragma once

// The echo service's media logic (WHIP-style /api/v1/echo): whatever the
// browser sends on a sendrecv m= section comes back to it on the same
// section, as a stream of the server's own SSRC.
//
// - RTP: the packet's m= section is found by SSRC (learned), else the
//   offer's a=ssrc, else the mid header extension (RFC 8843 §9.2), else the
//   payload type. SSRC rewritten to ours; sequence number and timestamp kept
//   (one source per section, so they stay consistent, RFC 3550 §5.1);
//   payload type kept (the answer uses the offer's); header extensions kept:
//   only mid/audio-level/abs-send-time were negotiated, with the browser's
//   own ids, on the section the packet returns on. Other payload types
//   (no RTX was negotiated) are dropped.
// - RTCP from the browser's receiver about OUR SSRCs is turned around to
//   the browser's sender, which is the real media source: PLI and FIR
//   (RFC 4585 §6.3.1, RFC 5104 §4.3.1) become a PLI for its SSRC, generic
//   NACK (RFC 4585 §6.2.1) is rewritten to its SSRC (sequence numbers are
//   the same, so its retransmissions come back through the echo).
// - One PLI to the browser when a video stream starts, so that the first
//   frame we echo is a keyframe.
// - on_tick (about 1 s): per section we send on, a compound SR + SDES CNAME
//   (RFC 3550 §6.4.1, §6.5.1) about our stream, with one report block about
//   the browser's stream (highest sequence number, LSR/DLSR so that it can
//   measure the RTT; loss and jitter are not computed and reported as 0).
// - Data channels (when the answer accepted an application section): SCTP
//   over DTLS with DCEP (sctp_association.hpp); every message comes back on
//   its stream with its PPID.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "rtc/answer.hpp"
#include "rtc/sctp_association.hpp"
#include "rtc/webrtc_transport.hpp"

namespace parley::rtc {

class EchoSession {
 public:
  // `transport` is the worker's and outlives the session; `executor`: the
  // worker's, where usrsctp's callbacks are posted to.
  EchoSession(WebRtcTransport& transport, const Answer& answer, std::string cname,
              boost::asio::any_io_executor executor);
  ~EchoSession();

  // Sends the periodic RTCP reports.
  void on_tick(std::chrono::steady_clock::time_point now);

  WebRtcTransport& transport() { return *transport_; }
  std::uint64_t packets_echoed() const { return echoed_; }
  std::uint64_t messages_echoed() const { return messages_echoed_; }

 private:
  struct Track {
    std::string mid;
    sdp::MediaKind kind = sdp::MediaKind::Audio;
    std::uint8_t payload_type = 0;
    std::uint32_t local_ssrc = 0;    // 0: we do not send on this section
    std::uint32_t remote_ssrc = 0;   // 0: not seen yet
    std::vector<std::uint32_t> offered_ssrcs;
    std::uint8_t mid_extension_id = 0;  // 0: not negotiated
    std::uint32_t clock_rate = 90000;
    // For the SR about our stream (RFC 3550 §6.4.1).
    std::uint32_t packets_sent = 0;
    std::uint32_t octets_sent = 0;
    std::uint32_t last_timestamp = 0;
    std::chrono::steady_clock::time_point last_sent{};
    // For the report block about the browser's stream (§6.4.1, A.1).
    std::uint32_t cycles = 0;
    std::uint16_t max_seq = 0;
    bool seq_started = false;
    std::uint32_t last_sr = 0;  // compact NTP of its last SR
    std::chrono::steady_clock::time_point last_sr_at{};
  };

  Track* track_for(std::uint32_t ssrc, std::uint8_t payload_type,
                   std::optional<std::span<const std::uint8_t>> mid);
  Track* track_by_local(std::uint32_t ssrc);
  void handle_rtp(std::span<std::uint8_t> buffer, std::size_t len);
  void handle_rtcp(std::span<std::uint8_t> buffer, std::size_t len);
  void send_pli(const Track& track);
  void send_reports(std::chrono::steady_clock::time_point now);

  WebRtcTransport* transport_;
  std::unique_ptr<SctpAssociation> sctp_;
  std::uint64_t messages_echoed_ = 0;
  std::vector<Track> tracks_;
  std::string cname_;
  std::uint64_t echoed_ = 0;
};

}  // namespace parley::rtc
