#pragma once

// The server side of ICE: a lite agent (RFC 8445 §2.5) that only answers
// connectivity checks. Pure logic: the caller hands it the STUN packets its
// socket received with the source address and the time, sends back what it
// returns, and acts on the events.
//
// Behaviour, with the RFC sections it follows:
// - Role: always controlled (RFC 8445 §6.1.1: a lite agent facing a full
//   agent is controlled). A check carrying ICE-CONTROLLED means the peer
//   thinks it is controlled too; RFC 8445 §7.3.1.1 would let the agent with
//   the smaller tie-breaker switch to controlling, but a lite agent cannot
//   control (it sends no checks), so we always keep our role and answer 487
//   Role Conflict, which makes the full peer switch (RFC 8445 §7.2.5.1). That
//   is the §7.3.1.1 outcome for a tie-breaker that always wins.
// - Authentication (RFC 8489 §9.1.3, RFC 8445 §7.3): USERNAME is
//   "<local ufrag>:<remote ufrag>" and MESSAGE-INTEGRITY is keyed with the
//   local password. Missing USERNAME or MESSAGE-INTEGRITY: 400. Unknown local
//   ufrag, a remote ufrag other than the one from SDP, or a wrong HMAC: 401.
//   Neither error response carries MESSAGE-INTEGRITY (RFC 8489 §9.1.3).
//   Until the remote credentials are known (checks can arrive before the SDP
//   answer, RFC 8445 §7.3) any remote ufrag is accepted: the HMAC with our
//   password is what authenticates.
// - FINGERPRINT (RFC 8445 §7: ICE always uses it): a wrong FINGERPRINT means
//   the packet may not be STUN at all, so it is silently dropped (RFC 8489
//   §7.3). A request without one is otherwise unambiguously STUN (cookie and
//   framing check out) and is answered 400 so that a broken client learns why.
// - Unknown comprehension-required attributes: 420 with UNKNOWN-ATTRIBUTES
//   (RFC 8489 §6.3.1), after authentication. A check without PRIORITY, or
//   with malformed ICE attributes, or with both ICE-CONTROLLING and
//   ICE-CONTROLLED: 400.
// - Success (RFC 8445 §7.3.1, RFC 8489 §7.3.1): XOR-MAPPED-ADDRESS of the
//   source, MESSAGE-INTEGRITY with the local password, FINGERPRINT.
// - Pairs (RFC 8445 §7.3.1.4, lite): every successful check records or
//   refreshes the pair (local transport protocol, remote address); that is
//   the lite agent's valid list. At most max_pairs are kept; the one silent
//   the longest and not selected is evicted first.
// - Nomination (RFC 8445 §7.3.1.5, §8.2): USE-CANDIDATE in a successful check
//   nominates its pair, and the most recently nominated pair is selected.
//   RFC 8445 lets a controlling agent nominate only once, but browsers
//   nominate again when they move (network change, renomination), and
//   following them is the point: selected_pair_changed tells the caller.
// - Consent (RFC 7675): consent.hpp per pair; the transport state follows
//   the selected pair: Connected while fresh, Disconnected when stale,
//   Failed when expired. Failed is final until an ICE restart. A transport
//   that has no selected pair within connect_timeout of its start (or of a
//   restart) fails too.
// - ICE restart (RFC 8445 §9): restart() installs new local (and, when
//   known, remote) credentials. The previous generation's checks are still
//   answered, signed with the previous password, for a short overlap: until
//   a pair is nominated with the new credentials or restart_overlap has
//   passed, whichever comes first. During the overlap, they refresh consent
//   of existing pairs but never nominate. Reason: the browser keeps sending
//   consent checks with the old credentials on the old selected pair while
//   the new generation connects, and media keeps flowing there (RFC 8445
//   §9: the previously selected pair stays in use); refusing them at once
//   would tear that path down before the new one exists (an error response
//   to a consent check fails that pair on the browser's side). Set
//   restart_overlap to zero to refuse them at once.
// - Indications (RFC 8445 §11 keepalives) and responses are dropped without
//   an answer and without refreshing consent; other methods are dropped.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ice/candidate.hpp"
#include "ice/consent.hpp"
#include "ice/credentials.hpp"
#include "stun/address.hpp"
#include "stun/attribute_type.hpp"
#include "stun/transaction_id.hpp"

