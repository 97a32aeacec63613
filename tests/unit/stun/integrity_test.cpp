// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT: keys,
// verification, tampering, and which attributes count around them.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::stun {
namespace {

using test::append_unchecked;
using test::bytes_of;

const auto kKey = short_term_key("a-short-term-password");

std::vector<AttributeType> types_of(const Message& message) {
  std::vector<AttributeType> types;
  for (const RawAttribute& a : message.attributes()) types.push_back(a.type);
  return types;
}

std::vector<std::uint8_t> signed_request(bool sha1, bool sha256, std::size_t sha256_size,
                                         bool fingerprint) {
  Builder builder(Method::Binding, MessageClass::Request, TransactionId::random());
  builder.add(Username{"frag:frag"}).add(Priority{12345}).add(IceControlling{99});
  if (sha1) builder.add_message_integrity(kKey);
  if (sha256) builder.add_message_integrity_sha256(kKey, sha256_size);
  if (fingerprint) builder.add_fingerprint();
  return builder.release().value();
}

// Appends a FINGERPRINT computed over what is there, as a sender would.
void append_fingerprint(std::vector<std::uint8_t>& message) {
  const auto length = static_cast<std::uint16_t>(message.size() + 8 - kHeaderSize);
  const std::uint32_t crc = compute_fingerprint(message, length);
  std::array<std::uint8_t, 4> value{};
  detail::store_u32(value, 0, crc);
  append_unchecked(message, 0x8028, value);
}

// --- keys ----------------------------------------------------------------------------

TEST(Keys, ShortTermKeyIsThePassword) {
  const auto key = short_term_key("pwd");
  EXPECT_TRUE(std::ranges::equal(key, bytes_of("pwd")));
}

TEST(Keys, LongTermKeyIsMd5OfUserRealmPassword) {
  // The example of RFC 8489 §9.2.2.
  const auto key = long_term_key("user", "realm", "pass");
  ASSERT_TRUE(key);
  ASSERT_EQ(key->size, 16U);
  const std::array<std::uint8_t, 16> expected = {0x84, 0x93, 0xfb, 0xc5, 0x3b, 0xa5, 0x82, 0xfb,
                                                 0x4c, 0x04, 0x4c, 0x45, 0x6b, 0xdc, 0x40, 0xeb};
  EXPECT_TRUE(std::ranges::equal(key->view(), expected));
}

TEST(Keys, LongTermSha256KeyIs32Bytes) {
  const auto md5 = long_term_key("user", "realm", "pass", PasswordAlgorithmId::Md5);
  const auto sha = long_term_key("user", "realm", "pass", PasswordAlgorithmId::Sha256);
  ASSERT_TRUE(md5 && sha);
  EXPECT_EQ(sha->view().size(), 32U);
  EXPECT_FALSE(std::ranges::equal(sha->view().first(16), md5->view()));
  EXPECT_EQ(long_term_key("u", "r", "p", static_cast<PasswordAlgorithmId>(7)).error(),
            Error::BadAttributeValue);
}

// --- MESSAGE-INTEGRITY and -SHA256 ----------------------------------------------------

TEST(Integrity, EveryCombinationVerifies) {
  for (bool sha1 : {false, true}) {
    for (bool sha256 : {false, true}) {
      for (bool fingerprint : {false, true}) {
        const auto bytes = signed_request(sha1, sha256, 32, fingerprint);
        const auto message = Message::parse(bytes);
        ASSERT_TRUE(message);
        EXPECT_EQ(verify_message_integrity(*message, kKey).has_value(), sha1);
        EXPECT_EQ(verify_message_integrity_sha256(*message, kKey).has_value(), sha256);
        EXPECT_EQ(verify_integrity(*message, kKey).has_value(), sha1 || sha256);
        EXPECT_EQ(verify_fingerprint(*message).has_value(), fingerprint);
        if (!sha1) {
          EXPECT_EQ(verify_message_integrity(*message, kKey).error(), Error::MissingIntegrity);
        }
        if (!fingerprint) {
          EXPECT_EQ(verify_fingerprint(*message).error(), Error::MissingFingerprint);
        }
      }
    }
  }
}

TEST(Integrity, TruncatedSha256) {
  for (std::size_t size : {16, 20, 24, 28, 32}) {
    const auto bytes = signed_request(false, true, size, true);
    const auto message = Message::parse(bytes);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->get<MessageIntegritySha256>()->hmac.size(), size);
    EXPECT_TRUE(verify_message_integrity_sha256(*message, kKey)) << size;
    EXPECT_TRUE(verify_fingerprint(*message));
  }
}

