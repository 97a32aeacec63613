#pragma once
// Parley's own WebRTC peer, without a browser: the controlling side that
// Parley's integration tests and media benchmark point at the server.
//
//   offer_sdp()   one audio (opus/48000/2) and one video (VP8/90000) m= line,
//                 BUNDLE (RFC 8843), rtcp-mux (RFC 5761), our ICE ufrag/pwd
//                 (RFC 8839 §5.4), sha-256 fingerprint (RFC 8122 §5),
//                 setup:active (RFC 8842 §5: we are the DTLS client),
//                 sendrecv and our SSRCs with a cname (RFC 5576 §4.1).
//                 With data_channel, also an m=application UDP/DTLS/SCTP
//                 webrtc-datachannel section with a=sctp-port and
//                 a=max-message-size (RFC 8841 §4-§6) in the BUNDLE group.
//   set_answer()  remote ufrag/pwd, fingerprint, first UDP host candidate,
//                 the server's SSRC per kind, its sctp-port and
//                 max-message-size.
//   connect()     ICE checks with USE-CANDIDATE (RFC 8445 §7.2, §8.1.1,
//                 aggressive-style nomination against a lite agent) until a
//                 success response, then the DTLS client handshake
//                 (RFC 6347) and SRTP keys from the exporter (RFC 5764 §4.2).
//   send_rtp()    builds, protects and sends one RTP packet.
//   poll()        receives for a while, unprotects and hands RTP/RTCP to the
//                 callbacks; also sends a consent check every 5 s
//                 (RFC 7675 §5.1) so the server keeps the pair alive.
//
// Data channels (RFC 8831) reuse the server's SctpAssociation, as the DTLS
// client: connect() starts the association (both ends send INIT, RFC 8831
// §6.2), open_data_channel() sends DATA_CHANNEL_OPEN on an even stream
// (RFC 8832 §6) and waits for the ACK, send_data() and on_data() carry the
// messages. usrsctp posts its callbacks (from its own timer thread too) to
// an io_context inside the client, whose handlers poll() and the blocking
// calls run on the caller's thread; while data channels are in use poll()
// waits on the socket in short slices so that timer-driven SCTP output
// (retransmissions, delayed SACKs) goes out without waiting for a datagram.
//
// Blocking, one UDP socket connected to the server's candidate, one thread.
// With use_tcp: one TCP connection to the server's passive ICE-TCP candidate
// instead (RFC 6544 §4.5), every STUN/DTLS/SRTP packet framed with a 16-bit
// length (RFC 4571 §2).
// Not thread-safe. For tests and load generation, not for production peers.
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dtls/dtls_transport.hpp"
#include "ice/credentials.hpp"
#include "rtc/sctp_association.hpp"
#include "rtp/rtp_packet.hpp"
#include "srtp/srtp_session.hpp"
#include "stun/address.hpp"

namespace boost::asio {
class io_context;
}

namespace parley::ice {
class IceChecker;
class TcpFrameDecoder;
}

namespace parley::rtc {

struct WebRtcClientConfig {
  std::uint8_t audio_payload_type = 111;  // opus
  std::uint8_t video_payload_type = 96;   // VP8
  std::uint32_t audio_ssrc = 0;           // 0: random
  std::uint32_t video_ssrc = 0;           // 0: random
  std::string cname;                      // "": random
  // SRTP profiles offered in use_srtp, most preferred first (RFC 5764 §4.1.1).
  std::vector<dtls::SrtpProfile> srtp_profiles{dtls::SrtpProfile::aead_aes_128_gcm,
                                               dtls::SrtpProfile::aes128_cm_hmac_sha1_80};
  // Tests: the fingerprint put in OUR offer instead of our certificate's (a
  // peer lying about its certificate must be refused, RFC 8122 §5).
  std::optional<dtls::Fingerprint> advertised_fingerprint;
  // Bounds ICE and DTLS together.
  std::chrono::milliseconds connect_timeout{5000};
  // First ICE retransmission interval (RFC 8489 §6.2.1 RTO; loopback needs
  // far less than the 500 ms default); doubles per retransmission.
  std::chrono::milliseconds ice_rto{100};
  std::chrono::milliseconds dtls_initial_timeout{200};
  // SRTP replay window (packets); video with NACK wants more than 128.
  std::size_t replay_window = 1024;
  // Socket buffer sizes (0: system default); the benchmark raises them.
  int socket_buffer_bytes = 0;
  // UDP: ask the kernel to stamp each datagram's arrival (SO_TIMESTAMPNS),
  // so that arrival_time() does not include how late the caller got to it.
  bool arrival_timestamps = false;
  // Offer an application section for data channels (RFC 8841).
  bool data_channel = false;
  // Connect over TCP to the answer's "tcptype passive" host candidate
  // (RFC 6544) instead of UDP; every packet RFC 4571-framed.
  bool use_tcp = false;
};

struct WebRtcClientStats {
  std::uint64_t rtp_sent = 0;
  std::uint64_t rtp_received = 0;
  std::uint64_t rtcp_sent = 0;
  std::uint64_t rtcp_received = 0;
  std::uint64_t unprotect_failures = 0;
  std::uint64_t ignored = 0;  // unknown or out-of-place datagrams
  std::uint64_t send_failures = 0;
  int ice_requests = 0;
  std::uint64_t data_sent = 0;      // data channel messages
  std::uint64_t data_received = 0;
};

class WebRtcClient {
 public:
  using RtpFunction = std::function<void(const rtp::RtpPacket& packet)>;
  using RtcpFunction = std::function<void(std::span<const std::uint8_t> compound)>;
  // A data channel message: its stream, its PPID (RFC 8831 §8: 51 string,
  // 53 binary, 56/57 the empty ones, with empty data) and its bytes.
  using DataFunction =
      std::function<void(std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> data)>;

