#include "rtc/sctp_association.hpp"

#include <usrsctp.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/log.hpp"

namespace parley::rtc {

namespace asio = boost::asio;

// What usrsctp's threads may reach: the executor to post to, and the
// association while it lives (owner is only read and cleared on the worker).
struct SctpAssociation::Core {
  asio::any_io_executor executor;
  SctpAssociation* owner = nullptr;

  static int conn_output(void* addr, void* buffer, std::size_t length, std::uint8_t tos, std::uint8_t set_df);
  static int receive_cb(struct socket* sock, union sctp_sockstore addr, void* data, std::size_t len,
                        struct sctp_rcvinfo rcv, int flags, void* ulp_info);
};

namespace {

std::mutex registry_mutex;
std::unordered_map<std::uintptr_t, std::weak_ptr<SctpAssociation::Core>>& registry() {
  static std::unordered_map<std::uintptr_t, std::weak_ptr<SctpAssociation::Core>> map;
  return map;
}
std::uintptr_t next_id = 1;  // under registry_mutex

// Posts `fn(owner)` to the association's worker, if it still lives; under
// the registry lock, so that nothing is posted once the destructor ran.
template <typename Fn>
void post_to(std::uintptr_t id, Fn fn) {
  std::lock_guard lock(registry_mutex);
  auto it = registry().find(id);
  if (it == registry().end()) return;
  auto core = it->second.lock();
  if (!core) return;
  asio::post(core->executor, [weak = std::weak_ptr(core), fn = std::move(fn)]() mutable {
    auto c = weak.lock();
    if (c && c->owner) fn(*c->owner);
  });
}

void init_usrsctp_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Port 0: no UDP encapsulation, AF_CONN only (RFC 8261 §4: over DTLS).
    usrsctp_init(0, &SctpAssociation::Core::conn_output, nullptr);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    // The DTLS record layer carries it; no blackholing of unknown ports.
    usrsctp_sysctl_set_sctp_blackhole(2);
  });
}

template <typename T>
bool setopt(struct socket* s, int level, int name, const T& value) {
  if (usrsctp_setsockopt(s, level, name, &value, sizeof value) == 0) return true;
  spdlog::warn("sctp: setsockopt {}/{}: {}", level, name, std::strerror(errno));
  return false;
}

// DCEP message types (RFC 8832 §8.2.1).
constexpr std::uint8_t kDcepAck = 0x02;
constexpr std::uint8_t kDcepOpen = 0x03;
// RFC 8832 §5.1 channel types we open: reliable, ordered or not.
constexpr std::uint8_t kChannelReliable = 0x00;
constexpr std::uint8_t kChannelReliableUnordered = 0x80;
// RFC 8831 §6.4: "normal" priority.
constexpr std::uint16_t kPriorityNormal = 256;

bool is_empty_ppid(std::uint32_t ppid) {
  return ppid == static_cast<std::uint32_t>(Ppid::StringEmpty) ||
         ppid == static_cast<std::uint32_t>(Ppid::BinaryEmpty);
}

}  // namespace

int SctpAssociation::Core::conn_output(void* addr, void* buffer, std::size_t length, std::uint8_t,
                                       std::uint8_t) {
  std::vector<std::uint8_t> packet(static_cast<const std::uint8_t*>(buffer),
                                   static_cast<const std::uint8_t*>(buffer) + length);
  post_to(reinterpret_cast<std::uintptr_t>(addr), [packet = std::move(packet)](SctpAssociation& a) {
    if (a.send_) a.send_(packet);
  });
  return 0;
}

int SctpAssociation::Core::receive_cb(struct socket*, union sctp_sockstore, void* data, std::size_t len,
                                      struct sctp_rcvinfo rcv, int flags, void* ulp_info) {
  if (!data) return 1;  // the association is gone
  std::vector<std::uint8_t> copy(static_cast<const std::uint8_t*>(data),
                                 static_cast<const std::uint8_t*>(data) + len);
  std::free(data);  // usrsctp hands the buffer over
  const std::uint16_t stream = rcv.rcv_sid;
  const std::uint32_t ppid = ntohl(rcv.rcv_ppid);
  post_to(reinterpret_cast<std::uintptr_t>(ulp_info),
          [stream, ppid, flags, copy = std::move(copy)](SctpAssociation& a) mutable {
            a.on_received(stream, ppid, flags, std::move(copy));
          });
  return 1;
}

