#include "stun/message.hpp"

#include "stun/detail/bytes.hpp"

namespace parley::stun {
namespace {

struct AttributeHeader {
  AttributeType type;
  std::size_t length;  // of the value, without padding
  std::size_t total;   // header + value + padding
};

// Callers guarantee 4 readable bytes at `offset`.
AttributeHeader read_attribute_header(std::span<const std::uint8_t> message, std::size_t offset) {
  const std::size_t length = detail::load_u16(message, offset + 2);
  return {static_cast<AttributeType>(detail::load_u16(message, offset)), length,
          kAttributeHeaderSize + detail::padded4(length)};
}

// RFC 8489 §5: the top two bits are zero, and the length counts the bytes
// after the header, always a multiple of 4 because attributes are padded.
std::expected<std::size_t, Error> check_header_start(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 4) return std::unexpected(Error::Truncated);
  if ((bytes[0] & 0xC0) != 0) return std::unexpected(Error::NotStun);
  const std::size_t length = detail::load_u16(bytes, 2);
  if (length % 4 != 0) return std::unexpected(Error::BadLength);
  return kHeaderSize + length;
}

// RFC 8489 §14.5-§14.7: which trailers count. After MESSAGE-INTEGRITY only
// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count; after
// MESSAGE-INTEGRITY-SHA256 only FINGERPRINT; after FINGERPRINT nothing.
class TrailerTracker {
 public:
  // States only move forward, in the order they are declared.
  void see(AttributeType type, std::size_t offset) {
    const auto at = static_cast<std::uint32_t>(offset);
    if (type == AttributeType::MessageIntegrity && state_ == State::Body) {
      enter(State::AfterIntegrity, layout_.integrity, at);
    } else if (type == AttributeType::MessageIntegritySha256 && state_ <= State::AfterIntegrity) {
      enter(State::AfterSha256, layout_.integrity_sha256, at);
    } else if (type == AttributeType::Fingerprint && state_ != State::Done) {
      enter(State::Done, layout_.fingerprint, at);
    }
  }

  TrailerLayout layout() const { return layout_; }

 private:
  enum class State { Body, AfterIntegrity, AfterSha256, Done };

  void enter(State next, std::uint32_t& slot, std::uint32_t offset) {
    if (state_ == State::Body) layout_.first = offset;
    state_ = next;
    slot = offset;
  }

  State state_ = State::Body;
  TrailerLayout layout_;
};

}  // namespace

// ---------------------------------------------------------------------------
// AttributeIterator

AttributeIterator::AttributeIterator(std::span<const std::uint8_t> message, std::size_t offset,
                                     TrailerLayout layout)
    : message_(message), offset_(offset), layout_(layout) {
  skip_ignored();
}

RawAttribute AttributeIterator::operator*() const {
  const auto header = read_attribute_header(message_, offset_);
  const std::size_t value_at = offset_ + kAttributeHeaderSize;
  return {.type = header.type,
          .value = message_.subspan(value_at, header.length),
          .padding = message_.subspan(value_at + header.length,
                                      header.total - kAttributeHeaderSize - header.length),
          .offset = offset_};
}

AttributeIterator& AttributeIterator::operator++() {
  offset_ += read_attribute_header(message_, offset_).total;
  skip_ignored();
  return *this;
}

AttributeIterator AttributeIterator::operator++(int) {
  auto before = *this;
  ++*this;
  return before;
}

void AttributeIterator::skip_ignored() {
  while (offset_ < message_.size() && !layout_.counts(offset_)) {
    offset_ += read_attribute_header(message_, offset_).total;
  }
}

// ---------------------------------------------------------------------------
// Message

std::expected<Message, Error> Message::parse(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) return std::unexpected(Error::Truncated);
  const auto size = check_header_start(datagram);
  if (!size) return std::unexpected(size.error());
  if (detail::load_u32(datagram, 4) != kMagicCookie) return std::unexpected(Error::BadMagicCookie);
  if (datagram.size() < *size) return std::unexpected(Error::Truncated);
  // A datagram carries one message (RFC 8489 §6.2.1): trailing bytes mean the
  // length field lies.
  if (datagram.size() > *size) return std::unexpected(Error::BadLength);

  // RFC 8489 §14: type-length-value, each value padded to 4 bytes. The
  // message length is a multiple of 4 and every step is too, so a TLV header
  // never straddles the end; the value (with padding) still might.
  TrailerTracker trailers;
  for (std::size_t offset = kHeaderSize; offset < datagram.size();) {
    if (datagram.size() - offset < kAttributeHeaderSize)
      return std::unexpected(Error::AttributeOverrun);
    const auto header = read_attribute_header(datagram, offset);
    if (header.total > datagram.size() - offset) return std::unexpected(Error::AttributeOverrun);
    trailers.see(header.type, offset);
    offset += header.total;
  }

  const auto type = MessageType::decode(detail::load_u16(datagram, 0));
  const auto id = TransactionId::from(datagram.subspan<8, TransactionId::kSize>());
  return Message(datagram, type, id, trailers.layout());
}

AttributeRange Message::attributes() const {
  return {AttributeIterator(bytes_, kHeaderSize, trailers_),
          AttributeIterator(bytes_, bytes_.size(), trailers_)};
}

std::optional<RawAttribute> Message::find(AttributeType type) const {
  for (const RawAttribute& attribute : attributes()) {
    if (attribute.type == type) return attribute;
  }
  return std::nullopt;
}

std::vector<AttributeType> Message::unknown_comprehension_required(
    bool (*known)(AttributeType)) const {
  std::vector<AttributeType> unknown;
  for (const RawAttribute& attribute : attributes()) {
    if (is_comprehension_required(attribute.type) && !known(attribute.type)) {
      unknown.push_back(attribute.type);
    }
  }
  return unknown;
}

// ---------------------------------------------------------------------------
// Framing helpers

std::expected<std::size_t, Error> message_size(std::span<const std::uint8_t> prefix) {
  return check_header_start(prefix);
}

bool looks_like_stun(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) return false;
  const auto size = check_header_start(datagram);
  return size && *size == datagram.size() && detail::load_u32(datagram, 4) == kMagicCookie;
}

}  // namespace parley::stun