TEST(Integrity, WrongKeyIsRefused) {
  const auto bytes = signed_request(true, true, 32, true);
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  const auto wrong = short_term_key("a-short-term-passworD");
  EXPECT_EQ(verify_message_integrity(*message, wrong).error(), Error::IntegrityMismatch);
  EXPECT_EQ(verify_message_integrity_sha256(*message, wrong).error(), Error::IntegrityMismatch);
  EXPECT_EQ(verify_integrity(*message, {}).error(), Error::IntegrityMismatch);
}

TEST(Integrity, EmptyKeyWorks) {
  Builder builder(Method::Binding, MessageClass::Request, TransactionId::random());
  builder.add_message_integrity({}).add_message_integrity_sha256({});
  const auto bytes = builder.finish();
  ASSERT_TRUE(bytes);
  const auto message = Message::parse(*bytes);
  ASSERT_TRUE(message);
  EXPECT_TRUE(verify_message_integrity(*message, {}));
  EXPECT_TRUE(verify_message_integrity_sha256(*message, {}));
  EXPECT_FALSE(verify_message_integrity(*message, kKey));
}

TEST(Integrity, AnyFlippedBitIsDetected) {
  const auto original = signed_request(true, false, 0, true);
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (std::uint8_t bit = 1; bit != 0; bit = static_cast<std::uint8_t>(bit << 1)) {
      auto bytes = original;
      bytes[i] ^= bit;
      const auto message = Message::parse(bytes);
      if (!message) continue;  // the header no longer parses: refused anyway
      const bool integrity = verify_message_integrity(*message, kKey).has_value();
      const bool fingerprint = verify_fingerprint(*message).has_value();
      EXPECT_FALSE(integrity && fingerprint) << "byte " << i << " bit " << int{bit};
    }
  }
}

TEST(Integrity, BadlySizedIntegrityAttributes) {
  Builder builder(Method::Binding, MessageClass::Request, TransactionId::random());
  const std::array<std::uint8_t, 16> short_hmac{};
  builder.add_raw(AttributeType::MessageIntegrity, short_hmac);
  const auto message = Message::parse(builder.finish().value());
  ASSERT_TRUE(message);
  EXPECT_EQ(verify_message_integrity(*message, kKey).error(), Error::BadAttributeValue);

  Builder sha(Method::Binding, MessageClass::Request, TransactionId::random());
  const std::array<std::uint8_t, 12> too_short{};
  sha.add_raw(AttributeType::MessageIntegritySha256, too_short);
  const auto sha_message = Message::parse(sha.finish().value());
  ASSERT_TRUE(sha_message);
  EXPECT_EQ(verify_message_integrity_sha256(*sha_message, kKey).error(), Error::BadAttributeValue);

  Builder fp(Method::Binding, MessageClass::Request, TransactionId::random());
  const std::array<std::uint8_t, 8> long_crc{};
  fp.add_raw(AttributeType::Fingerprint, long_crc);
  const auto fp_message = Message::parse(fp.finish().value());
  ASSERT_TRUE(fp_message);
  EXPECT_EQ(verify_fingerprint(*fp_message).error(), Error::BadAttributeValue);
}

TEST(Integrity, BadFingerprint) {
  auto bytes = signed_request(true, false, 0, true);
  bytes.back() ^= 0x01;
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(verify_fingerprint(*message).error(), Error::FingerprintMismatch);
  EXPECT_TRUE(verify_message_integrity(*message, kKey));  // FINGERPRINT is not covered
}

TEST(Integrity, BadIntegrityInTheRfcVector) {
  std::vector<std::uint8_t> bytes(test::kSampleRequest.begin(), test::kSampleRequest.end());
  bytes[80] ^= 0x80;  // inside the MESSAGE-INTEGRITY value
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(verify_message_integrity(*message, short_term_key(test::kShortTermPassword)).error(),
            Error::IntegrityMismatch);
  // The FINGERPRINT covers the HMAC bytes, so it fails too.
  EXPECT_EQ(verify_fingerprint(*message).error(), Error::FingerprintMismatch);
}