SctpAssociation::SctpAssociation(asio::any_io_executor executor, SctpConfig config, SendFunction send)
    : executor_(std::move(executor)), config_(config), send_(std::move(send)) {
  init_usrsctp_once();
  core_ = std::make_shared<Core>();
  core_->executor = executor_;
  core_->owner = this;
  std::lock_guard lock(registry_mutex);
  id_ = next_id++;
  registry()[id_] = core_;
}

SctpAssociation::~SctpAssociation() {
  core_->owner = nullptr;
  {
    std::lock_guard lock(registry_mutex);
    registry().erase(id_);
  }
  if (sock_) {
    usrsctp_close(sock_);  // SO_LINGER 0: ABORT, dropped (DTLS closes anyway)
    usrsctp_deregister_address(reinterpret_cast<void*>(id_));
  }
}

void SctpAssociation::start() {
  if (sock_) return;
  void* addr = reinterpret_cast<void*>(id_);
  usrsctp_register_address(addr);
  sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, &Core::receive_cb, nullptr, 0, addr);
  if (!sock_) {
    spdlog::warn("sctp: socket: {}", std::strerror(errno));
    usrsctp_deregister_address(addr);
    return;
  }
  usrsctp_set_non_blocking(sock_, 1);
  const struct linger lg{1, 0};
  setopt(sock_, SOL_SOCKET, SO_LINGER, lg);
  const int buffer = 1 << 20;  // above our a=max-message-size
  setopt(sock_, SOL_SOCKET, SO_RCVBUF, buffer);
  setopt(sock_, SOL_SOCKET, SO_SNDBUF, buffer);
  struct sctp_assoc_value reset{};
  reset.assoc_id = SCTP_ALL_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;  // RFC 8831 §6.7 (RFC 6525)
  setopt(sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, reset);
  const int on = 1;
  setopt(sock_, IPPROTO_SCTP, SCTP_NODELAY, on);
  setopt(sock_, IPPROTO_SCTP, SCTP_RECVRCVINFO, on);
  for (const std::uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT}) {
    struct sctp_event ev{};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_on = 1;
    ev.se_type = type;
    setopt(sock_, IPPROTO_SCTP, SCTP_EVENT, ev);
  }
  struct sctp_initmsg init{};
  init.sinit_num_ostreams = 1024;
  init.sinit_max_instreams = 1024;
  setopt(sock_, IPPROTO_SCTP, SCTP_INITMSG, init);

  struct sockaddr_conn local{};
  local.sconn_family = AF_CONN;
  local.sconn_port = htons(config_.local_port);
  local.sconn_addr = addr;
  if (usrsctp_bind(sock_, reinterpret_cast<struct sockaddr*>(&local), sizeof local) < 0) {
    spdlog::warn("sctp: bind: {}", std::strerror(errno));
    return;
  }
  struct sockaddr_conn remote = local;
  remote.sconn_port = htons(config_.remote_port);
  // RFC 8831 §6.2: both ends send INIT; SCTP resolves the collision.
  if (usrsctp_connect(sock_, reinterpret_cast<struct sockaddr*>(&remote), sizeof remote) < 0 &&
      errno != EINPROGRESS) {
    spdlog::warn("sctp: connect: {}", std::strerror(errno));
    return;
  }
  // RFC 8261 §5: no PMTU discovery of our own; packets fit one DTLS record.
  struct sctp_paddrparams params{};
  std::memcpy(&params.spp_address, &remote, sizeof remote);
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = static_cast<std::uint32_t>(config_.mtu);
  setopt(sock_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, params);
}

void SctpAssociation::handle_packet(std::span<const std::uint8_t> packet) {
  start();
  if (!sock_) return;
  usrsctp_conninput(reinterpret_cast<void*>(id_), packet.data(), packet.size(), 0);
}

