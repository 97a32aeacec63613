#pragma once

// Typed STUN attributes. Each struct names its type code (kType), decodes
// from the raw value bytes (decode) and, unless it is one of the integrity
// trailers, encodes through Builder::add (value_size + write_value).
//
// Lifetimes: a decoded attribute's spans and string_views point into the
// message buffer; an attribute built for encoding points into caller data and
// is copied by Builder::add. Neither owns bytes except the two list types
// (UNKNOWN-ATTRIBUTES, PASSWORD-ALGORITHMS), which only appear in error
// responses and challenges.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "stun/address.hpp"
#include "stun/attribute_type.hpp"
#include "stun/error.hpp"
#include "stun/transaction_id.hpp"

namespace parley::stun {

// ---------------------------------------------------------------------------
// Shapes shared by several attributes.

// MAPPED-ADDRESS encoding (RFC 8489 §14.1).
template <AttributeType T>
struct AddressAttribute {
  static constexpr AttributeType kType = T;
  SocketAddress address;

  static std::expected<AddressAttribute, Error> decode(std::span<const std::uint8_t> value,
                                                       const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// XOR-MAPPED-ADDRESS encoding (RFC 8489 §14.2).
template <AttributeType T>
struct XorAddressAttribute {
  static constexpr AttributeType kType = T;
  SocketAddress address;

  static std::expected<XorAddressAttribute, Error> decode(std::span<const std::uint8_t> value,
                                                          const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// UTF-8 text of bounded byte length. The codec checks the byte bound only; it
// does not validate UTF-8 or apply OpaqueString/SASLprep (see integrity.hpp).
template <AttributeType T, std::size_t MaxBytes>
struct StringAttribute {
  static constexpr AttributeType kType = T;
  static constexpr std::size_t kMaxBytes = MaxBytes;
  std::string_view value;

  static std::expected<StringAttribute, Error> decode(std::span<const std::uint8_t> value,
                                                      const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

template <AttributeType T>
struct U32Attribute {
  static constexpr AttributeType kType = T;
  std::uint32_t value = 0;

  static std::expected<U32Attribute, Error> decode(std::span<const std::uint8_t> value,
                                                   const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

template <AttributeType T>
struct U64Attribute {
  static constexpr AttributeType kType = T;
  std::uint64_t value = 0;

  static std::expected<U64Attribute, Error> decode(std::span<const std::uint8_t> value,
                                                   const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// An attribute whose presence is the information; its value is empty.
template <AttributeType T>
struct FlagAttribute {
  static constexpr AttributeType kType = T;

  static std::expected<FlagAttribute, Error> decode(std::span<const std::uint8_t> value,
                                                    const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// Opaque bytes, of exactly Size bytes unless Size is std::dynamic_extent.
template <AttributeType T, std::size_t Size>
struct BytesAttribute {
  static constexpr AttributeType kType = T;
  std::span<const std::uint8_t> value;

  static std::expected<BytesAttribute, Error> decode(std::span<const std::uint8_t> value,
                                                     const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// Address family in the first byte of four (RFC 8656 §18.6, §18.11). Any
// family byte decodes; the TURN server answers 440 to the ones it does not do.
template <AttributeType T>
struct AddressFamilyAttribute {
  static constexpr AttributeType kType = T;
  AddressFamily family = AddressFamily::IPv4;

  static std::expected<AddressFamilyAttribute, Error> decode(std::span<const std::uint8_t> value,
                                                             const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// ---------------------------------------------------------------------------
// RFC 8489 (STUN) attributes.

using MappedAddress = AddressAttribute<AttributeType::MappedAddress>;           // §14.1
using XorMappedAddress = XorAddressAttribute<AttributeType::XorMappedAddress>;  // §14.2
// §14.3 asks for fewer than 509 bytes; RFC 5389 allowed up to 512, and we
// accept what older peers send.
using Username = StringAttribute<AttributeType::Username, 512>;
using UserHash = BytesAttribute<AttributeType::UserHash, 32>;  // §14.4: SHA-256 output
// §14.9/§14.10/§14.14: fewer than 128 characters, up to 763 bytes decoded.
using Realm = StringAttribute<AttributeType::Realm, 763>;
using Nonce = StringAttribute<AttributeType::Nonce, 763>;
using Software = StringAttribute<AttributeType::Software, 763>;
using AlternateServer = AddressAttribute<AttributeType::AlternateServer>;  // §14.15
// §14.16: a domain name; 255 bytes bounds any DNS name.
using AlternateDomain = StringAttribute<AttributeType::AlternateDomain, 255>;

// RFC 8489 §14.8.
struct ErrorCode {
  static constexpr AttributeType kType = AttributeType::ErrorCode;
  static constexpr std::size_t kMaxReasonBytes = 763;
  std::uint16_t code = 0;   // 300-699: class (hundreds) 3-6, number 0-99
  std::string_view reason;  // UTF-8

  static std::expected<ErrorCode, Error> decode(std::span<const std::uint8_t> value,
                                                const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// RFC 8489 §14.13: the comprehension-required types a request carried that
// the server did not understand (sent with 420).
struct UnknownAttributes {
  static constexpr AttributeType kType = AttributeType::UnknownAttributes;
  std::vector<AttributeType> types;

  static std::expected<UnknownAttributes, Error> decode(std::span<const std::uint8_t> value,
                                                        const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// RFC 8489 §18.5 (the IANA registry of §14.11/§14.12).
enum class PasswordAlgorithmId : std::uint16_t {
  Md5 = 0x0001,
  Sha256 = 0x0002,
};

// RFC 8489 §14.12: the algorithm the client chose; also one entry of the list
// of §14.11. Parameters are padded to 4 bytes inside the value.
struct PasswordAlgorithm {
  static constexpr AttributeType kType = AttributeType::PasswordAlgorithm;
  PasswordAlgorithmId algorithm = PasswordAlgorithmId::Md5;
  std::span<const std::uint8_t> parameters;  // empty for MD5 and SHA-256

  static std::expected<PasswordAlgorithm, Error> decode(std::span<const std::uint8_t> value,
                                                        const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// RFC 8489 §14.11: the algorithms a server offers, in its order of preference.
struct PasswordAlgorithms {
  static constexpr AttributeType kType = AttributeType::PasswordAlgorithms;
  std::vector<PasswordAlgorithm> algorithms;

  static std::expected<PasswordAlgorithms, Error> decode(std::span<const std::uint8_t> value,
                                                         const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// The integrity trailers decode for inspection only: they are computed over
// the message, so Builder::add_message_integrity / add_message_integrity_sha256
// / add_fingerprint write them, and integrity.hpp / fingerprint.hpp check them.

// RFC 8489 §14.5: HMAC-SHA1, 20 bytes.
struct MessageIntegrity {
  static constexpr AttributeType kType = AttributeType::MessageIntegrity;
  std::span<const std::uint8_t> hmac;

  static std::expected<MessageIntegrity, Error> decode(std::span<const std::uint8_t> value,
                                                       const TransactionId& id);
};

// RFC 8489 §14.6: HMAC-SHA256, possibly truncated to 16-32 bytes in steps of 4.
struct MessageIntegritySha256 {
  static constexpr AttributeType kType = AttributeType::MessageIntegritySha256;
  std::span<const std::uint8_t> hmac;

  static std::expected<MessageIntegritySha256, Error> decode(std::span<const std::uint8_t> value,
                                                             const TransactionId& id);
};

// RFC 8489 §14.7: CRC-32 of the message XOR 0x5354554E.
struct Fingerprint {
  static constexpr AttributeType kType = AttributeType::Fingerprint;
  std::uint32_t value = 0;

  static std::expected<Fingerprint, Error> decode(std::span<const std::uint8_t> value,
                                                  const TransactionId& id);
};

// ---------------------------------------------------------------------------
// RFC 8445 (ICE) attributes.

using Priority = U32Attribute<AttributeType::Priority>;              // §7.1.1
using UseCandidate = FlagAttribute<AttributeType::UseCandidate>;     // §7.1.2
using IceControlled = U64Attribute<AttributeType::IceControlled>;    // §7.1.3: tie-breaker
using IceControlling = U64Attribute<AttributeType::IceControlling>;  // §7.1.3: tie-breaker

// ---------------------------------------------------------------------------
// RFC 8656 (TURN) attributes.

// §18.1: the channel number and two reserved bytes. Any number decodes; the
// server checks the 0x4000-0x4FFF range (is_valid_channel_number) to answer 400.
struct ChannelNumber {
  static constexpr AttributeType kType = AttributeType::ChannelNumber;
  std::uint16_t channel = 0;

  static std::expected<ChannelNumber, Error> decode(std::span<const std::uint8_t> value,
                                                    const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

using Lifetime = U32Attribute<AttributeType::Lifetime>;                           // §18.2: seconds
using XorPeerAddress = XorAddressAttribute<AttributeType::XorPeerAddress>;        // §18.3
using Data = BytesAttribute<AttributeType::Data, std::dynamic_extent>;            // §18.4
using XorRelayedAddress = XorAddressAttribute<AttributeType::XorRelayedAddress>;  // §18.5
using RequestedAddressFamily = AddressFamilyAttribute<AttributeType::RequestedAddressFamily>;
using AdditionalAddressFamily = AddressFamilyAttribute<AttributeType::AdditionalAddressFamily>;

// §18.7: one byte whose top bit asks to reserve the next-higher port too.
struct EvenPort {
  static constexpr AttributeType kType = AttributeType::EvenPort;
  bool reserve_next = false;

  static std::expected<EvenPort, Error> decode(std::span<const std::uint8_t> value,
                                               const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// IANA protocol numbers REQUESTED-TRANSPORT carries.
inline constexpr std::uint8_t kProtocolTcp = 6;
inline constexpr std::uint8_t kProtocolUdp = 17;

// §18.8: protocol number and three reserved bytes.
struct RequestedTransport {
  static constexpr AttributeType kType = AttributeType::RequestedTransport;
  std::uint8_t protocol = kProtocolUdp;

  static std::expected<RequestedTransport, Error> decode(std::span<const std::uint8_t> value,
                                                         const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

using DontFragment = FlagAttribute<AttributeType::DontFragment>;         // §18.9
using ReservationToken = U64Attribute<AttributeType::ReservationToken>;  // §18.10

// §18.12: ERROR-CODE for one address family of a dual allocation.
struct AddressErrorCode {
  static constexpr AttributeType kType = AttributeType::AddressErrorCode;
  AddressFamily family = AddressFamily::IPv4;
  std::uint16_t code = 0;  // 300-699
  std::string_view reason;

  static std::expected<AddressErrorCode, Error> decode(std::span<const std::uint8_t> value,
                                                       const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// §18.13: an ICMP error the relay received for a peer. Figure 11 of the RFC
// gives the type 7 bits and the code 9 bits after 16 reserved bits; we follow
// the figure (every ICMP error type is below 128, so nothing is lost).
struct Icmp {
  static constexpr AttributeType kType = AttributeType::Icmp;
  std::uint8_t type = 0;   // 0-127
  std::uint16_t code = 0;  // 0-511
  std::uint32_t error_data = 0;

  static std::expected<Icmp, Error> decode(std::span<const std::uint8_t> value,
                                           const TransactionId& id);
  std::expected<std::size_t, Error> value_size() const;
  void write_value(std::span<std::uint8_t> out, const TransactionId& id) const;
};

// Every typed attribute, for code that wants to visit them all (fuzzing,
// logging, tests).
using KnownAttributes =
    std::tuple<MappedAddress, XorMappedAddress, Username, UserHash, MessageIntegrity,
               MessageIntegritySha256, Fingerprint, ErrorCode, Realm, Nonce, PasswordAlgorithms,
               PasswordAlgorithm, UnknownAttributes, Software, AlternateServer, AlternateDomain,
               Priority, UseCandidate, IceControlled, IceControlling, ChannelNumber, Lifetime,
               XorPeerAddress, Data, XorRelayedAddress, RequestedAddressFamily, EvenPort,
               RequestedTransport, DontFragment, ReservationToken, AdditionalAddressFamily,
               AddressErrorCode, Icmp>;

// The templates are defined and instantiated for the aliases above in
// attributes.cpp; other instantiations will not link.
extern template struct AddressAttribute<AttributeType::MappedAddress>;
extern template struct AddressAttribute<AttributeType::AlternateServer>;
extern template struct XorAddressAttribute<AttributeType::XorMappedAddress>;
extern template struct XorAddressAttribute<AttributeType::XorPeerAddress>;
extern template struct XorAddressAttribute<AttributeType::XorRelayedAddress>;
extern template struct StringAttribute<AttributeType::Username, 512>;
extern template struct StringAttribute<AttributeType::Realm, 763>;
extern template struct StringAttribute<AttributeType::Nonce, 763>;
extern template struct StringAttribute<AttributeType::Software, 763>;
extern template struct StringAttribute<AttributeType::AlternateDomain, 255>;
extern template struct U32Attribute<AttributeType::Priority>;
extern template struct U32Attribute<AttributeType::Lifetime>;
extern template struct U64Attribute<AttributeType::IceControlled>;
extern template struct U64Attribute<AttributeType::IceControlling>;
extern template struct U64Attribute<AttributeType::ReservationToken>;
extern template struct FlagAttribute<AttributeType::UseCandidate>;
extern template struct FlagAttribute<AttributeType::DontFragment>;
extern template struct BytesAttribute<AttributeType::UserHash, 32>;
extern template struct BytesAttribute<AttributeType::Data, std::dynamic_extent>;
extern template struct AddressFamilyAttribute<AttributeType::RequestedAddressFamily>;
extern template struct AddressFamilyAttribute<AttributeType::AdditionalAddressFamily>;

}  // namespace parley::stun
