#include "rtc/client/webrtc_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ice/candidate.hpp"
#include "ice/ice_checker.hpp"
#include "ice/tcp_framing.hpp"
#include "rtc/answer.hpp"
#include "rtc/demux.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace parley::rtc {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kBufferSize = 2048;
// RFC 7675 §5.1: a consent check about every 5 s.
constexpr auto kConsentInterval = std::chrono::seconds(5);
// Longest wait on the socket while an SCTP association may have timer
// output posted by usrsctp's thread (nothing else wakes poll(2) for it).
constexpr milliseconds kSctpSlice{5};

std::uint32_t random_u32() {
  std::uint32_t v = 0;
  while (v == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1)
      throw std::runtime_error("RAND_bytes failed");
  }
  return v;
}

std::string random_token(std::size_t n) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(kChars[random_u32() % (sizeof kChars - 1)]);
  return out;
}

milliseconds remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

}  // namespace

std::expected<std::unique_ptr<WebRtcClient>, std::string> WebRtcClient::create(
    WebRtcClientConfig config) {
  auto cert = dtls::Certificate::process_certificate();
  if (!cert) return std::unexpected("certificate: " + cert.error());
  if (config.audio_ssrc == 0) config.audio_ssrc = random_u32();
  while (config.video_ssrc == 0 || config.video_ssrc == config.audio_ssrc)
    config.video_ssrc = random_u32();
  if (config.cname.empty()) config.cname = random_token(16);
  std::unique_ptr<WebRtcClient> client(new WebRtcClient(std::move(config)));
  client->certificate_ = *cert;
  if (auto r = client->open_socket(); !r) return std::unexpected(r.error());
  return client;
}

WebRtcClient::WebRtcClient(WebRtcClientConfig config)
    : config_(std::move(config)),
      local_ice_(ice::generate_credentials()),
      rx_(kBufferSize),
      tx_(kBufferSize) {}

