#pragma once

// Shared helpers of the ICE tests: addresses and hand-built checks, so that
// tests can produce the malformed requests our own checker never would.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stun/stun.hpp"

namespace parley::ice::test {

inline stun::SocketAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                              std::uint16_t port) {
  return stun::SocketAddress::v4({a, b, c, d}, port);
}

struct CheckSpec {
  std::optional<std::string> username;  // nothing: no USERNAME
  std::optional<std::string> pwd;       // nothing: no MESSAGE-INTEGRITY
  bool fingerprint = true;
  std::optional<std::uint32_t> priority = 0x6E7F1EFF;
  std::optional<std::uint64_t> controlling = 0x1122334455667788ull;
  std::optional<std::uint64_t> controlled;
  bool use_candidate = false;
  std::optional<std::uint16_t> unknown_required_attribute;
  stun::MessageClass message_class = stun::MessageClass::Request;
};

inline std::vector<std::uint8_t> build_check(const CheckSpec& spec,
                                             stun::TransactionId id = stun::TransactionId::random()) {
  stun::Builder b(stun::Method::Binding, spec.message_class, id);
  if (spec.username) b.add(stun::Username{*spec.username});
  if (spec.priority) b.add(stun::Priority{*spec.priority});
  if (spec.controlling) b.add(stun::IceControlling{*spec.controlling});
  if (spec.controlled) b.add(stun::IceControlled{*spec.controlled});
  if (spec.use_candidate) b.add(stun::UseCandidate{});
  if (spec.unknown_required_attribute) {
    const std::uint8_t value[4] = {1, 2, 3, 4};
    b.add_raw(static_cast<stun::AttributeType>(*spec.unknown_required_attribute), value);
  }
  if (spec.pwd) b.add_message_integrity(stun::short_term_key(*spec.pwd));
  if (spec.fingerprint) b.add_fingerprint();
  auto bytes = b.release();
  return bytes ? std::move(*bytes) : std::vector<std::uint8_t>{};
}

// The ERROR-CODE of a response, or 0.
inline std::uint16_t error_code_of(const std::vector<std::uint8_t>& response) {
  const auto m = stun::Message::parse(response);
  if (!m) return 0;
  const auto code = m->get<stun::ErrorCode>();
  return code ? code->code : 0;
}

}  // namespace parley::ice::test
