#include "ice/ice_checker.hpp"

#include <algorithm>
#include <utility>

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/error_codes.hpp"
#include "stun/fingerprint.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace parley::ice {
namespace {

std::uint64_t random_u64() {
  const auto random = stun::TransactionId::random();  // OpenSSL CSPRNG
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | random.bytes[i];
  return value;
}

}  // namespace

std::string_view to_string(CheckFailure failure) {
  switch (failure) {
    case CheckFailure::NotStun: return "not STUN";
    case CheckFailure::NotBindingResponse: return "not a Binding response";
    case CheckFailure::BadFingerprint: return "missing or wrong FINGERPRINT";
    case CheckFailure::UnknownTransaction: return "unknown transaction";
    case CheckFailure::MissingIntegrity: return "missing MESSAGE-INTEGRITY";
    case CheckFailure::IntegrityMismatch: return "MESSAGE-INTEGRITY mismatch";
    case CheckFailure::WrongSource: return "response from another address";
    case CheckFailure::Malformed: return "malformed response";
  }
  return "unknown";
}

IceChecker::IceChecker(IceCredentials local, IceCredentials remote,
                       std::optional<std::uint64_t> tie_breaker, std::size_t max_outstanding)
    : local_(std::move(local)), remote_(std::move(remote)),
      tie_breaker_(tie_breaker ? *tie_breaker : random_u64()),
      max_outstanding_(std::max<std::size_t>(max_outstanding, 1)) {}

std::expected<CheckRequest, stun::Error> IceChecker::build_request(
    const stun::SocketAddress& destination, std::uint32_t priority, bool use_candidate) {
  const auto id = stun::TransactionId::random();
  const std::string username = make_username(remote_.ufrag, local_.ufrag);  // RFC 8445 §7.2.2
  use_candidate = use_candidate && role_ == IceRole::Controlling;

  stun::Builder b(stun::Method::Binding, stun::MessageClass::Request, id);
  b.add(stun::Username{username}).add(stun::Priority{priority});
  if (role_ == IceRole::Controlling) {
    b.add(stun::IceControlling{tie_breaker_});
  } else {
    b.add(stun::IceControlled{tie_breaker_});
  }
  if (use_candidate) b.add(stun::UseCandidate{});
  b.add_message_integrity(stun::short_term_key(remote_.pwd)).add_fingerprint();
  auto bytes = b.release();
  if (!bytes) return std::unexpected(bytes.error());

  if (pending_.size() >= max_outstanding_) pending_.erase(pending_.begin());
  pending_.push_back(Pending{id, destination, priority, use_candidate, role_});
  return CheckRequest{id, std::move(*bytes)};
}

void IceChecker::cancel(const stun::TransactionId& id) {
  std::erase_if(pending_, [&](const Pending& p) { return p.id == id; });
}

std::expected<CheckResponse, CheckFailure> IceChecker::handle_response(
    std::span<const std::uint8_t> packet, const stun::SocketAddress& from) {
  const auto message = stun::Message::parse(packet);
  if (!message) return std::unexpected(CheckFailure::NotStun);
  if (message->method() != stun::Method::Binding || !stun::is_response(message->message_class())) {
    return std::unexpected(CheckFailure::NotBindingResponse);
  }
  if (!stun::verify_fingerprint(*message)) return std::unexpected(CheckFailure::BadFingerprint);

  const auto it = std::ranges::find_if(
      pending_, [&](const Pending& p) { return p.id == message->transaction_id(); });
  if (it == pending_.end()) return std::unexpected(CheckFailure::UnknownTransaction);

  const bool success = message->message_class() == stun::MessageClass::SuccessResponse;
  const bool has_integrity = message->has(stun::AttributeType::MessageIntegrity);
  // RFC 8489 §9.1.4: responses are checked with the password of the request.
  if (has_integrity) {
    if (!stun::verify_message_integrity(*message, stun::short_term_key(remote_.pwd))) {
      return std::unexpected(CheckFailure::IntegrityMismatch);
    }
  } else if (success) {
    return std::unexpected(CheckFailure::MissingIntegrity);
  }

  // The transaction is answered: close it whatever the outcome below.
  const Pending request = *it;
  pending_.erase(it);

  // RFC 8445 §7.2.5.2.1: non-symmetric transport addresses fail the check.
  if (!(from == request.destination)) return std::unexpected(CheckFailure::WrongSource);

  CheckResponse response;
  response.id = request.id;
  response.destination = request.destination;
  response.use_candidate = request.use_candidate;
  response.priority = request.priority;
  response.success = success;
  response.authenticated = has_integrity;
  if (success) {
    const auto mapped = message->get<stun::XorMappedAddress>();
    if (!mapped) return std::unexpected(CheckFailure::Malformed);
    response.mapped_address = mapped->address;
  } else {
    const auto code = message->get<stun::ErrorCode>();
    if (!code) return std::unexpected(CheckFailure::Malformed);
    response.error_code = code->code;
    // RFC 8445 §7.2.5.1: the peer kept the controlling role; we switch.
    // Only an authenticated 487 may change our role.
    if (code->code == stun::error_codes::kRoleConflict && has_integrity &&
        request.role == IceRole::Controlling) {
      role_ = IceRole::Controlled;
    }
  }
  return response;
}

}  // namespace parley::ice