WebRtcClient::~WebRtcClient() {
  sctp_.reset();  // before DTLS, which it sends through
  io_.reset();
  dtls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> WebRtcClient::open_socket() {
  // IPv4 UDP; the remote candidate decides where it connects (set_answer).
  fd_ = ::socket(AF_INET, (config_.use_tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::unexpected(std::string("socket: ") + std::strerror(errno));
  if (config_.socket_buffer_bytes > 0) {
    const int size = config_.socket_buffer_bytes;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (config_.arrival_timestamps && !config_.use_tcp) {
    const int on = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  }
  return {};
}

std::string WebRtcClient::offer_sdp() const {
  sdp::SessionDescription d;
  d.origin.session_id = std::to_string(random_u32());
  d.origin.session_version = 2;
  sdp::Group bundle{"BUNDLE", {"0", "1"}};  // RFC 8843 §7.2
  if (config_.data_channel) bundle.mids.push_back("2");
  d.groups.push_back(std::move(bundle));
  d.msid_semantic = sdp::MsidSemantic{"WMS", {}};
  const dtls::Fingerprint& fp = config_.advertised_fingerprint
                                    ? *config_.advertised_fingerprint
                                    : certificate_->fingerprint();

  auto section = [&](sdp::MediaKind kind, std::string mid, sdp::Codec codec, std::uint32_t ssrc) {
    sdp::MediaSection m;
    m.kind = kind;
    m.port = 9;  // JSEP placeholder; the candidates carry the address
    m.connection = sdp::Connection{};
    m.mid = std::move(mid);
    m.direction = sdp::Direction::SendRecv;
    m.ice_ufrag = local_ice_.ufrag;  // RFC 8839 §5.4
    m.ice_pwd = local_ice_.pwd;
    m.fingerprints.push_back(sdp::Fingerprint{fp.algorithm, fp.hex()});  // RFC 8122 §5
    m.setup = sdp::Setup::Active;  // RFC 8842 §5.2: we start DTLS as its client
    m.rtcp_mux = true;             // RFC 5761 §5.1.1
    m.codecs.push_back(std::move(codec));
    m.msids.push_back(sdp::Msid{"parley-client", *m.mid == "0" ? "audio" : "video"});
    m.ssrcs.push_back(sdp::SsrcAttribute{ssrc, "cname", config_.cname});  // RFC 5576 §4.1
    return m;
  };
  sdp::Codec opus;
  opus.payload_type = config_.audio_payload_type;
  opus.name = "opus";
  opus.clock_rate = 48000;
  opus.channels = 2;
  opus.fmtp_raw = "minptime=10;useinbandfec=1";
  sdp::Codec vp8;
  vp8.payload_type = config_.video_payload_type;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  vp8.rtcp_fb = {{"nack", ""}, {"nack", "pli"}, {"ccm", "fir"}};
  d.media.push_back(section(sdp::MediaKind::Audio, "0", std::move(opus), config_.audio_ssrc));
  d.media.push_back(section(sdp::MediaKind::Video, "1", std::move(vp8), config_.video_ssrc));
  if (config_.data_channel) {
    // RFC 8841 §4-§6: SCTP over DTLS over UDP, the data channel usage, our
    // SCTP port and the largest message we take. Same transport (BUNDLE).
    sdp::MediaSection m;
    m.kind = sdp::MediaKind::Application;
    m.port = 9;
    m.connection = sdp::Connection{};
    m.protocol = "UDP/DTLS/SCTP";
    m.formats = {"webrtc-datachannel"};
    m.mid = "2";
    m.ice_ufrag = local_ice_.ufrag;
    m.ice_pwd = local_ice_.pwd;
    m.fingerprints.push_back(sdp::Fingerprint{fp.algorithm, fp.hex()});
    m.setup = sdp::Setup::Active;
    m.sctp_port = kSctpPort;
    m.max_message_size = kMaxMessageSize;
    d.media.push_back(std::move(m));
  }
  return sdp::serialize(d);
}

std::expected<void, std::string> WebRtcClient::set_answer(std::string_view answer_sdp) {
  auto parsed = sdp::parse(answer_sdp);
  if (!parsed) return std::unexpected("answer: " + parsed.error().to_string());
  const sdp::SessionDescription& d = *parsed;
  if (d.media.empty()) return std::unexpected("answer has no m= section");

  // Media-level values override session-level ones (RFC 8839 §5.4, RFC 8122 §5).
  const sdp::MediaSection* first = nullptr;
  for (const auto& m : d.media)
    if (m.port != 0) {
      first = &m;
      break;
    }
  if (!first) return std::unexpected("the answer rejected every m= section");
  auto ufrag = first->ice_ufrag ? first->ice_ufrag : d.ice_ufrag;
  auto pwd = first->ice_pwd ? first->ice_pwd : d.ice_pwd;
  if (!ufrag || !pwd) return std::unexpected("answer without ice-ufrag/ice-pwd");
  remote_ice_ = {*ufrag, *pwd};

  const auto& fps = first->fingerprints.empty() ? d.fingerprints : first->fingerprints;
  std::optional<dtls::Fingerprint> fingerprint;
  for (const auto& f : fps) {
    auto p = dtls::Fingerprint::parse(f.hash_function + " " + f.value);
    if (p) {
      fingerprint = std::move(*p);
      break;
    }
  }
  if (!fingerprint) return std::unexpected("answer without a usable a=fingerprint");
  remote_fingerprint_ = std::move(fingerprint);

  // RFC 8842 §5.3: to our active offer the answerer must be passive.
  const auto setup = first->setup ? first->setup : d.setup;
  // Answerer mode: an actpass offer lets us pick active (§5.2).
  if (setup && *setup != sdp::Setup::Passive && !(answering_ && *setup == sdp::Setup::ActPass))
    return std::unexpected("answer's a=setup is not passive");

  // The first UDP host candidate we can reach over IPv4 (BUNDLE: one
  // transport for all sections, RFC 8843 §7.3).
  std::optional<stun::SocketAddress> target;
  for (const auto& c : first->candidates) {
    // use_tcp: the passive TCP one (RFC 6544 §4.5) instead.
    const bool usable = config_.use_tcp ? c.is_tcp() && c.tcp_type == "passive" : c.is_udp();
    if (!usable || c.type != sdp::CandidateType::Host || c.component != 1) continue;
    auto a = stun::SocketAddress::from_string(c.address, c.port);
    if (a && a->family == stun::AddressFamily::IPv4) {
      target = *a;
      break;
    }
  }
  if (!target)
    return std::unexpected(config_.use_tcp ? "answer has no IPv4 passive TCP host candidate"
                                           : "answer has no IPv4 UDP host candidate");
  remote_address_ = *target;

  for (const auto& m : d.media) {
    if (m.port == 0 || m.ssrcs.empty()) continue;
    if (m.kind == sdp::MediaKind::Audio && remote_audio_ssrc_ == 0) remote_audio_ssrc_ = m.ssrcs[0].ssrc;
    if (m.kind == sdp::MediaKind::Video && remote_video_ssrc_ == 0) remote_video_ssrc_ = m.ssrcs[0].ssrc;
  }
  remote_sctp_port_.reset();
  if (config_.data_channel)
    for (const auto& m : d.media) {
      if (m.kind != sdp::MediaKind::Application || m.port == 0) continue;
      // RFC 8841 §5.1, §6.1: absent means 5000 and 64 KiB; 0 means no limit.
      remote_sctp_port_ = m.sctp_port.value_or(kSctpPort);
      remote_max_message_size_ = m.max_message_size.value_or(65536);
      break;
    }

  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(remote_address_.port);
  std::memcpy(&sa.sin_addr, remote_address_.ip.data(), 4);
  // A connected socket: only the server's candidate reaches us.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    return std::unexpected(std::string("connect: ") + std::strerror(errno));
  if (config_.use_tcp) {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    tcp_rx_ = std::make_unique<ice::TcpFrameDecoder>(kBufferSize - srtp::max_rtp_overhead);
  }
  checker_ = std::make_unique<ice::IceChecker>(local_ice_, remote_ice_);
  have_answer_ = true;
  return {};
}

void WebRtcClient::send_datagram(std::span<const std::uint8_t> datagram) {
  if (tcp_rx_) {
    // RFC 4571 §2: the length, then the packet, written whole (blocking).
    const auto framed = ice::encode_frame(datagram);
    if (!framed) {
      ++stats_.send_failures;
      return;
    }
    for (std::size_t off = 0; off < framed->size();) {
      const ssize_t n = ::send(fd_, framed->data() + off, framed->size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++stats_.send_failures;
        return;
      }
      off += static_cast<std::size_t>(n);
    }
    return;
  }
  // ECONNREFUSED (an ICMP from a closed port) and ENOBUFS are counted, not fatal:
  // UDP gives no guarantee anyway.
  if (::send(fd_, datagram.data(), datagram.size(), 0) < 0) ++stats_.send_failures;
}

std::optional<std::size_t> WebRtcClient::receive(milliseconds timeout) {
  if (tcp_rx_) {
    // One RFC 4571 frame from the stream, as if it were a datagram.
    const auto deadline = Clock::now() + timeout;
    std::array<std::uint8_t, 4096> chunk;
    for (;;) {
      if (auto frame = tcp_rx_->next()) {
        std::ranges::copy(*frame, rx_.begin());
        arrival_ = Clock::now();
        return frame->size();
      }
      if (tcp_eof_ || tcp_rx_->error()) {
        ::poll(nullptr, 0, static_cast<int>(remaining(deadline).count()));  // nothing will come
        return std::nullopt;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(remaining(deadline).count())) <= 0) return std::nullopt;
      const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        tcp_eof_ = true;
        continue;
      }
      if (!tcp_rx_->feed(std::span<const std::uint8_t>(chunk.data(), static_cast<std::size_t>(n))))
        continue;  // sticky error: treated as the end of the stream
    }
  }
  // A datagram already queued is taken without poll(2) first: a load
  // generator receiving tens of thousands of packets a second on two cores
  // spends a good part of them in system calls.
  ssize_t len = receive_datagram();
  if (len < 0 && errno == EAGAIN && timeout.count() > 0) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    len = receive_datagram();
  }
  if (len < 0) return std::nullopt;  // nothing, or e.g. ECONNREFUSED after an ICMP
  return static_cast<std::size_t>(len);
}

ssize_t WebRtcClient::receive_datagram() {
  iovec iov{rx_.data(), rx_.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec))> control;
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (config_.arrival_timestamps) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
  }
  const ssize_t len = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
  arrival_ = Clock::now();
  if (len < 0 || !config_.arrival_timestamps) return len;
  for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec ts;
    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
    // The stamp is on the realtime clock: how long ago it was, moved onto
    // the steady one.
    using std::chrono::system_clock;
    const auto since_epoch = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    const system_clock::time_point stamped(std::chrono::duration_cast<system_clock::duration>(since_epoch));
    const auto ago = system_clock::now() - stamped;
    if (ago > ago.zero() && ago < std::chrono::seconds(10)) arrival_ -= ago;
  }
  return len;
}