  static std::expected<std::unique_ptr<WebRtcClient>, std::string> create(
      WebRtcClientConfig config = {});
  ~WebRtcClient();
  WebRtcClient(const WebRtcClient&) = delete;
  WebRtcClient& operator=(const WebRtcClient&) = delete;

  std::string offer_sdp() const;
  // Parses the server's answer; nothing is sent yet.
  std::expected<void, std::string> set_answer(std::string_view answer_sdp);
  // ICE, then DTLS; blocks up to connect_timeout.
  std::expected<void, std::string> connect();

  // Answerer mode (the SFU's subscriber connection, where the server offers):
  // the remote offer's setup may be actpass (or passive); we answer active,
  // stay ICE controlling and the DTLS client, so connect() works unchanged.
  // The first call opens the transport as set_answer() does; later calls
  // (renegotiations) only keep the new offer, which must carry the same ICE
  // credentials (no ICE restart).
  std::expected<void, std::string> set_remote_offer(std::string_view offer_sdp);
  // The answer to the last set_remote_offer(), a receiver's (RFC 8829
  // §5.3): every offered audio/video section answered with the same mid,
  // opus / VP8 (+ its rtx, RFC 4588 §8.6) at the offer's payload types,
  // NACK/PLI/FIR/transport-cc feedback, the mid, ssrc-audio-level,
  // abs-send-time and transport-wide-cc extensions at the offer's ids,
  // sendonly -> recvonly (sendrecv too: we never send on it), inactive
  // kept, our ICE credentials and fingerprint, setup:active, rtcp-mux, one
  // BUNDLE group. With rtx=false the rtx codec is left out (the sender
  // then retransmits on the media SSRC).
  std::expected<std::string, std::string> answer_sdp(bool rtx = true) const;
  // Our certificate's fingerprint (what offer_sdp()/answer_sdp() put in).
  const dtls::Fingerprint& local_fingerprint() const;
  // An RTP packet built by the caller (header extensions and all), protected
  // as SRTP and sent. Needs connect().
  std::expected<void, std::string> send_rtp_packet(std::span<const std::uint8_t> packet);
  // The socket, for a caller that waits on several clients with poll(2)
  // and then calls poll(0) on the readable ones. -1 before create().
  int native_handle() const { return fd_; }

  // Plain RTP in, SRTP out (RFC 3711 §3.3). Needs connect().
  std::expected<void, std::string> send_rtp(std::uint8_t payload_type, std::uint16_t seq,
                                            std::uint32_t timestamp, std::uint32_t ssrc,
                                            std::span<const std::uint8_t> payload,
                                            bool marker = false);
  // A plain compound RTCP packet, protected as SRTCP (RFC 3711 §3.4).
  std::expected<void, std::string> send_rtcp(std::span<const std::uint8_t> compound);

  void on_rtp(RtpFunction fn) { on_rtp_ = std::move(fn); }
  void on_rtcp(RtcpFunction fn) { on_rtcp_ = std::move(fn); }

  // Opens a reliable data channel (RFC 8832 §6) and returns its stream once
  // the server acknowledged it; first waits for the SCTP association. Needs
  // connect() with data_channel accepted by the answer. Blocks (polling, so
  // media callbacks run meanwhile) up to connect_timeout.
  std::expected<std::uint16_t, std::string> open_data_channel(std::string_view label,
                                                              bool ordered = true);
  // One message on an open channel; `ppid` String or Binary (an empty
  // message goes out as 56/57, RFC 8831 §6.6). At most the answer's
  // a=max-message-size.
  std::expected<void, std::string> send_data(std::uint16_t stream, Ppid ppid,
                                             std::span<const std::uint8_t> data);
  std::expected<void, std::string> send_text(std::uint16_t stream, std::string_view text);
  void on_data(DataFunction fn) { on_data_ = std::move(fn); }

