#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <iosfwd>
#include <span>
#include <string_view>
#include <utility>

#include "stun/error.hpp"
#include "stun/transaction_id.hpp"

namespace parley::stun {

// Attribute type codes from the IANA STUN registry (RFC 8489 §18.3, RFC 8445
// §16.1, RFC 8656 §18). Any other 16-bit value is representable too: the
// codec carries unknown attributes and reports them (RFC 8489 §6.3).
enum class AttributeType : std::uint16_t {
  // Comprehension-required range 0x0000-0x7FFF.
  MappedAddress = 0x0001,           // RFC 8489 §14.1
  Username = 0x0006,                // RFC 8489 §14.3
  MessageIntegrity = 0x0008,        // RFC 8489 §14.5
  ErrorCode = 0x0009,               // RFC 8489 §14.8
  UnknownAttributes = 0x000A,       // RFC 8489 §14.13
  ChannelNumber = 0x000C,           // RFC 8656 §18.1
  Lifetime = 0x000D,                // RFC 8656 §18.2
  XorPeerAddress = 0x0012,          // RFC 8656 §18.3
  Data = 0x0013,                    // RFC 8656 §18.4
  Realm = 0x0014,                   // RFC 8489 §14.9
  Nonce = 0x0015,                   // RFC 8489 §14.10
  XorRelayedAddress = 0x0016,       // RFC 8656 §18.5
  RequestedAddressFamily = 0x0017,  // RFC 8656 §18.6
  EvenPort = 0x0018,                // RFC 8656 §18.7
  RequestedTransport = 0x0019,      // RFC 8656 §18.8
  DontFragment = 0x001A,            // RFC 8656 §18.9
  MessageIntegritySha256 = 0x001C,  // RFC 8489 §14.6
  PasswordAlgorithm = 0x001D,       // RFC 8489 §14.12
  UserHash = 0x001E,                // RFC 8489 §14.4
  XorMappedAddress = 0x0020,        // RFC 8489 §14.2
  ReservationToken = 0x0022,        // RFC 8656 §18.10
  Priority = 0x0024,                // RFC 8445 §7.1.1
  UseCandidate = 0x0025,            // RFC 8445 §7.1.2
  // Comprehension-optional range 0x8000-0xFFFF.
  AdditionalAddressFamily = 0x8000,  // RFC 8656 §18.11
  AddressErrorCode = 0x8001,         // RFC 8656 §18.12
  PasswordAlgorithms = 0x8002,       // RFC 8489 §14.11
  AlternateDomain = 0x8003,          // RFC 8489 §14.16
  Icmp = 0x8004,                     // RFC 8656 §18.13
  Software = 0x8022,                 // RFC 8489 §14.14
  AlternateServer = 0x8023,          // RFC 8489 §14.15
  Fingerprint = 0x8028,              // RFC 8489 §14.7
  IceControlled = 0x8029,            // RFC 8445 §7.1.3
  IceControlling = 0x802A,           // RFC 8445 §7.1.3
};

// RFC 8489 §14: below 0x8000 an agent that does not understand the attribute
// must fail the transaction (420 for requests); above it may skip it.
constexpr bool is_comprehension_required(AttributeType type) {
  return std::to_underlying(type) < 0x8000;
}

// True for every type listed in AttributeType, i.e. every type this codec
// decodes.
bool is_known_attribute(AttributeType type);

// Registry name ("XOR-MAPPED-ADDRESS") or "unknown".
std::string_view to_string(AttributeType type);
std::ostream& operator<<(std::ostream& out, AttributeType type);

// One attribute as it sits in a parsed message. Both spans point into the
// message buffer and live as long as it does.
struct RawAttribute {
  AttributeType type{};
  std::span<const std::uint8_t> value;    // exactly `length` bytes
  std::span<const std::uint8_t> padding;  // 0-3 bytes up to the 4-byte boundary
  std::size_t offset = 0;                 // of the attribute header in the message
};

// A typed attribute: a struct with its type code and a decoder taking the
// value bytes. The transaction id is there for the XOR-ed address attributes.
template <class A>
concept DecodableAttribute = requires(std::span<const std::uint8_t> value,
                                      const TransactionId& id) {
  { A::kType } -> std::convertible_to<AttributeType>;
  { A::decode(value, id) } -> std::same_as<std::expected<A, Error>>;
};

// A typed attribute the Builder can append: value_size() validates the
// contents and says how many value bytes write_value() will fill.
template <class A>
concept EncodableAttribute = DecodableAttribute<A> &&
    requires(const A& a, std::span<std::uint8_t> out, const TransactionId& id) {
  { a.value_size() } -> std::same_as<std::expected<std::size_t, Error>>;
  a.write_value(out, id);
};

}  // namespace parley::stun
