#include "stun/builder.hpp"

#include <algorithm>
#include <utility>

#include "stun/constants.hpp"
#include "stun/detail/bytes.hpp"
#include "stun/fingerprint.hpp"
#include "stun/integrity.hpp"

namespace parley::stun {

Builder::Builder(MessageType type, const TransactionId& id) { reset(type, id); }

void Builder::reset(MessageType type, const TransactionId& id) {
  buffer_.assign(kHeaderSize, 0);
  type_ = type;
  id_ = id;
  stage_ = Stage::Body;
  error_.reset();
  // RFC 8489 §5: type, length (0 until attributes arrive), cookie, id.
  detail::store_u16(buffer_, 0, type.encode());
  detail::store_u32(buffer_, 4, kMagicCookie);
  std::ranges::copy(id.bytes, buffer_.begin() + 8);
}

Builder& Builder::fail(Error error) {
  if (!error_) error_ = error;
  return *this;
}

bool Builder::allowed(AttributeType type) const {
  switch (stage_) {
    case Stage::Body: return true;
    case Stage::AfterIntegrity:
      return type == AttributeType::MessageIntegritySha256 || type == AttributeType::Fingerprint;
    case Stage::AfterIntegritySha256: return type == AttributeType::Fingerprint;
    case Stage::Done: return false;
  }
  return false;
}

void Builder::advance(AttributeType type) {
  if (type == AttributeType::MessageIntegrity) stage_ = Stage::AfterIntegrity;
  if (type == AttributeType::MessageIntegritySha256) stage_ = Stage::AfterIntegritySha256;
  if (type == AttributeType::Fingerprint) stage_ = Stage::Done;
}

void Builder::set_length(std::size_t body_size) {
  detail::store_u16(buffer_, 2, static_cast<std::uint16_t>(body_size));
}

std::optional<std::span<std::uint8_t>> Builder::append_attribute(AttributeType type,
                                                                 std::size_t value_size) {
  if (error_) return std::nullopt;
  if (!allowed(type)) {
    fail(Error::AttributeOrder);
    return std::nullopt;
  }
  const std::size_t body = buffer_.size() - kHeaderSize;
  const std::size_t total = kAttributeHeaderSize + detail::padded4(value_size);
  if (value_size > 0xFFFF || total > kMaxBodySize - body) {
    fail(Error::ValueTooLong);
    return std::nullopt;
  }

  // RFC 8489 §14: type, length of the value without padding, value, padding.
  const std::size_t at = buffer_.size();
  buffer_.resize(at + total, padding_byte_);
  detail::store_u16(buffer_, at, std::to_underlying(type));
  detail::store_u16(buffer_, at + 2, static_cast<std::uint16_t>(value_size));
  set_length(body + total);
  advance(type);
  return std::span(buffer_).subspan(at + kAttributeHeaderSize, value_size);
}

Builder& Builder::add_raw(AttributeType type, std::span<const std::uint8_t> value) {
  if (const auto out = append_attribute(type, value.size())) {
    std::ranges::copy(value, out->begin());
  }
  return *this;
}

Builder& Builder::add_raw(AttributeType type, std::span<const std::uint8_t> value,
                          std::span<const std::uint8_t> padding) {
  if (padding.size() != detail::padded4(value.size()) - value.size()) {
    return fail(Error::BadAttributeValue);
  }
  if (const auto out = append_attribute(type, value.size())) {
    std::ranges::copy(value, out->begin());
    // The attribute just went on the end of the buffer, its padding last.
    std::ranges::copy(padding, buffer_.end() - static_cast<std::ptrdiff_t>(padding.size()));
  }
  return *this;
}

Builder& Builder::add_message_integrity(std::span<const std::uint8_t> key) {
  if (error_) return *this;
  const std::size_t prefix = buffer_.size();
  // Reserve first: it validates the order and sets the length field to count
  // this attribute, which is the length the HMAC must see (§14.5).
  const auto out = append_attribute(AttributeType::MessageIntegrity, kMessageIntegritySize);
  if (!out) return *this;
  const auto length = detail::load_u16(buffer_, 2);
  const auto hmac = compute_message_integrity(std::span(buffer_).first(prefix), length, key);
  if (!hmac) return fail(hmac.error());
  std::ranges::copy(*hmac, out->begin());
  return *this;
}

Builder& Builder::add_message_integrity_sha256(std::span<const std::uint8_t> key,
                                               std::size_t size) {
  if (error_) return *this;
  if (size < kMessageIntegritySha256MinSize || size > kMessageIntegritySha256MaxSize ||
      size % 4 != 0) {
    return fail(Error::BadAttributeValue);
  }
  const std::size_t prefix = buffer_.size();
  const auto out = append_attribute(AttributeType::MessageIntegritySha256, size);
  if (!out) return *this;
  const auto length = detail::load_u16(buffer_, 2);
  const auto hmac = compute_message_integrity_sha256(std::span(buffer_).first(prefix), length, key);
  if (!hmac) return fail(hmac.error());
  std::ranges::copy(std::span(*hmac).first(size), out->begin());
  return *this;
}

Builder& Builder::add_fingerprint() {
  if (error_) return *this;
  const std::size_t prefix = buffer_.size();
  const auto out = append_attribute(AttributeType::Fingerprint, 4);
  if (!out) return *this;
  const auto length = detail::load_u16(buffer_, 2);
  detail::store_u32(*out, 0, compute_fingerprint(std::span(buffer_).first(prefix), length));
  return *this;
}

std::expected<std::span<const std::uint8_t>, Error> Builder::finish() const {
  if (error_) return std::unexpected(*error_);
  return std::span<const std::uint8_t>(buffer_);
}

std::expected<std::vector<std::uint8_t>, Error> Builder::release() {
  if (error_) return std::unexpected(*error_);
  auto bytes = std::exchange(buffer_, {});
  reset(type_, id_);
  return bytes;
}

}  // namespace parley::stun
