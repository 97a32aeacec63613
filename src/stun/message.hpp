#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <iterator>
#include <optional>
#include <span>
#include <vector>

#include "stun/attribute_type.hpp"
#include "stun/constants.hpp"
#include "stun/error.hpp"
#include "stun/message_type.hpp"
#include "stun/transaction_id.hpp"

namespace parley::stun {

// Where the integrity trailers sit in a parsed message. Attributes between
// and after them are present in the bytes but do not count (RFC 8489 §14.5,
// §14.6, §14.7).
struct TrailerLayout {
  static constexpr std::uint32_t kAbsent = 0xFFFFFFFF;
  std::uint32_t integrity = kAbsent;         // offset of MESSAGE-INTEGRITY
  std::uint32_t integrity_sha256 = kAbsent;  // offset of MESSAGE-INTEGRITY-SHA256
  std::uint32_t fingerprint = kAbsent;       // offset of FINGERPRINT
  std::uint32_t first = kAbsent;             // offset of the first of the three

  bool counts(std::size_t offset) const {
    return offset < first || offset == integrity || offset == integrity_sha256 ||
           offset == fingerprint;
  }
};

// Forward iterator over the attributes that count, in message order. It holds
// only a view of the bytes, so it stays valid as long as the buffer does, even
// if the Message it came from is gone.
class AttributeIterator {
 public:
  using value_type = RawAttribute;
  using difference_type = std::ptrdiff_t;
  // Dereferencing yields a value, so to pre-C++20 algorithms this is only an
  // input iterator; the ranges concepts see a forward iterator.
  using iterator_concept = std::forward_iterator_tag;
  using iterator_category = std::input_iterator_tag;

  AttributeIterator() = default;
  AttributeIterator(std::span<const std::uint8_t> message, std::size_t offset,
                    TrailerLayout layout);

  RawAttribute operator*() const;
  AttributeIterator& operator++();
  AttributeIterator operator++(int);
  friend bool operator==(const AttributeIterator& a, const AttributeIterator& b) {
    return a.offset_ == b.offset_;
  }

 private:
  void skip_ignored();

  std::span<const std::uint8_t> message_;
  std::size_t offset_ = 0;
  TrailerLayout layout_;
};

class AttributeRange {
 public:
  AttributeRange(AttributeIterator begin, AttributeIterator end) : begin_(begin), end_(end) {}
  AttributeIterator begin() const { return begin_; }
  AttributeIterator end() const { return end_; }

 private:
  AttributeIterator begin_;
  AttributeIterator end_;
};

// A validated, zero-copy view of one STUN message. Everything it returns
// points into the buffer given to parse(); keep that buffer alive and
// unchanged while the Message or anything taken from it is in use.
class Message {
 public:
  // RFC 8489 §5, §6.3, §14: `datagram` must hold exactly one message. Checks
  // the header (top bits zero, magic cookie, length a multiple of 4 and equal
  // to the bytes that follow) and walks every attribute TLV so that none runs
  // past the end. Attribute values are not interpreted here; get<A>() does it.
  static std::expected<Message, Error> parse(std::span<const std::uint8_t> datagram);

  MessageType type() const { return type_; }
  Method method() const { return type_.method; }
  MessageClass message_class() const { return type_.message_class; }
  const TransactionId& transaction_id() const { return transaction_id_; }

  // The whole message, header included.
  std::span<const std::uint8_t> bytes() const { return bytes_; }

  // The attributes that count, in order: all up to MESSAGE-INTEGRITY, then
  // MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT where present
  // in their allowed order. Others after MESSAGE-INTEGRITY are ignored (RFC
  // 8489 §14.5), as is anything after FINGERPRINT (§14.7: it must be last).
  // Repeated attributes (several XOR-PEER-ADDRESS in CreatePermission, RFC
  // 8656 §9.1) all appear.
  AttributeRange attributes() const;

  // First attribute of `type` that counts.
  std::optional<RawAttribute> find(AttributeType type) const;
  bool has(AttributeType type) const { return find(type).has_value(); }

  // First attribute of A's type, decoded. Error::MissingAttribute if absent.
  template <DecodableAttribute A>
  std::expected<A, Error> get() const {
    const auto raw = find(A::kType);
    if (!raw) return std::unexpected(Error::MissingAttribute);
    return A::decode(raw->value, transaction_id_);
  }

  // RFC 8489 §6.3.1: comprehension-required attributes that `known` does not
  // accept; a request carrying any gets a 420 listing them. The default knows
  // every type of attribute_type.hpp.
  std::vector<AttributeType> unknown_comprehension_required(
      bool (*known)(AttributeType) = &is_known_attribute) const;

  const TrailerLayout& trailers() const { return trailers_; }

 private:
  Message(std::span<const std::uint8_t> bytes, MessageType type, const TransactionId& id,
          TrailerLayout trailers)
      : bytes_(bytes), type_(type), transaction_id_(id), trailers_(trailers) {}

  std::span<const std::uint8_t> bytes_;
  MessageType type_;
  TransactionId transaction_id_;
  TrailerLayout trailers_;
};

// RFC 8489 §6.2.2 (STUN over TCP/TLS is a byte stream): the size of the whole
// message that starts at `prefix`, read from its header. Needs 4 bytes
// (Error::Truncated if fewer: read more); fails if the start is not STUN.
std::expected<std::size_t, Error> message_size(std::span<const std::uint8_t> prefix);

// Cheap test to demultiplex a datagram (RFC 7983: first byte 0-3, plus the
// RFC 8489 §5 magic cookie and a length that matches). Does not walk the
// attributes; Message::parse still can fail.
bool looks_like_stun(std::span<const std::uint8_t> datagram);

}  // namespace parley::stun
