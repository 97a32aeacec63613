#pragma once

// Data channels: SCTP over DTLS (RFC 8261) with usrsctp in userspace mode
// (AF_CONN sockets, no kernel SCTP), and DCEP (RFC 8832) on top.
//
// Packets: what DTLS delivers goes to handle_packet() (usrsctp_conninput);
// what usrsctp wants to send goes to the SendFunction. usrsctp also runs its
// own timer thread, so its callbacks (conn_output, receive) only copy and
// post to the worker's executor; a process-wide registry, keyed by the
// AF_CONN address, and a weak pointer guard the association's lifetime.
// Everything else, including the callbacks given here, runs on the worker.
//
// DCEP: DATA_CHANNEL_OPEN (PPID 50) is answered with DATA_CHANNEL_ACK and
// the channel's type (ordered or not, partial reliability) is remembered
// for the messages sent on its stream; an incoming stream reset (the
// browser closed the channel) is answered by resetting our outgoing stream
// (RFC 8831 §6.7). We can also be the opener (open_channel(), what Parley's
// own client does): DATA_CHANNEL_OPEN on a free stream of our DTLS role's
// parity (RFC 8832 §6), and the channel is open when the ACK comes back.
//
// Empty messages: SCTP has none, so an empty message travels as one byte
// with PPID 56 or 57 (RFC 8831 §6.6); send() and on_message() hide that
// byte.

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct socket;

namespace parley::rtc {

// RFC 8831 §8: payload protocol identifiers.
enum class Ppid : std::uint32_t {
  Dcep = 50,
  String = 51,
  Binary = 53,
  StringEmpty = 56,
  BinaryEmpty = 57,
};

// Which end of DTLS the association runs over. It only decides the
// streams of the channels we open: RFC 8832 §6 gives the DTLS client the
// even stream ids and the DTLS server the odd ones, so that both ends can
// open channels at once without a collision.
enum class SctpRole { DtlsServer, DtlsClient };

struct SctpConfig {
  SctpRole role = SctpRole::DtlsServer;
  std::uint16_t local_port = 5000;   // our a=sctp-port (RFC 8841 §5)
  std::uint16_t remote_port = 5000;  // the offer's a=sctp-port
  std::uint64_t remote_max_message_size = 65536;  // RFC 8841 §6; 0: no limit
  std::size_t mtu = 1100;            // SCTP packet size that fits a DTLS record in 1200
};

class SctpAssociation {
 public:
  // Hands an SCTP packet to DTLS (application data).
  using SendFunction = std::function<void(std::span<const std::uint8_t> packet)>;
  // A complete user message (PPID 51/53/56/57) on `stream`.
  using MessageFunction =
      std::function<void(std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> data)>;

  // A channel is open: we acknowledged the peer's DATA_CHANNEL_OPEN, or the
  // ACK to ours (open_channel()) arrived (RFC 8832 §6).
  using OpenFunction = std::function<void(std::uint16_t stream, std::string_view label)>;

  SctpAssociation(boost::asio::any_io_executor executor, SctpConfig config, SendFunction send);
  ~SctpAssociation();
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  void on_message(MessageFunction fn) { on_message_ = std::move(fn); }
  void on_channel_open(OpenFunction fn) { on_open_ = std::move(fn); }

  // Creates the socket and sends INIT (both ends connect, RFC 8831 §6.2).
  // Idempotent; also done by the first handle_packet().
  void start();
  // One SCTP packet out of DTLS.
  void handle_packet(std::span<const std::uint8_t> packet);
  // Sends a message on an open channel's stream with its reliability. An
  // empty message goes out as PPID 56 (string) or 57 (binary).
  bool send(std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> data);
  // Opens a reliable channel of our own (RFC 8832 §6): DATA_CHANNEL_OPEN on
  // the lowest free stream of our role's parity. Its stream, or nullopt when
  // the association is not up or no stream is free. Messages may be sent on
  // it at once; on_channel_open() tells when the peer acknowledged it.
  std::optional<std::uint16_t> open_channel(std::string_view label, bool ordered = true);

  bool established() const { return established_; }
  std::size_t channel_count() const { return channels_.size(); }

  // Internal: what usrsctp's threads may reach (sctp_association.cpp).
  struct Core;

 private:
  struct Channel {
    std::string label;
    // False for a channel we opened until its DATA_CHANNEL_ACK: RFC 8832 §6
    // wants its messages ordered until then, so that none overtakes the OPEN.
    bool acked = true;
    bool unordered = false;
    std::uint8_t pr_policy = 0;  // 0: reliable, 1: rexmit, 2: timed (RFC 8832 §5.1)
    std::uint32_t pr_value = 0;
  };

  void on_received(std::uint16_t stream, std::uint32_t ppid, int flags, std::vector<std::uint8_t> data);
  void on_notification(std::span<const std::uint8_t> data);
  void on_dcep(std::uint16_t stream, std::span<const std::uint8_t> data);
  bool send_raw(std::uint16_t stream, std::uint32_t ppid, std::span<const std::uint8_t> data,
                const Channel& channel);

  boost::asio::any_io_executor executor_;
  SctpConfig config_;
  SendFunction send_;
  MessageFunction on_message_;
  OpenFunction on_open_;
  std::shared_ptr<Core> core_;
  std::uintptr_t id_ = 0;
  struct socket* sock_ = nullptr;
  bool established_ = false;
  std::uint16_t outbound_streams_ = 0;  // negotiated in INIT/INIT-ACK
  std::map<std::uint16_t, Channel> channels_;
  std::map<std::uint16_t, std::vector<std::uint8_t>> partial_;  // until MSG_EOR
};

}  // namespace parley::rtc