std::expected<void, std::string> WebRtcClient::connect() {
  if (!have_answer_) return std::unexpected("connect() before set_answer()");
  const auto deadline = Clock::now() + config_.connect_timeout;
  if (auto r = run_ice(deadline); !r) return r;
  return run_dtls(deadline);
}

std::expected<void, std::string> WebRtcClient::run_ice(Clock::time_point deadline) {
  // RFC 8445 §7.1.1: PRIORITY is what a peer-reflexive candidate of ours
  // would get.
  const std::uint32_t priority = ice::compute_priority(
      ice::type_preference(ice::CandidateType::PeerReflexive), ice::kDefaultLocalPreference, 1);
  milliseconds rto = config_.ice_rto;
  std::string last_problem = "no answer";
  while (Clock::now() < deadline) {
    // USE-CANDIDATE on every check: the server is lite, so our first
    // successful check is the nominated pair (RFC 8445 §8.1.1, §8.2).
    auto req = checker_->build_request(remote_address_, priority, true);
    if (!req) return std::unexpected("building a check failed");
    send_datagram(req->bytes);
    ++stats_.ice_requests;
    const auto wait_until = std::min(deadline, Clock::now() + rto);
    while (Clock::now() < wait_until) {
      auto len = receive(remaining(wait_until));
      if (!len) continue;
      const std::span<const std::uint8_t> pkt(rx_.data(), *len);
      if (classify(pkt) != PacketClass::Stun) {
        ++stats_.ignored;
        continue;
      }
      auto res = checker_->handle_response(pkt, remote_address_);
      if (!res) {
        last_problem = std::string(ice::to_string(res.error()));
        continue;
      }
      if (res->success) {
        last_consent_ = Clock::now();
        return {};
      }
      last_problem = "error response " + std::to_string(res->error_code);
      // 487 Role Conflict switched the checker's role (RFC 8445 §7.2.5.1); retry.
    }
    checker_->cancel(req->id);
    rto = std::min(rto * 2, milliseconds(1600));  // RFC 8489 §6.2.1 back-off, capped
  }
  return std::unexpected("ICE: no successful check before the timeout (" + last_problem + ")");
}

