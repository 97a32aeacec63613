#include "stun/attributes.hpp"

#include <algorithm>
#include <utility>

#include "stun/detail/bytes.hpp"

namespace parley::stun {
namespace {

// The attribute length field is 16 bits (RFC 8489 §14).
constexpr std::size_t kMaxValueSize = 0xFFFF;

std::unexpected<Error> bad_value() { return std::unexpected(Error::BadAttributeValue); }

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::expected<std::size_t, Error> fits(std::size_t size) {
  if (size > kMaxValueSize) return std::unexpected(Error::ValueTooLong);
  return size;
}

// RFC 8489 §14.8 and RFC 8656 §18.12 share the class/number split of the
// code: the low 3 bits of the third byte are the hundreds (3-6), the fourth
// byte the rest (0-99). The bits above the class are reserved and ignored.
std::expected<std::uint16_t, Error> decode_code(std::uint8_t class_byte, std::uint8_t number) {
  const std::uint8_t hundreds = class_byte & 0x07;
  if (hundreds < 3 || hundreds > 6 || number > 99) return bad_value();
  return static_cast<std::uint16_t>(hundreds * 100 + number);
}

bool is_valid_code(std::uint16_t code) { return code >= 300 && code <= 699; }

void write_code(std::span<std::uint8_t> out, std::uint16_t code) {
  out[2] = static_cast<std::uint8_t>(code / 100);
  out[3] = static_cast<std::uint8_t>(code % 100);
}

// RFC 8489 §14.11/§14.12: algorithm (2), parameters length (2), parameters
// padded to 4. Returns the entry and the bytes it used. The last entry may
// omit the inner padding, since the attribute is padded anyway.
struct AlgorithmEntry {
  PasswordAlgorithm algorithm;
  std::size_t consumed = 0;
};

std::expected<AlgorithmEntry, Error> decode_algorithm_entry(std::span<const std::uint8_t> rest) {
  if (rest.size() < 4) return bad_value();
  const std::size_t params = detail::load_u16(rest, 2);
  if (rest.size() - 4 < params) return bad_value();
  const std::size_t consumed = std::min(rest.size(), 4 + detail::padded4(params));
  return AlgorithmEntry{
      .algorithm = {.algorithm = static_cast<PasswordAlgorithmId>(detail::load_u16(rest, 0)),
                    .parameters = rest.subspan(4, params)},
      .consumed = consumed};
}

std::size_t algorithm_entry_size(const PasswordAlgorithm& a) {
  return 4 + detail::padded4(a.parameters.size());
}

void write_algorithm_entry(std::span<std::uint8_t> out, const PasswordAlgorithm& a) {
  detail::store_u16(out, 0, std::to_underlying(a.algorithm));
  detail::store_u16(out, 2, static_cast<std::uint16_t>(a.parameters.size()));
  std::ranges::copy(a.parameters, out.begin() + 4);
  std::ranges::fill(out.subspan(4 + a.parameters.size()), 0);
}

}  // namespace

// ---------------------------------------------------------------------------
// Shared shapes.

template <AttributeType T>
std::expected<AddressAttribute<T>, Error> AddressAttribute<T>::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  auto address = decode_address(value);
  if (!address) return std::unexpected(address.error());
  return AddressAttribute{*address};
}

template <AttributeType T>
std::expected<std::size_t, Error> AddressAttribute<T>::value_size() const {
  return address_value_size(address.family);
}

template <AttributeType T>
void AddressAttribute<T>::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  encode_address(out, address);
}

template <AttributeType T>
std::expected<XorAddressAttribute<T>, Error> XorAddressAttribute<T>::decode(
    std::span<const std::uint8_t> value, const TransactionId& id) {
  auto address = decode_xor_address(value, id);
  if (!address) return std::unexpected(address.error());
  return XorAddressAttribute{*address};
}

template <AttributeType T>
std::expected<std::size_t, Error> XorAddressAttribute<T>::value_size() const {
  return address_value_size(address.family);
}

template <AttributeType T>
void XorAddressAttribute<T>::write_value(std::span<std::uint8_t> out,
                                         const TransactionId& id) const {
  encode_xor_address(out, address, id);
}

