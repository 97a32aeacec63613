#include "stun/integrity.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <string>

#include "stun/constants.hpp"
#include "stun/detail/bytes.hpp"

namespace parley::stun {
namespace {

struct MacContextFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacContextPtr = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// One HMAC context per digest and thread, set up once: integrity is checked
// on every ICE check and TURN request, and fetching the algorithm or
// allocating a context each time would cost more than the HMAC itself.
MacContextPtr make_mac_context(const char* digest) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return nullptr;
  MacContextPtr ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context holds its own reference
  if (!ctx) return nullptr;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  return ctx;
}

EVP_MAC_CTX* sha1_context() {
  thread_local const MacContextPtr ctx = make_mac_context(OSSL_DIGEST_NAME_SHA1);
  return ctx.get();
}

EVP_MAC_CTX* sha256_context() {
  thread_local const MacContextPtr ctx = make_mac_context(OSSL_DIGEST_NAME_SHA2_256);
  return ctx.get();
}

bool mac_update(EVP_MAC_CTX* ctx, std::span<const std::uint8_t> bytes) {
  return bytes.empty() || EVP_MAC_update(ctx, bytes.data(), bytes.size()) == 1;
}

// HMAC of the message prefix with the length field patched, streamed in three
// pieces so the message is never copied.
template <std::size_t N>
std::expected<std::array<std::uint8_t, N>, Error> hmac_prefix(EVP_MAC_CTX* ctx,
                                                              std::span<const std::uint8_t> prefix,
                                                              std::uint16_t length_field,
                                                              std::span<const std::uint8_t> key) {
  if (ctx == nullptr || prefix.size() < kHeaderSize) return std::unexpected(Error::CryptoFailure);
  // A null key means "keep the previous key" to EVP_MAC_init; an empty
  // password must still mean an empty key.
  static constexpr std::uint8_t kNoKey = 0;
  const std::uint8_t* key_data = key.empty() ? &kNoKey : key.data();

  std::array<std::uint8_t, 2> length{};
  detail::store_u16(length, 0, length_field);

  std::array<std::uint8_t, N> out{};
  std::size_t out_size = 0;
  const bool ok = EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1 &&
                  mac_update(ctx, prefix.first(2)) && mac_update(ctx, length) &&
                  mac_update(ctx, prefix.subspan(4)) &&
                  EVP_MAC_final(ctx, out.data(), &out_size, out.size()) == 1 && out_size == N;
  if (!ok) return std::unexpected(Error::CryptoFailure);
  return out;
}

// H(a ":" b [":" c]) for the key derivations of RFC 8489 §9.2.2 and §14.4.
std::expected<LongTermKey, Error> digest_joined(const EVP_MD* md, std::string_view a,
                                                std::string_view b, std::string_view c,
                                                bool with_c) {
  std::string input;
  input.reserve(a.size() + b.size() + c.size() + 2);
  input.append(a).append(":").append(b);
  if (with_c) input.append(":").append(c);

  LongTermKey key;
  unsigned int size = 0;
  if (md == nullptr ||
      EVP_Digest(input.data(), input.size(), key.bytes.data(), &size, md, nullptr) != 1 ||
      size > key.bytes.size()) {
    OPENSSL_cleanse(input.data(), input.size());
    return std::unexpected(Error::CryptoFailure);
  }
  OPENSSL_cleanse(input.data(), input.size());  // it held the password
  key.size = size;
  return key;
}

// The integrity attribute that counts at `offset` (see TrailerLayout).
RawAttribute attribute_at(const Message& message, std::uint32_t offset) {
  return *AttributeIterator(message.bytes(), offset, message.trailers());
}

// Length field as it was when the sender appended the attribute at
// `attribute`: everything up to and including it (RFC 8489 §14.5, §14.6).
std::uint16_t length_through(const RawAttribute& attribute) {
  return static_cast<std::uint16_t>(attribute.offset + kAttributeHeaderSize +
                                    attribute.value.size() + attribute.padding.size() -
                                    kHeaderSize);
}

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::span<const std::uint8_t> short_term_key(std::string_view password) {
  return {reinterpret_cast<const std::uint8_t*>(password.data()), password.size()};
}

std::expected<LongTermKey, Error> long_term_key(std::string_view username, std::string_view realm,
                                                std::string_view password,
                                                PasswordAlgorithmId algorithm) {
  switch (algorithm) {
    case PasswordAlgorithmId::Md5: return digest_joined(EVP_md5(), username, realm, password, true);
    case PasswordAlgorithmId::Sha256:
      return digest_joined(EVP_sha256(), username, realm, password, true);
  }
  return std::unexpected(Error::BadAttributeValue);
}

std::expected<std::array<std::uint8_t, 32>, Error> compute_userhash(std::string_view username,
                                                                    std::string_view realm) {
  const auto digest = digest_joined(EVP_sha256(), username, realm, {}, false);
  if (!digest) return std::unexpected(digest.error());
  return digest->bytes;
}

std::expected<std::array<std::uint8_t, 20>, Error> compute_message_integrity(
    std::span<const std::uint8_t> prefix, std::uint16_t length_field,
    std::span<const std::uint8_t> key) {
  return hmac_prefix<20>(sha1_context(), prefix, length_field, key);
}

std::expected<std::array<std::uint8_t, 32>, Error> compute_message_integrity_sha256(
    std::span<const std::uint8_t> prefix, std::uint16_t length_field,
    std::span<const std::uint8_t> key) {
  return hmac_prefix<32>(sha256_context(), prefix, length_field, key);
}

std::expected<void, Error> verify_message_integrity(const Message& message,
                                                    std::span<const std::uint8_t> key) {
  const std::uint32_t offset = message.trailers().integrity;
  if (offset == TrailerLayout::kAbsent) return std::unexpected(Error::MissingIntegrity);
  const RawAttribute attribute = attribute_at(message, offset);
  if (attribute.value.size() != kMessageIntegritySize) {
    return std::unexpected(Error::BadAttributeValue);
  }
  const auto expected =
      compute_message_integrity(message.bytes().first(offset), length_through(attribute), key);
  if (!expected) return std::unexpected(expected.error());
  if (!same_bytes(*expected, attribute.value)) return std::unexpected(Error::IntegrityMismatch);
  return {};
}

std::expected<void, Error> verify_message_integrity_sha256(const Message& message,
                                                           std::span<const std::uint8_t> key) {
  const std::uint32_t offset = message.trailers().integrity_sha256;
  if (offset == TrailerLayout::kAbsent) return std::unexpected(Error::MissingIntegrity);
  const RawAttribute attribute = attribute_at(message, offset);
  if (!MessageIntegritySha256::decode(attribute.value, message.transaction_id())) {
    return std::unexpected(Error::BadAttributeValue);
  }
  const auto expected = compute_message_integrity_sha256(message.bytes().first(offset),
                                                         length_through(attribute), key);
  if (!expected) return std::unexpected(expected.error());
  // §14.6: a truncated value is the leading bytes of the full HMAC.
  if (!same_bytes(std::span(*expected).first(attribute.value.size()), attribute.value)) {
    return std::unexpected(Error::IntegrityMismatch);
  }
  return {};
}

std::expected<void, Error> verify_integrity(const Message& message,
                                            std::span<const std::uint8_t> key) {
  if (message.trailers().integrity_sha256 != TrailerLayout::kAbsent) {
    return verify_message_integrity_sha256(message, key);
  }
  return verify_message_integrity(message, key);
}

}  // namespace parley::stun