std::expected<void, std::string> WebRtcClient::run_dtls(Clock::time_point deadline) {
  dtls::Config cfg;
  cfg.role = dtls::Role::client;
  cfg.certificate = certificate_;
  cfg.remote_fingerprint = remote_fingerprint_;
  cfg.srtp_profiles = config_.srtp_profiles;
  cfg.initial_retransmit_timeout = config_.dtls_initial_timeout;
  auto created = dtls::DtlsTransport::create(
      std::move(cfg), [this](std::span<const std::uint8_t> d) { send_datagram(d); });
  if (!created) return std::unexpected("DTLS: " + created.error());
  dtls_ = std::move(*created);
  if (remote_sctp_port_) {
    // Before the handshake ends, so that no SCTP packet from the server is
    // lost; it only starts once DTLS is connected (connect()).
    io_ = std::make_unique<boost::asio::io_context>();
    SctpConfig sc;
    sc.role = SctpRole::DtlsClient;
    sc.local_port = kSctpPort;
    sc.remote_port = *remote_sctp_port_;
    sc.remote_max_message_size = remote_max_message_size_;
    sctp_ = std::make_unique<SctpAssociation>(io_->get_executor(), sc,
                                              [this](std::span<const std::uint8_t> packet) {
                                                if (dtls_ && dtls_->state() == dtls::State::connected &&
                                                    !dtls_->send(packet))
                                                  ++stats_.send_failures;
                                              });
    sctp_->on_message([this](std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> d) {
      ++stats_.data_received;
      if (on_data_) on_data_(stream, ppid, d);
    });
    sctp_->on_channel_open([this](std::uint16_t stream, std::string_view) {
      open_streams_.push_back(stream);
    });
    // usrsctp_conninput only posts (sctp_association.hpp), so nothing calls
    // back into DTLS from its callback.
    dtls_->on_data([this](std::span<const std::uint8_t> packet) { sctp_->handle_packet(packet); });
  }
  dtls_->start();  // ClientHello (RFC 6347 §4.2.1)

  while (dtls_->state() == dtls::State::connecting || dtls_->state() == dtls::State::new_) {
    const auto left = remaining(deadline);
    if (left.count() == 0) return std::unexpected("DTLS: handshake timed out");
    auto wait = left;
    if (auto t = dtls_->next_timeout()) wait = std::min(wait, std::max(*t, milliseconds(1)));
    auto len = receive(wait);
    if (!len) {
      dtls_->on_timeout();  // retransmits the flight when due (RFC 6347 §4.2.4)
      continue;
    }
    const std::span<const std::uint8_t> pkt(rx_.data(), *len);
    switch (classify(pkt)) {
      case PacketClass::Dtls: dtls_->handle_datagram(pkt); break;
      case PacketClass::Stun: (void)checker_->handle_response(pkt, remote_address_); break;
      default: ++stats_.ignored; break;  // media before we have keys
    }
  }
  if (dtls_->state() != dtls::State::connected)
    return std::unexpected("DTLS: " + std::string(dtls::to_string(dtls_->state())) + ": " +
                           dtls_->error());
  const auto& keys = dtls_->srtp_keys();
  if (!keys) return std::unexpected("DTLS: connected without SRTP keys");
  srtp::Options options;
  options.replay_window = config_.replay_window;
  // The enum values are the IANA ids on both sides (srtp_profile.hpp).
  auto pair = srtp::SessionPair::create(static_cast<srtp::Profile>(keys->profile), keys->local().key,
                                        keys->local().salt, keys->remote().key,
                                        keys->remote().salt, options);
  if (!pair) return std::unexpected("SRTP: " + std::string(srtp::to_string(pair.error())));
  srtp_.emplace(std::move(*pair));
  if (sctp_) {
    sctp_->start();  // INIT (RFC 8831 §6.2: both ends initiate)
    run_sctp_handlers();
  }
  return {};
}

