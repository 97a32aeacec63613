#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <vector>

#include "stun/attribute_type.hpp"
#include "stun/error.hpp"
#include "stun/message_type.hpp"
#include "stun/transaction_id.hpp"

namespace parley::stun {

// Encodes one STUN message: header, attributes in the order added, then the
// optional integrity trailers. The header length is kept current after every
// step, so integrity and fingerprint see exactly what the receiver will.
//
// Errors are sticky: the first failure (a value too long, an attribute added
// after a trailer, ...) is remembered, later calls do nothing, and finish()
// reports it. That keeps call sites to one check:
//
//   Builder b(Method::Binding, MessageClass::SuccessResponse, request.transaction_id());
//   b.add(XorMappedAddress{peer}).add_message_integrity(key).add_fingerprint();
//   auto bytes = b.finish();  // std::expected<std::span<const uint8_t>, Error>
//
// The builder owns its buffer; reset() reuses it for the next message
// without reallocating.
class Builder {
 public:
  Builder(MessageType type, const TransactionId& id);
  Builder(Method method, MessageClass message_class, const TransactionId& id)
      : Builder(MessageType{method, message_class}, id) {}

  // Start a new message, keeping the buffer's capacity and the padding byte.
  void reset(MessageType type, const TransactionId& id);

  // RFC 8489 §14 lets the padding hold any value; we write zeros unless told
  // otherwise (RFC 5769's test vectors pad with spaces).
  Builder& set_padding_byte(std::uint8_t byte) {
    padding_byte_ = byte;
    return *this;
  }

  template <EncodableAttribute A>
  Builder& add(const A& attribute) {
    const auto size = attribute.value_size();
    if (!size) return fail(size.error());
    if (const auto out = append_attribute(A::kType, *size)) {
      attribute.write_value(*out, id_);
    }
    return *this;
  }

  // Any type code with caller-provided value bytes, padded with the padding
  // byte.
  Builder& add_raw(AttributeType type, std::span<const std::uint8_t> value);
  // Same with explicit padding bytes (0-3, exactly what the value needs), to
  // reproduce a message byte for byte.
  Builder& add_raw(AttributeType type, std::span<const std::uint8_t> value,
                   std::span<const std::uint8_t> padding);

  // RFC 8489 §14.5: HMAC-SHA1 over the message so far, with the length field
  // counting the MESSAGE-INTEGRITY attribute itself.
  Builder& add_message_integrity(std::span<const std::uint8_t> key);

  // RFC 8489 §14.6: HMAC-SHA256, truncated to `size` bytes (16-32, a multiple
  // of 4). Comes after MESSAGE-INTEGRITY when both are sent.
  Builder& add_message_integrity_sha256(std::span<const std::uint8_t> key, std::size_t size = 32);

  // RFC 8489 §14.7: CRC-32 of the message so far XOR 0x5354554E; always last.
  Builder& add_fingerprint();

  // Reserve an attribute of `value_size` bytes (padding written) and return
  // the value bytes to fill, or nothing after an error. The span is valid
  // until the next call on the builder.
  std::optional<std::span<std::uint8_t>> append_attribute(AttributeType type,
                                                          std::size_t value_size);

  std::optional<Error> error() const { return error_; }
  const TransactionId& transaction_id() const { return id_; }

  // The encoded message, valid until the builder changes; or the first error.
  std::expected<std::span<const std::uint8_t>, Error> finish() const;
  // Same, moving the buffer out; the builder starts over with the same header.
  std::expected<std::vector<std::uint8_t>, Error> release();

 private:
  // Which attributes may still be added (RFC 8489 §14.5-§14.7): mirrors what
  // the parser lets count, so that nothing we send is ignored.
  enum class Stage { Body, AfterIntegrity, AfterIntegritySha256, Done };

  Builder& fail(Error error);
  bool allowed(AttributeType type) const;
  void advance(AttributeType type);
  void set_length(std::size_t body_size);

  std::vector<std::uint8_t> buffer_;
  MessageType type_;
  TransactionId id_;
  std::uint8_t padding_byte_ = 0;
  Stage stage_ = Stage::Body;
  std::optional<Error> error_;
};

}  // namespace parley::stun