template <AttributeType T, std::size_t MaxBytes>
std::expected<StringAttribute<T, MaxBytes>, Error> StringAttribute<T, MaxBytes>::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  if (value.size() > MaxBytes) return bad_value();
  return StringAttribute{as_text(value)};
}

template <AttributeType T, std::size_t MaxBytes>
std::expected<std::size_t, Error> StringAttribute<T, MaxBytes>::value_size() const {
  if (value.size() > MaxBytes) return std::unexpected(Error::ValueTooLong);
  return value.size();
}

template <AttributeType T, std::size_t MaxBytes>
void StringAttribute<T, MaxBytes>::write_value(std::span<std::uint8_t> out,
                                               const TransactionId&) const {
  std::ranges::copy(value, out.begin());
}

template <AttributeType T>
std::expected<U32Attribute<T>, Error> U32Attribute<T>::decode(std::span<const std::uint8_t> value,
                                                              const TransactionId&) {
  if (value.size() != 4) return bad_value();
  return U32Attribute{detail::load_u32(value, 0)};
}

template <AttributeType T>
std::expected<std::size_t, Error> U32Attribute<T>::value_size() const {
  return 4;
}

template <AttributeType T>
void U32Attribute<T>::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  detail::store_u32(out, 0, value);
}

template <AttributeType T>
std::expected<U64Attribute<T>, Error> U64Attribute<T>::decode(std::span<const std::uint8_t> value,
                                                              const TransactionId&) {
  if (value.size() != 8) return bad_value();
  return U64Attribute{detail::load_u64(value, 0)};
}

template <AttributeType T>
std::expected<std::size_t, Error> U64Attribute<T>::value_size() const {
  return 8;
}

template <AttributeType T>
void U64Attribute<T>::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  detail::store_u64(out, 0, value);
}

template <AttributeType T>
std::expected<FlagAttribute<T>, Error> FlagAttribute<T>::decode(std::span<const std::uint8_t> value,
                                                                const TransactionId&) {
  if (!value.empty()) return bad_value();
  return FlagAttribute{};
}

template <AttributeType T>
std::expected<std::size_t, Error> FlagAttribute<T>::value_size() const {
  return 0;
}

template <AttributeType T>
void FlagAttribute<T>::write_value(std::span<std::uint8_t>, const TransactionId&) const {}

template <AttributeType T, std::size_t Size>
std::expected<BytesAttribute<T, Size>, Error> BytesAttribute<T, Size>::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  if (Size != std::dynamic_extent && value.size() != Size) return bad_value();
  return BytesAttribute{value};
}

template <AttributeType T, std::size_t Size>
std::expected<std::size_t, Error> BytesAttribute<T, Size>::value_size() const {
  if (Size != std::dynamic_extent && value.size() != Size) return bad_value();
  return fits(value.size());
}

template <AttributeType T, std::size_t Size>
void BytesAttribute<T, Size>::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  std::ranges::copy(value, out.begin());
}

template <AttributeType T>
std::expected<AddressFamilyAttribute<T>, Error> AddressFamilyAttribute<T>::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  if (value.size() != 4) return bad_value();
  return AddressFamilyAttribute{static_cast<AddressFamily>(value[0])};
}

template <AttributeType T>
std::expected<std::size_t, Error> AddressFamilyAttribute<T>::value_size() const {
  return 4;
}

template <AttributeType T>
void AddressFamilyAttribute<T>::write_value(std::span<std::uint8_t> out,
                                            const TransactionId&) const {
  out[0] = static_cast<std::uint8_t>(family);
  std::ranges::fill(out.subspan(1), 0);  // RFFU
}