namespace parley::ice {

// Loosely the RTCIceTransportState of the W3C API.
enum class IceState : std::uint8_t {
  New,           // nothing valid received yet
  Checking,      // valid checks received, nothing nominated yet
  Connected,     // a selected pair with fresh consent
  Disconnected,  // the selected pair's consent is stale
  Failed,        // consent expired, or no pair within connect_timeout
  Closed,
};

std::string_view to_string(IceState state);

struct IceLiteAgentConfig {
  ConsentConfig consent;
  // No selected pair this long after start or restart: Failed.
  Duration connect_timeout = std::chrono::seconds(30);
  // How long the previous generation's credentials stay valid after restart().
  Duration restart_overlap = std::chrono::seconds(5);
  std::size_t max_pairs = 16;
};

struct CandidatePair {
  stun::SocketAddress remote;
  TransportProtocol protocol = TransportProtocol::Udp;
  std::uint32_t remote_priority = 0;  // PRIORITY of the last check (RFC 8445 §7.1.1)
  bool nominated = false;
  TimePoint last_nominated{};
  ConsentTracker consent;

  bool same_path(const stun::SocketAddress& address, TransportProtocol proto) const {
    return protocol == proto && remote == address;
  }
};

// What became of one packet.
struct CheckResult {
  enum class Verdict : std::uint8_t {
    Success,        // `response` is a success response
    ErrorResponse,  // `response` is an error response with `error_code`
    Dropped,        // nothing to send
  };
  Verdict verdict = Verdict::Dropped;
  std::vector<std::uint8_t> response;  // send to the packet's source
  std::uint16_t error_code = 0;
  // Events, at most one of each per packet.
  std::optional<CandidatePair> selected_pair_changed;
  std::optional<IceState> state_changed;
};

class IceLiteAgent {
 public:
  // `local` is normally generate_credentials(). `now` starts connect_timeout.
  IceLiteAgent(IceCredentials local, TimePoint now, IceLiteAgentConfig config = {});

  const IceCredentials& local_credentials() const { return current_.local; }
  const std::optional<IceCredentials>& remote_credentials() const { return current_.remote; }

  // The remote ufrag/pwd from the peer's SDP for the current generation.
  // Refused (false) unless RFC 8445 §5.3 / RFC 8839 §5.4 valid.
  bool set_remote_credentials(IceCredentials remote);

  // RFC 8445 §9: new local credentials (and the remote ones if the peer's
  // new SDP is already known; otherwise set_remote_credentials later). The
  // selected pair stays selected; other pairs are forgotten. A Failed agent
  // starts over. Refused (false) if the credentials are invalid or the new
  // local ufrag equals the current one.
  bool restart(IceCredentials new_local, std::optional<IceCredentials> new_remote, TimePoint now);

  // One STUN packet received from `from` over `protocol`.
  CheckResult handle_stun(std::span<const std::uint8_t> packet, const stun::SocketAddress& from,
                          TimePoint now, TransportProtocol protocol = TransportProtocol::Udp);

  // Consent and timeouts; call every second or so. Returns the new state if
  // it changed.
  std::optional<IceState> on_tick(TimePoint now);

  // Closed is final; returns the change if any.
  std::optional<IceState> close();

  IceState state() const { return state_; }
  const CandidatePair* selected_pair() const;
  std::span<const CandidatePair> pairs() const { return pairs_; }

  // True while the previous generation's credentials are still accepted.
  bool in_restart_overlap(TimePoint now) const;

 private:
  struct Generation {
    IceCredentials local;
    std::optional<IceCredentials> remote;
  };

  // `authenticated`: the generation whose password signs the response, or
  // null for responses that must not carry MESSAGE-INTEGRITY.
  static CheckResult error(const stun::TransactionId& id, std::uint16_t code,
                           const Generation* authenticated,
                           std::vector<stun::AttributeType> unknown = {});
  CandidatePair& upsert_pair(const stun::SocketAddress& from, TransportProtocol protocol,
                             std::uint32_t priority, TimePoint now);
  std::optional<IceState> set_state(IceState next);
  std::optional<IceState> evaluate(TimePoint now);
  void expire_overlap(TimePoint now);

  IceLiteAgentConfig config_;
  Generation current_;
  std::optional<Generation> previous_;
  TimePoint previous_until_{};
  TimePoint connect_deadline_;
  std::vector<CandidatePair> pairs_;
  std::optional<std::size_t> selected_;  // index into pairs_
  IceState state_ = IceState::New;
};

}  // namespace parley::ice