  // Receives and dispatches datagrams for up to `timeout` (0: only what is
  // already queued). Returns the number of datagrams handled.
  std::size_t poll(std::chrono::milliseconds timeout);

  // Drops the SCTP association and sends DTLS close_notify.
  void close();

  std::uint32_t audio_ssrc() const { return config_.audio_ssrc; }
  std::uint32_t video_ssrc() const { return config_.video_ssrc; }
  std::uint8_t audio_payload_type() const { return config_.audio_payload_type; }
  std::uint8_t video_payload_type() const { return config_.video_payload_type; }
  // The server's SSRCs from the answer (0 when it announced none).
  std::uint32_t remote_audio_ssrc() const { return remote_audio_ssrc_; }
  std::uint32_t remote_video_ssrc() const { return remote_video_ssrc_; }
  const stun::SocketAddress& remote_address() const { return remote_address_; }
  bool connected() const { return srtp_.has_value(); }
  // When the datagram being dispatched (the one an on_rtp/on_rtcp callback
  // is looking at) arrived: the kernel's stamp with arrival_timestamps,
  // else when it was read.
  std::chrono::steady_clock::time_point arrival_time() const { return arrival_; }
  // The answer accepted our application section.
  bool data_channel_negotiated() const { return remote_sctp_port_.has_value(); }
  std::uint64_t remote_max_message_size() const { return remote_max_message_size_; }
  std::optional<dtls::SrtpProfile> srtp_profile() const;
  const WebRtcClientStats& stats() const { return stats_; }
  const ice::IceCredentials& local_ice() const { return local_ice_; }

 private:
  explicit WebRtcClient(WebRtcClientConfig config);
  std::expected<void, std::string> open_socket();
  std::expected<void, std::string> run_ice(std::chrono::steady_clock::time_point deadline);
  std::expected<void, std::string> run_dtls(std::chrono::steady_clock::time_point deadline);
  void send_datagram(std::span<const std::uint8_t> datagram);
  // One datagram, waiting at most `timeout`; empty on timeout.
  std::optional<std::size_t> receive(std::chrono::milliseconds timeout);
  // recv(2) into rx_ (with the arrival stamp when asked for); -1 and errno
  // as recv.
  ssize_t receive_datagram();
  void dispatch(std::size_t len);
  void maybe_send_consent_check();
  // Runs what usrsctp posted (packets to send, received messages); not
  // re-entered from a handler (e.g. on_data calling send_data).
  void run_sctp_handlers();

  WebRtcClientConfig config_;
  ice::IceCredentials local_ice_;
  ice::IceCredentials remote_ice_;
  std::shared_ptr<const dtls::Certificate> certificate_;
  std::optional<dtls::Fingerprint> remote_fingerprint_;
  stun::SocketAddress remote_address_;
  std::uint32_t remote_audio_ssrc_ = 0;
  std::uint32_t remote_video_ssrc_ = 0;
  std::optional<std::uint16_t> remote_sctp_port_;  // set when the answer accepted data channels
  std::uint64_t remote_max_message_size_ = 0;
  bool have_answer_ = false;
  bool answering_ = false;     // set_remote_offer(): we are the answerer
  std::string remote_offer_;   // the last remote offer (answerer mode)

  int fd_ = -1;
  std::unique_ptr<ice::TcpFrameDecoder> tcp_rx_;  // use_tcp: frames from the stream
  bool tcp_eof_ = false;                          // use_tcp: the server closed
  std::unique_ptr<ice::IceChecker> checker_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  std::optional<srtp::SessionPair> srtp_;
  // Declared before the association, which posts to it: destroyed after it.
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<SctpAssociation> sctp_;
  std::vector<std::uint16_t> open_streams_;  // acknowledged channels
  bool in_sctp_handlers_ = false;
  std::chrono::steady_clock::time_point last_consent_{};

  std::vector<std::uint8_t> rx_;  // receive buffer
  std::chrono::steady_clock::time_point arrival_{};  // of the datagram in rx_
  std::vector<std::uint8_t> tx_;  // RTP/RTCP build + protect buffer
  RtpFunction on_rtp_;
  RtcpFunction on_rtcp_;
  DataFunction on_data_;
  WebRtcClientStats stats_;
};

}  // namespace parley::rtc