template struct AddressAttribute<AttributeType::MappedAddress>;
template struct AddressAttribute<AttributeType::AlternateServer>;
template struct XorAddressAttribute<AttributeType::XorMappedAddress>;
template struct XorAddressAttribute<AttributeType::XorPeerAddress>;
template struct XorAddressAttribute<AttributeType::XorRelayedAddress>;
template struct StringAttribute<AttributeType::Username, 512>;
template struct StringAttribute<AttributeType::Realm, 763>;
template struct StringAttribute<AttributeType::Nonce, 763>;
template struct StringAttribute<AttributeType::Software, 763>;
template struct StringAttribute<AttributeType::AlternateDomain, 255>;
template struct U32Attribute<AttributeType::Priority>;
template struct U32Attribute<AttributeType::Lifetime>;
template struct U64Attribute<AttributeType::IceControlled>;
template struct U64Attribute<AttributeType::IceControlling>;
template struct U64Attribute<AttributeType::ReservationToken>;
template struct FlagAttribute<AttributeType::UseCandidate>;
template struct FlagAttribute<AttributeType::DontFragment>;
template struct BytesAttribute<AttributeType::UserHash, 32>;
template struct BytesAttribute<AttributeType::Data, std::dynamic_extent>;
template struct AddressFamilyAttribute<AttributeType::RequestedAddressFamily>;
template struct AddressFamilyAttribute<AttributeType::AdditionalAddressFamily>;

// ---------------------------------------------------------------------------
// RFC 8489 §14.8 ERROR-CODE.

std::expected<ErrorCode, Error> ErrorCode::decode(std::span<const std::uint8_t> value,
                                                  const TransactionId&) {
  if (value.size() < 4 || value.size() - 4 > kMaxReasonBytes) return bad_value();
  const auto code = decode_code(value[2], value[3]);
  if (!code) return std::unexpected(code.error());
  return ErrorCode{.code = *code, .reason = as_text(value.subspan(4))};
}

std::expected<std::size_t, Error> ErrorCode::value_size() const {
  if (!is_valid_code(code)) return bad_value();
  if (reason.size() > kMaxReasonBytes) return std::unexpected(Error::ValueTooLong);
  return 4 + reason.size();
}

void ErrorCode::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  out[0] = 0;
  out[1] = 0;
  write_code(out, code);
  std::ranges::copy(reason, out.begin() + 4);
}

// ---------------------------------------------------------------------------
// RFC 8489 §14.13 UNKNOWN-ATTRIBUTES.

std::expected<UnknownAttributes, Error> UnknownAttributes::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  if (value.size() % 2 != 0) return bad_value();
  UnknownAttributes result;
  result.types.reserve(value.size() / 2);
  for (std::size_t at = 0; at < value.size(); at += 2) {
    result.types.push_back(static_cast<AttributeType>(detail::load_u16(value, at)));
  }
  return result;
}

std::expected<std::size_t, Error> UnknownAttributes::value_size() const {
  return fits(types.size() * 2);
}

void UnknownAttributes::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  for (std::size_t i = 0; i < types.size(); ++i) {
    detail::store_u16(out, i * 2, std::to_underlying(types[i]));
  }
}

// ---------------------------------------------------------------------------
// RFC 8489 §14.12 PASSWORD-ALGORITHM and §14.11 PASSWORD-ALGORITHMS.

std::expected<PasswordAlgorithm, Error> PasswordAlgorithm::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  auto entry = decode_algorithm_entry(value);
  if (!entry) return std::unexpected(entry.error());
  if (entry->consumed != value.size()) return bad_value();
  return entry->algorithm;
}

std::expected<std::size_t, Error> PasswordAlgorithm::value_size() const {
  if (parameters.size() > kMaxValueSize) return std::unexpected(Error::ValueTooLong);
  return fits(algorithm_entry_size(*this));
}

void PasswordAlgorithm::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  write_algorithm_entry(out, *this);
}

std::expected<PasswordAlgorithms, Error> PasswordAlgorithms::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  PasswordAlgorithms result;
  for (std::size_t at = 0; at < value.size();) {
    auto entry = decode_algorithm_entry(value.subspan(at));
    if (!entry) return std::unexpected(entry.error());
    result.algorithms.push_back(entry->algorithm);
    at += entry->consumed;
  }
  return result;
}

std::expected<std::size_t, Error> PasswordAlgorithms::value_size() const {
  std::size_t total = 0;
  for (const auto& a : algorithms) {
    auto size = a.value_size();
    if (!size) return size;
    total += *size;
    if (total > kMaxValueSize) return std::unexpected(Error::ValueTooLong);
  }
  return total;
}

void PasswordAlgorithms::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  std::size_t at = 0;
  for (const auto& a : algorithms) {
    const std::size_t size = algorithm_entry_size(a);
    write_algorithm_entry(out.subspan(at, size), a);
    at += size;
  }
}

// ---------------------------------------------------------------------------
// RFC 8489 §14.5-§14.7 integrity trailers (decode only).