void WebRtcClient::run_sctp_handlers() {
  if (!io_ || in_sctp_handlers_) return;
  in_sctp_handlers_ = true;
  io_->restart();  // poll() stops the context when it runs out of work
  io_->poll();
  in_sctp_handlers_ = false;
}

std::expected<std::uint16_t, std::string> WebRtcClient::open_data_channel(std::string_view label,
                                                                          bool ordered) {
  if (!remote_sctp_port_) return std::unexpected("no data channel in the offer/answer");
  if (!sctp_ || !connected()) return std::unexpected("not connected");
  const auto deadline = Clock::now() + config_.connect_timeout;
  while (!sctp_->established()) {
    if (Clock::now() >= deadline) return std::unexpected("SCTP: association not up before the timeout");
    poll(milliseconds(10));
    if (!sctp_) return std::unexpected("closed");
  }
  auto stream = sctp_->open_channel(label, ordered);
  if (!stream) return std::unexpected("SCTP: no free stream, or DATA_CHANNEL_OPEN not sent");
  run_sctp_handlers();
  while (std::ranges::find(open_streams_, *stream) == open_streams_.end()) {
    if (Clock::now() >= deadline)
      return std::unexpected("DCEP: no DATA_CHANNEL_ACK for stream " + std::to_string(*stream) +
                             " before the timeout");
    poll(milliseconds(10));
    if (!sctp_) return std::unexpected("closed");
  }
  return *stream;
}

