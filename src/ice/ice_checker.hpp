#pragma once

// The controlling side of a connectivity check (RFC 8445 §7.2), for Parley's
// own test client and load generator talking to the server's lite agent.
// Pure logic: it builds Binding requests and validates the responses; the
// caller sends, retransmits (RFC 8489 §6.2.1) and times out.
//
// A request carries (RFC 8445 §7.2.2, §7.1):
//   USERNAME "<remote ufrag>:<local ufrag>", PRIORITY, ICE-CONTROLLING with
//   our tie-breaker (or ICE-CONTROLLED after a role switch), USE-CANDIDATE
//   when nominating, MESSAGE-INTEGRITY with the remote password, FINGERPRINT.
// A response counts when (RFC 8489 §6.3.3, §9.1.4; RFC 8445 §7.2.5):
//   it is a Binding response with a valid FINGERPRINT, its transaction id is
//   one we sent and still wait for, its MESSAGE-INTEGRITY verifies with the
//   remote password (error responses may lack it: a 400/401 is sent before
//   the peer could authenticate us), and it comes from the address the
//   request went to (RFC 8445 §7.2.5.2.1). Anything failing the first three
//   steps is ignored and the transaction stays open, so a forged or corrupt
//   packet cannot end it.
// A 487 to a request that carried ICE-CONTROLLING switches us to controlled
// (RFC 8445 §7.2.5.1).

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ice/credentials.hpp"
#include "stun/address.hpp"
#include "stun/error.hpp"
#include "stun/transaction_id.hpp"

namespace parley::ice {

enum class IceRole : std::uint8_t { Controlling, Controlled };

struct CheckRequest {
  stun::TransactionId id;
  std::vector<std::uint8_t> bytes;
};

enum class CheckFailure : std::uint8_t {
  NotStun,             // not a parsable STUN message
  NotBindingResponse,  // another method or class
  BadFingerprint,      // missing or wrong FINGERPRINT
  UnknownTransaction,  // not a request we wait for (or already answered)
  MissingIntegrity,    // a success response without MESSAGE-INTEGRITY
  IntegrityMismatch,   // MESSAGE-INTEGRITY does not verify with the remote pwd
  WrongSource,         // RFC 8445 §7.2.5.2.1: the check failed (transaction closed)
  Malformed,           // no or bad XOR-MAPPED-ADDRESS / ERROR-CODE (transaction closed)
};

std::string_view to_string(CheckFailure failure);

struct CheckResponse {
  stun::TransactionId id;
  stun::SocketAddress destination;  // where the request went
  bool use_candidate = false;       // the request nominated
  std::uint32_t priority = 0;       // PRIORITY the request carried
  bool success = false;
  std::uint16_t error_code = 0;   // for an error response
  bool authenticated = false;     // MESSAGE-INTEGRITY present and valid
  stun::SocketAddress mapped_address;  // success: XOR-MAPPED-ADDRESS (RFC 8445 §7.2.5.3.1)
};

class IceChecker {
 public:
  // `local` are our credentials (our ufrag goes after ':'); `remote` the
  // server's, from its SDP. The tie-breaker (RFC 8445 §7.1.3) is random
  // unless given.
  IceChecker(IceCredentials local, IceCredentials remote,
             std::optional<std::uint64_t> tie_breaker = std::nullopt,
             std::size_t max_outstanding = 64);

  // A check to `destination`. USE-CANDIDATE is only sent while controlling
  // (RFC 8445 §7.1.2). When max_outstanding requests are open, the oldest is
  // forgotten.
  std::expected<CheckRequest, stun::Error> build_request(const stun::SocketAddress& destination,
                                                         std::uint32_t priority,
                                                         bool use_candidate);

  // A packet received from `from`. See the header comment for what counts.
  std::expected<CheckResponse, CheckFailure> handle_response(std::span<const std::uint8_t> packet,
                                                             const stun::SocketAddress& from);

  // Stop waiting for a request (timed out, given up).
  void cancel(const stun::TransactionId& id);

  IceRole role() const { return role_; }
  std::uint64_t tie_breaker() const { return tie_breaker_; }
  std::size_t outstanding() const { return pending_.size(); }
  const IceCredentials& local_credentials() const { return local_; }
  const IceCredentials& remote_credentials() const { return remote_; }

 private:
  struct Pending {
    stun::TransactionId id;
    stun::SocketAddress destination;
    std::uint32_t priority = 0;
    bool use_candidate = false;
    IceRole role = IceRole::Controlling;
  };

  IceCredentials local_;
  IceCredentials remote_;
  std::uint64_t tie_breaker_;
  std::size_t max_outstanding_;
  IceRole role_ = IceRole::Controlling;
  std::vector<Pending> pending_;  // oldest first; small, so searched linearly
};

}  // namespace parley::ice