void SctpAssociation::on_received(std::uint16_t stream, std::uint32_t ppid, int flags,
                                  std::vector<std::uint8_t> data) {
  if (flags & MSG_NOTIFICATION) return on_notification(data);
  // Partial delivery: pieces of one message until MSG_EOR.
  if (!(flags & MSG_EOR)) {
    auto& buf = partial_[stream];
    buf.insert(buf.end(), data.begin(), data.end());
    return;
  }
  if (auto it = partial_.find(stream); it != partial_.end()) {
    it->second.insert(it->second.end(), data.begin(), data.end());
    data = std::move(it->second);
    partial_.erase(it);
  }
  switch (static_cast<Ppid>(ppid)) {
    case Ppid::Dcep:
      return on_dcep(stream, data);
    case Ppid::String:
    case Ppid::Binary:
      if (on_message_) on_message_(stream, ppid, data);
      return;
    case Ppid::StringEmpty:
    case Ppid::BinaryEmpty:
      // RFC 8831 §6.6: the one byte only stands for "nothing".
      if (on_message_) on_message_(stream, ppid, {});
      return;
  }
  spdlog::debug("sctp: stream {} PPID {} ignored", stream, ppid);
}

void SctpAssociation::on_notification(std::span<const std::uint8_t> data) {
  union sctp_notification n;
  if (data.size() < sizeof n.sn_header) return;
  std::memset(&n, 0, sizeof n);
  std::memcpy(&n, data.data(), std::min(data.size(), sizeof n));
  switch (n.sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
      if (n.sn_assoc_change.sac_state == SCTP_COMM_UP) {
        established_ = true;
        outbound_streams_ = n.sn_assoc_change.sac_outbound_streams;
        spdlog::debug("sctp: association up");
      } else if (n.sn_assoc_change.sac_state == SCTP_COMM_LOST ||
                 n.sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP) {
        established_ = false;
        channels_.clear();
      }
      return;
    case SCTP_STREAM_RESET_EVENT: {
      // RFC 8831 §6.7: the peer reset its outgoing stream (closed the
      // channel); we reset ours, and the stream is free again.
      const auto& ev = n.sn_strreset_event;
      if (!(ev.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) ||
          (ev.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)))
        return;
      const std::size_t header = offsetof(struct sctp_stream_reset_event, strreset_stream_list);
      if (data.size() < header) return;
      std::vector<std::uint16_t> streams;
      for (std::size_t off = header; off + 2 <= data.size() && off + 2 <= ev.strreset_length; off += 2) {
        std::uint16_t sid;
        std::memcpy(&sid, data.data() + off, 2);
        if (channels_.erase(sid)) streams.push_back(sid);
        partial_.erase(sid);
      }
      if (streams.empty() || !sock_) return;
      std::vector<std::uint8_t> buf(sizeof(struct sctp_reset_streams) + streams.size() * sizeof(std::uint16_t));
      auto* srs = reinterpret_cast<struct sctp_reset_streams*>(buf.data());
      srs->srs_assoc_id = SCTP_ALL_ASSOC;
      srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
      srs->srs_number_streams = static_cast<std::uint16_t>(streams.size());
      std::memcpy(buf.data() + offsetof(struct sctp_reset_streams, srs_stream_list), streams.data(),
                  streams.size() * sizeof(std::uint16_t));
      if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, buf.data(),
                             static_cast<socklen_t>(buf.size())) < 0)
        spdlog::debug("sctp: reset of {} stream(s): {}", streams.size(), std::strerror(errno));
      return;
    }
    default:
      return;
  }
}

void SctpAssociation::on_dcep(std::uint16_t stream, std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  if (data[0] == kDcepAck) {
    // The answer to our open_channel(): from now on the channel's own
    // ordering applies (RFC 8832 §6).
    auto it = channels_.find(stream);
    if (it == channels_.end() || it->second.acked) return;
    it->second.acked = true;
    spdlog::debug("sctp: data channel '{}' acknowledged on stream {}", it->second.label, stream);
    if (on_open_) on_open_(stream, it->second.label);
    return;
  }
  if (data[0] != kDcepOpen || data.size() < 12) {
    spdlog::debug("sctp: bad DCEP message on stream {}", stream);
    return;
  }
  // RFC 8832 §5.1: type, channel type, priority(2), reliability(4),
  // label length(2), protocol length(2), label, protocol.
  Channel ch;
  const std::uint8_t type = data[1];
  ch.unordered = (type & 0x80) != 0;
  ch.pr_policy = type & 0x7f;
  ch.pr_value = (std::uint32_t{data[4]} << 24) | (std::uint32_t{data[5]} << 16) |
                (std::uint32_t{data[6]} << 8) | data[7];
  const std::size_t label_len = (std::size_t{data[8]} << 8) | data[9];
  if (12 + label_len <= data.size())
    ch.label.assign(reinterpret_cast<const char*>(data.data() + 12), label_len);
  spdlog::debug("sctp: data channel '{}' opened on stream {}", ch.label, stream);
  const std::string label = ch.label;
  channels_[stream] = std::move(ch);
  // RFC 8832 §6: DCEP messages are sent reliably and in order.
  const std::uint8_t ack = kDcepAck;
  send_raw(stream, static_cast<std::uint32_t>(Ppid::Dcep), std::span(&ack, 1), Channel{});
  if (on_open_) on_open_(stream, label);
}