std::expected<void, std::string> WebRtcClient::send_data(std::uint16_t stream, Ppid ppid,
                                                         std::span<const std::uint8_t> data) {
  if (!sctp_ || !connected()) return std::unexpected("no data channel connection");
  if (remote_max_message_size_ && data.size() > remote_max_message_size_)
    return std::unexpected("message larger than the answer's max-message-size");  // RFC 8841 §6
  if (!sctp_->send(stream, static_cast<std::uint32_t>(ppid), data))
    return std::unexpected("SCTP: send on stream " + std::to_string(stream) + " failed");
  ++stats_.data_sent;
  run_sctp_handlers();  // what usrsctp_sendv produced goes out now
  return {};
}

std::expected<void, std::string> WebRtcClient::send_text(std::uint16_t stream, std::string_view text) {
  return send_data(stream, Ppid::String,
                   std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::optional<dtls::SrtpProfile> WebRtcClient::srtp_profile() const {
  return dtls_ ? dtls_->srtp_profile() : std::nullopt;
}

std::expected<void, std::string> WebRtcClient::send_rtp(std::uint8_t payload_type, std::uint16_t seq,
                                                        std::uint32_t timestamp, std::uint32_t ssrc,
                                                        std::span<const std::uint8_t> payload,
                                                        bool marker) {
  if (!srtp_) return std::unexpected("not connected");
  rtp::RtpPacketSpec spec;
  spec.marker = marker;
  spec.payload_type = payload_type;
  spec.sequence_number = seq;
  spec.timestamp = timestamp;
  spec.ssrc = ssrc;
  spec.payload = payload;
  auto written = rtp::write_rtp_packet(std::span(tx_).first(tx_.size() - srtp::max_rtp_overhead), spec);
  if (!written) return std::unexpected("RTP packet does not fit");
  std::size_t len = *written;
  if (auto r = srtp_->outbound.protect_rtp(tx_, len); !r)  // RFC 3711 §3.3
    return std::unexpected("protect_rtp: " + std::string(srtp::to_string(r.error())));
  send_datagram(std::span(tx_).first(len));
  ++stats_.rtp_sent;
  maybe_send_consent_check();
  return {};
}

std::expected<void, std::string> WebRtcClient::send_rtcp(std::span<const std::uint8_t> compound) {
  if (!srtp_) return std::unexpected("not connected");
  if (compound.size() + srtp::max_rtcp_overhead > tx_.size())
    return std::unexpected("RTCP packet too large");
  std::ranges::copy(compound, tx_.begin());
  std::size_t len = compound.size();
  if (auto r = srtp_->outbound.protect_rtcp(tx_, len); !r)  // RFC 3711 §3.4
    return std::unexpected("protect_rtcp: " + std::string(srtp::to_string(r.error())));
  send_datagram(std::span(tx_).first(len));
  ++stats_.rtcp_sent;
  return {};
}

void WebRtcClient::maybe_send_consent_check() {
  if (!checker_ || Clock::now() - last_consent_ < kConsentInterval) return;
  last_consent_ = Clock::now();
  // RFC 7675 §5.1: consent is a Binding request on the selected pair.
  const std::uint32_t priority = ice::compute_priority(
      ice::type_preference(ice::CandidateType::PeerReflexive), ice::kDefaultLocalPreference, 1);
  if (auto req = checker_->build_request(remote_address_, priority, false)) send_datagram(req->bytes);
}

void WebRtcClient::dispatch(std::size_t len) {
  std::span<std::uint8_t> buf(rx_.data(), rx_.size());
  const std::span<const std::uint8_t> pkt(rx_.data(), len);
  switch (classify(pkt)) {  // RFC 7983 §7
    case PacketClass::Stun:
      (void)checker_->handle_response(pkt, remote_address_);
      return;
    case PacketClass::Dtls:
      if (dtls_) dtls_->handle_datagram(pkt);
      run_sctp_handlers();  // SACKs, answers and messages the packet produced
      return;
    case PacketClass::Rtp: {
      if (!srtp_) break;
      std::size_t n = len;
      if (!srtp_->inbound.unprotect_rtp(buf, n)) {
        ++stats_.unprotect_failures;
        return;
      }
      auto parsed = rtp::RtpPacket::parse(std::span<const std::uint8_t>(rx_.data(), n));
      if (!parsed) {
        ++stats_.ignored;
        return;
      }
      ++stats_.rtp_received;
      if (on_rtp_) on_rtp_(*parsed);
      return;
    }
    case PacketClass::Rtcp: {
      if (!srtp_) break;
      std::size_t n = len;
      if (!srtp_->inbound.unprotect_rtcp(buf, n)) {
        ++stats_.unprotect_failures;
        return;
      }
      ++stats_.rtcp_received;
      if (on_rtcp_) on_rtcp_(std::span<const std::uint8_t>(rx_.data(), n));
      return;
    }
    case PacketClass::Unknown: break;
  }
  ++stats_.ignored;
}

std::size_t WebRtcClient::poll(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t handled = 0;
  for (;;) {
    maybe_send_consent_check();
    run_sctp_handlers();
    auto wait = remaining(deadline);
    if (sctp_) wait = std::min(wait, kSctpSlice);
    auto len = receive(wait);
    if (!len) {
      if (Clock::now() >= deadline) {
        run_sctp_handlers();
        return handled;
      }
      continue;
    }
    dispatch(*len);
    ++handled;
  }
}

void WebRtcClient::close() {
  sctp_.reset();  // its ABORT is not sent (sctp_association.cpp); DTLS ends it anyway
  open_streams_.clear();
  if (dtls_) dtls_->close();  // close_notify (RFC 5246 §7.2.1)
}

// --- answerer mode ------------------------------------------------------------

const dtls::Fingerprint& WebRtcClient::local_fingerprint() const {
  return config_.advertised_fingerprint ? *config_.advertised_fingerprint : certificate_->fingerprint();
}

std::expected<void, std::string> WebRtcClient::set_remote_offer(std::string_view offer_sdp) {
  if (have_answer_) {
    // A renegotiation on the running transport: same ICE credentials.
    auto parsed = sdp::parse(offer_sdp);
    if (!parsed) return std::unexpected("offer: " + parsed.error().to_string());
    for (const auto& m : parsed->media) {
      if (m.port == 0) continue;
      const auto ufrag = m.ice_ufrag ? m.ice_ufrag : parsed->ice_ufrag;
      if (ufrag && *ufrag != remote_ice_.ufrag)
        return std::unexpected("the offer restarts ICE, which this client does not support");
      break;
    }
    remote_offer_ = std::string(offer_sdp);
    return {};
  }
  answering_ = true;
  auto r = set_answer(offer_sdp);  // the same transport parameters, read the same way
  if (!r) {
    answering_ = false;
    return r;
  }
  remote_offer_ = std::string(offer_sdp);
  return {};
}

std::expected<std::string, std::string> WebRtcClient::answer_sdp(bool rtx) const {
  if (remote_offer_.empty()) return std::unexpected("answer_sdp() before set_remote_offer()");
  auto parsed = sdp::parse(remote_offer_);
  if (!parsed) return std::unexpected("offer: " + parsed.error().to_string());
  const sdp::SessionDescription& offer = *parsed;
  const dtls::Fingerprint& fp = local_fingerprint();

  sdp::SessionDescription d;
  d.origin.session_id = std::to_string(random_u32());
  d.origin.session_version = 2;
  d.extmap_allow_mixed = offer.extmap_allow_mixed;
  d.msid_semantic = sdp::MsidSemantic{"WMS", {}};
  sdp::Group bundle{"BUNDLE", {}};
  for (const auto& m : offer.media) {
    sdp::MediaSection a;
    a.kind = m.kind;
    a.other_kind = m.other_kind;
    a.protocol = m.protocol;
    a.mid = m.mid;
    const bool media = m.kind == sdp::MediaKind::Audio || m.kind == sdp::MediaKind::Video;
    const sdp::Codec* codec = nullptr;
    if (media && m.port != 0 && m.mid)
      for (const auto& c : m.codecs)
        if ((m.kind == sdp::MediaKind::Audio && c.is("opus")) || (m.kind == sdp::MediaKind::Video && c.is("VP8"))) {
          codec = &c;
          break;
        }
    if (!codec) {
      // RFC 3264 §6: rejected, port 0, the offer's formats.
      a.port = 0;
      a.formats = m.formats;
      if (a.formats.empty())
        for (const auto& c : m.codecs) a.formats.push_back(std::to_string(c.payload_type));
      if (a.formats.empty()) a.formats.push_back("0");
      a.direction = sdp::Direction::Inactive;
      d.media.push_back(std::move(a));
      continue;
    }
    a.port = 9;
    a.connection = sdp::Connection{};
    a.ice_ufrag = local_ice_.ufrag;
    a.ice_pwd = local_ice_.pwd;
    a.fingerprints.push_back(sdp::Fingerprint{fp.algorithm, fp.hex()});
    a.setup = sdp::Setup::Active;  // RFC 8842 §5.3: we are the DTLS client
    a.rtcp_mux = true;
    a.rtcp_rsize = m.rtcp_rsize;
    sdp::Codec c = *codec;
    c.rtcp_fb.clear();
    for (const auto& fb : codec->rtcp_fb)
      if (fb.type == "nack" || fb.type == "transport-cc" || fb.type == "goog-remb" ||
          (fb.type == "ccm" && fb.parameter == "fir"))
        c.rtcp_fb.push_back(fb);
    a.codecs.push_back(std::move(c));
    if (rtx && m.kind == sdp::MediaKind::Video)
      for (const auto& r : m.codecs)
        if (r.is("rtx") && r.apt() == codec->payload_type) {
          a.codecs.push_back(r);
          break;
        }
    for (const auto& e : m.extmaps)
      if (e.uri == kUriMid || e.uri == kUriAbsSendTime || e.uri == kUriTransportCc ||
          (e.uri == kUriAudioLevel && m.kind == sdp::MediaKind::Audio))
        a.extmaps.push_back({e.id, std::nullopt, e.uri, {}});
    // RFC 3264 §6.1, as a receiver only.
    const auto dir = m.effective_direction();
    a.direction = (dir == sdp::Direction::SendOnly || dir == sdp::Direction::SendRecv) ? sdp::Direction::RecvOnly
                                                                                      : sdp::Direction::Inactive;
    bundle.mids.push_back(*m.mid);
    d.media.push_back(std::move(a));
  }
  if (bundle.mids.empty()) return std::unexpected("nothing in the offer to answer");
  d.groups.push_back(std::move(bundle));
  return sdp::serialize(d);
}

std::expected<void, std::string> WebRtcClient::send_rtp_packet(std::span<const std::uint8_t> packet) {
  if (!srtp_) return std::unexpected("not connected");
  if (packet.size() + srtp::max_rtp_overhead > tx_.size()) return std::unexpected("RTP packet too large");
  std::ranges::copy(packet, tx_.begin());
  std::size_t len = packet.size();
  if (auto r = srtp_->outbound.protect_rtp(tx_, len); !r)  // RFC 3711 §3.3
    return std::unexpected("protect_rtp: " + std::string(srtp::to_string(r.error())));
  send_datagram(std::span(tx_).first(len));
  ++stats_.rtp_sent;
  maybe_send_consent_check();
  return {};
}

}  // namespace parley::rtc