TEST(Crc32, KnownValue) {
  // The standard CRC-32 check value.
  EXPECT_EQ(crc32(bytes_of("123456789")), 0xCBF43926U);
  EXPECT_EQ(crc32(bytes_of("6789"), crc32(bytes_of("12345"))), 0xCBF43926U);
  EXPECT_EQ(crc32({}), 0U);
}

// --- attributes after the trailers (RFC 8489 §14.5-§14.7) ----------------------------

TEST(Trailers, AttributesAfterIntegrityAreIgnored) {
  auto bytes = signed_request(true, false, 0, false);
  append_unchecked(bytes, 0x0006, bytes_of("mallory"));  // USERNAME
  append_unchecked(bytes, 0x0025, {});                   // USE-CANDIDATE
  append_fingerprint(bytes);
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message) << message.error();

  EXPECT_EQ(
      types_of(*message),
      (std::vector{AttributeType::Username, AttributeType::Priority, AttributeType::IceControlling,
                   AttributeType::MessageIntegrity, AttributeType::Fingerprint}));
  EXPECT_EQ(message->get<Username>()->value, "frag:frag");  // not "mallory"
  EXPECT_FALSE(message->has(AttributeType::UseCandidate));
  EXPECT_TRUE(verify_message_integrity(*message, kKey));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(Trailers, IgnoredAttributesBeforeTheOnlyIntegrityThatCounts) {
  // An attacker cannot smuggle an attribute in front of a valid integrity: a
  // message with only ignored extras still authenticates the same body.
  auto bytes = signed_request(true, false, 0, false);
  append_unchecked(bytes, 0x0024, std::array<std::uint8_t, 4>{0, 0, 0, 1});  // PRIORITY
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->get<Priority>()->value, 12345U);
  EXPECT_TRUE(verify_message_integrity(*message, kKey));
}

TEST(Trailers, Sha256AfterIntegrityCountsAndSha1AfterSha256DoesNot) {
  auto bytes = signed_request(true, true, 32, false);
  const std::array<std::uint8_t, 20> extra_mi{};
  append_unchecked(bytes, 0x0008, extra_mi);  // a second MESSAGE-INTEGRITY: ignored
  append_fingerprint(bytes);
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(types_of(*message).size(), 6U);
  EXPECT_TRUE(verify_message_integrity(*message, kKey));
  EXPECT_TRUE(verify_message_integrity_sha256(*message, kKey));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(Trailers, IntegrityAfterSha256IsIgnored) {
  Builder builder(Method::Binding, MessageClass::Request, TransactionId::random());
  builder.add(Username{"u"}).add_message_integrity_sha256(kKey);
  auto bytes = builder.release().value();
  const std::array<std::uint8_t, 20> hmac{};
  append_unchecked(bytes, 0x0008, hmac);
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(verify_message_integrity(*message, kKey).error(), Error::MissingIntegrity);
  EXPECT_TRUE(verify_message_integrity_sha256(*message, kKey));
}

TEST(Trailers, AttributesAfterFingerprintAreIgnored) {
  auto bytes = signed_request(true, false, 0, true);
  append_unchecked(bytes, 0x8022, bytes_of("trailing junk"));  // SOFTWARE
  append_unchecked(bytes, 0x0008, std::array<std::uint8_t, 20>{});
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_FALSE(message->has(AttributeType::Software));
  EXPECT_EQ(types_of(*message).back(), AttributeType::Fingerprint);
  EXPECT_TRUE(verify_message_integrity(*message, kKey));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(Trailers, FingerprintWithoutIntegrity) {
  Builder builder(Method::Binding, MessageClass::Indication, TransactionId::random());
  builder.add(Software{"x"}).add_fingerprint();
  auto bytes = builder.release().value();
  append_unchecked(bytes, 0x0006, bytes_of("late"));
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_FALSE(message->has(AttributeType::Username));
  EXPECT_TRUE(verify_fingerprint(*message));
  EXPECT_EQ(verify_integrity(*message, kKey).error(), Error::MissingIntegrity);
}

}  // namespace
}  // namespace parley::stun