std::optional<std::uint16_t> SctpAssociation::open_channel(std::string_view label, bool ordered) {
  if (!sock_ || !established_ || label.size() > 0xffff) return std::nullopt;
  // RFC 8832 §6: a stream whose incoming and outgoing sides are both unused
  // (channels use both with one id), even for the DTLS client, odd for the
  // server.
  std::uint32_t sid = config_.role == SctpRole::DtlsClient ? 0 : 1;
  while (sid < outbound_streams_ && channels_.contains(static_cast<std::uint16_t>(sid))) sid += 2;
  if (sid >= outbound_streams_) return std::nullopt;
  const auto stream = static_cast<std::uint16_t>(sid);

  // RFC 8832 §5.1: message type, channel type, priority, reliability
  // parameter (0: reliable), label length, protocol length (none), label.
  std::vector<std::uint8_t> open(12 + label.size(), 0);
  open[0] = kDcepOpen;
  open[1] = ordered ? kChannelReliable : kChannelReliableUnordered;
  open[2] = static_cast<std::uint8_t>(kPriorityNormal >> 8);
  open[3] = static_cast<std::uint8_t>(kPriorityNormal & 0xff);
  open[8] = static_cast<std::uint8_t>(label.size() >> 8);
  open[9] = static_cast<std::uint8_t>(label.size() & 0xff);
  std::memcpy(open.data() + 12, label.data(), label.size());
  if (!send_raw(stream, static_cast<std::uint32_t>(Ppid::Dcep), open, Channel{})) return std::nullopt;

  Channel ch;
  ch.label = std::string(label);
  ch.acked = false;
  ch.unordered = !ordered;
  channels_[stream] = std::move(ch);
  spdlog::debug("sctp: opening data channel '{}' on stream {}", label, stream);
  return stream;
}

bool SctpAssociation::send(std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> data) {
  auto it = channels_.find(stream);
  if (it == channels_.end()) return false;
  // RFC 8841 §6: never more than the peer's a=max-message-size.
  if (config_.remote_max_message_size && data.size() > config_.remote_max_message_size) return false;
  // RFC 8831 §6.6: SCTP has no empty user messages; an empty one is sent as
  // a single byte with PPID 56 (string) or 57 (binary), whose value the
  // receiver ignores.
  if (data.empty() || is_empty_ppid(ppid)) {
    static constexpr std::uint8_t kZero = 0;
    const bool text = ppid == static_cast<std::uint32_t>(Ppid::String) ||
                      ppid == static_cast<std::uint32_t>(Ppid::StringEmpty);
    ppid = static_cast<std::uint32_t>(text ? Ppid::StringEmpty : Ppid::BinaryEmpty);
    data = std::span(&kZero, 1);
  }
  return send_raw(stream, ppid, data, it->second);
}

bool SctpAssociation::send_raw(std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> data,
                               const Channel& channel) {
  if (!sock_) return false;
  struct sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  // RFC 8832 §6: ordered until the peer acknowledged a channel we opened.
  spa.sendv_sndinfo.snd_flags = channel.unordered && channel.acked ? SCTP_UNORDERED : 0;
  // RFC 8832 §5.1 channel types -> PR-SCTP policies (RFC 3758, RFC 7496).
  if (channel.pr_policy == 0x01 || channel.pr_policy == 0x02) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = channel.pr_policy == 0x01 ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = channel.pr_value;
  }
  const auto n = usrsctp_sendv(sock_, data.data(), data.size(), nullptr, 0, &spa, sizeof spa,
                               SCTP_SENDV_SPA, 0);
  if (n < 0) {
    spdlog::debug("sctp: send on stream {}: {}", stream, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace parley::rtc