std::expected<MessageIntegrity, Error> MessageIntegrity::decode(std::span<const std::uint8_t> value,
                                                                const TransactionId&) {
  if (value.size() != 20) return bad_value();
  return MessageIntegrity{value};
}

std::expected<MessageIntegritySha256, Error> MessageIntegritySha256::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  // §14.6: at least 16 bytes, at most 32, a multiple of 4.
  if (value.size() < 16 || value.size() > 32 || value.size() % 4 != 0) return bad_value();
  return MessageIntegritySha256{value};
}

std::expected<Fingerprint, Error> Fingerprint::decode(std::span<const std::uint8_t> value,
                                                      const TransactionId&) {
  if (value.size() != 4) return bad_value();
  return Fingerprint{detail::load_u32(value, 0)};
}

// ---------------------------------------------------------------------------
// RFC 8656 §18 TURN attributes.

std::expected<ChannelNumber, Error> ChannelNumber::decode(std::span<const std::uint8_t> value,
                                                          const TransactionId&) {
  if (value.size() != 4) return bad_value();
  return ChannelNumber{detail::load_u16(value, 0)};  // bytes 2-3 are RFFU
}

std::expected<std::size_t, Error> ChannelNumber::value_size() const { return 4; }

void ChannelNumber::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  detail::store_u16(out, 0, channel);
  detail::store_u16(out, 2, 0);
}

std::expected<EvenPort, Error> EvenPort::decode(std::span<const std::uint8_t> value,
                                                const TransactionId&) {
  if (value.size() != 1) return bad_value();
  return EvenPort{(value[0] & 0x80) != 0};  // the other 7 bits are RFFU
}

std::expected<std::size_t, Error> EvenPort::value_size() const { return 1; }

void EvenPort::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  out[0] = reserve_next ? 0x80 : 0x00;
}

std::expected<RequestedTransport, Error> RequestedTransport::decode(
    std::span<const std::uint8_t> value, const TransactionId&) {
  if (value.size() != 4) return bad_value();
  return RequestedTransport{value[0]};
}

std::expected<std::size_t, Error> RequestedTransport::value_size() const { return 4; }

void RequestedTransport::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  out[0] = protocol;
  std::ranges::fill(out.subspan(1), 0);  // RFFU
}

std::expected<AddressErrorCode, Error> AddressErrorCode::decode(std::span<const std::uint8_t> value,
                                                                const TransactionId&) {
  if (value.size() < 4 || value.size() - 4 > ErrorCode::kMaxReasonBytes) return bad_value();
  const auto code = decode_code(value[2], value[3]);
  if (!code) return std::unexpected(code.error());
  return AddressErrorCode{.family = static_cast<AddressFamily>(value[0]),
                          .code = *code,
                          .reason = as_text(value.subspan(4))};
}

std::expected<std::size_t, Error> AddressErrorCode::value_size() const {
  if (!is_valid_code(code)) return bad_value();
  if (reason.size() > ErrorCode::kMaxReasonBytes) return std::unexpected(Error::ValueTooLong);
  return 4 + reason.size();
}

void AddressErrorCode::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  out[0] = static_cast<std::uint8_t>(family);
  out[1] = 0;
  write_code(out, code);
  std::ranges::copy(reason, out.begin() + 4);
}

std::expected<Icmp, Error> Icmp::decode(std::span<const std::uint8_t> value, const TransactionId&) {
  if (value.size() != 8) return bad_value();
  const std::uint16_t type_and_code = detail::load_u16(value, 2);
  return Icmp{.type = static_cast<std::uint8_t>(type_and_code >> 9),
              .code = static_cast<std::uint16_t>(type_and_code & 0x01FF),
              .error_data = detail::load_u32(value, 4)};
}

std::expected<std::size_t, Error> Icmp::value_size() const {
  if (type > 0x7F || code > 0x1FF) return bad_value();
  return 8;
}

void Icmp::write_value(std::span<std::uint8_t> out, const TransactionId&) const {
  detail::store_u16(out, 0, 0);
  detail::store_u16(out, 2, static_cast<std::uint16_t>((type << 9) | code));
  detail::store_u32(out, 4, error_data);
}

}  // namespace parley::stun
