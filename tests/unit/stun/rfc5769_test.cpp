// RFC 5769 test vectors (and RFC 8489 Appendix B.1): decode, check integrity
// and fingerprint with the RFC's credentials, and encode them again byte for
// byte.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::stun {
namespace {

using test::kSampleIpv4Response;
using test::kSampleIpv6Response;
using test::kSampleLongTermRequest;
using test::kSampleRequest;
using test::kSampleSha256Request;

std::vector<AttributeType> types_of(const Message& message) {
  std::vector<AttributeType> types;
  for (const RawAttribute& a : message.attributes()) types.push_back(a.type);
  return types;
}

std::vector<std::uint8_t> to_vector(std::span<const std::uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

// Copies every attribute as found, padding bytes included, and recomputes the
// trailers: what a relay that re-signs a message would do.
std::vector<std::uint8_t> reencode_raw(const Message& message, std::span<const std::uint8_t> key) {
  Builder builder(message.type(), message.transaction_id());
  for (const RawAttribute& a : message.attributes()) {
    switch (a.type) {
      case AttributeType::MessageIntegrity: builder.add_message_integrity(key); break;
      case AttributeType::MessageIntegritySha256:
        builder.add_message_integrity_sha256(key, a.value.size());
        break;
      case AttributeType::Fingerprint: builder.add_fingerprint(); break;
      default: builder.add_raw(a.type, a.value, a.padding); break;
    }
  }
  auto bytes = builder.release();
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or(std::vector<std::uint8_t>{});
}

TEST(Rfc5769, SampleRequestDecodes) {
  const auto message = Message::parse(kSampleRequest);
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(message->method(), Method::Binding);
  EXPECT_EQ(message->message_class(), MessageClass::Request);
  EXPECT_EQ(message->transaction_id().to_hex(), "b7e7a701bc34d686fa87dfae");
  EXPECT_EQ(types_of(*message),
            (std::vector{AttributeType::Software, AttributeType::Priority,
                         AttributeType::IceControlled, AttributeType::Username,
                         AttributeType::MessageIntegrity, AttributeType::Fingerprint}));

  EXPECT_EQ(message->get<Software>()->value, test::kRequestSoftware);
  EXPECT_EQ(message->get<Priority>()->value, 0x6e0001ffU);
  EXPECT_EQ(message->get<IceControlled>()->value, 0x932ff9b151263b36ULL);
  EXPECT_EQ(message->get<Username>()->value, test::kRequestUsername);
  EXPECT_EQ(message->get<Fingerprint>()->value, 0xe57a3bcfU);
  EXPECT_EQ(message->get<MessageIntegrity>()->hmac.size(), 20U);
  EXPECT_TRUE(message->unknown_comprehension_required().empty());
}

TEST(Rfc5769, SampleRequestVerifies) {
  const auto message = Message::parse(kSampleRequest);
  ASSERT_TRUE(message);
  const auto key = short_term_key(test::kShortTermPassword);
  EXPECT_TRUE(verify_message_integrity(*message, key));
  EXPECT_TRUE(verify_integrity(*message, key));
  EXPECT_TRUE(verify_fingerprint(*message));

  EXPECT_EQ(verify_message_integrity(*message, short_term_key("VOkJxbRl1RmTxUk/WvJxBT")).error(),
            Error::IntegrityMismatch);
  EXPECT_EQ(verify_message_integrity_sha256(*message, key).error(), Error::MissingIntegrity);
}

TEST(Rfc5769, SampleRequestEncodesByteForByte) {
  const TransactionId id = TransactionId::from(std::span(kSampleRequest).subspan<8, 12>());
  Builder builder(Method::Binding, MessageClass::Request, id);
  builder
      .set_padding_byte(0x20)  // the RFC pads USERNAME with spaces
      .add(Software{test::kRequestSoftware})
      .add(Priority{0x6e0001ff})
      .add(IceControlled{0x932ff9b151263b36})
      .add(Username{test::kRequestUsername})
      .add_message_integrity(short_term_key(test::kShortTermPassword))
      .add_fingerprint();
  const auto bytes = builder.finish();
  ASSERT_TRUE(bytes) << bytes.error();
  EXPECT_EQ(to_vector(*bytes), to_vector(kSampleRequest));
}

TEST(Rfc5769, SampleIpv4ResponseRoundTrips) {
  const auto message = Message::parse(kSampleIpv4Response);
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(message->type(), (MessageType{Method::Binding, MessageClass::SuccessResponse}));
  EXPECT_EQ(message->get<Software>()->value, test::kResponseSoftware);
  const auto mapped = message->get<XorMappedAddress>();
  ASSERT_TRUE(mapped) << mapped.error();
  EXPECT_EQ(mapped->address, SocketAddress::v4({192, 0, 2, 1}, 32853));
  EXPECT_EQ(mapped->address.to_string(), "192.0.2.1:32853");

  const auto key = short_term_key(test::kShortTermPassword);
  EXPECT_TRUE(verify_message_integrity(*message, key));
  EXPECT_TRUE(verify_fingerprint(*message));

  Builder builder(message->type(), message->transaction_id());
  builder.set_padding_byte(0x20)
      .add(Software{test::kResponseSoftware})
      .add(XorMappedAddress{SocketAddress::v4({192, 0, 2, 1}, 32853)})
      .add_message_integrity(key)
      .add_fingerprint();
  ASSERT_TRUE(builder.finish());
  EXPECT_EQ(to_vector(*builder.finish()), to_vector(kSampleIpv4Response));
}

TEST(Rfc5769, SampleIpv6ResponseRoundTrips) {
  const auto message = Message::parse(kSampleIpv6Response);
  ASSERT_TRUE(message) << message.error();
  const auto expected = SocketAddress::from_string("2001:db8:1234:5678:11:2233:4455:6677", 32853);
  ASSERT_TRUE(expected);
  const auto mapped = message->get<XorMappedAddress>();
  ASSERT_TRUE(mapped) << mapped.error();
  EXPECT_EQ(mapped->address, *expected);
  EXPECT_EQ(mapped->address.to_string(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");

  const auto key = short_term_key(test::kShortTermPassword);
  EXPECT_TRUE(verify_message_integrity(*message, key));
  EXPECT_TRUE(verify_fingerprint(*message));

  Builder builder(message->type(), message->transaction_id());
  builder.set_padding_byte(0x20)
      .add(Software{test::kResponseSoftware})
      .add(XorMappedAddress{*expected})
      .add_message_integrity(key)
      .add_fingerprint();
  ASSERT_TRUE(builder.finish());
  EXPECT_EQ(to_vector(*builder.finish()), to_vector(kSampleIpv6Response));
}

TEST(Rfc5769, SampleLongTermRequestRoundTrips) {
  const auto message = Message::parse(kSampleLongTermRequest);
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(message->get<Username>()->value, test::kLongTermUsername);
  EXPECT_EQ(message->get<Nonce>()->value, test::kLongTermNonce);
  EXPECT_EQ(message->get<Realm>()->value, test::kLongTermRealm);

  const auto key =
      long_term_key(test::kLongTermUsername, test::kLongTermRealm, test::kLongTermPassword);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size, 16U);
  EXPECT_TRUE(verify_message_integrity(*message, key->view()));
  EXPECT_EQ(verify_fingerprint(*message).error(), Error::MissingFingerprint);

  // Keyed with the password before SASLprep, it must not verify: the codec
  // does no string preparation.
  const auto unprepared = long_term_key(test::kLongTermUsername, test::kLongTermRealm,
                                        "The\xc2\xad"
                                        "M\xc2\xaatr\xe2\x85\xa8");
  ASSERT_TRUE(unprepared);
  EXPECT_EQ(verify_message_integrity(*message, unprepared->view()).error(),
            Error::IntegrityMismatch);

  Builder builder(message->type(), message->transaction_id());
  builder.add(Username{test::kLongTermUsername})
      .add(Nonce{test::kLongTermNonce})
      .add(Realm{test::kLongTermRealm})
      .add_message_integrity(key->view());
  ASSERT_TRUE(builder.finish());
  EXPECT_EQ(to_vector(*builder.finish()), to_vector(kSampleLongTermRequest));
}

TEST(Rfc5769, RawReencodingPreservesEveryByte) {
  const auto short_key = short_term_key(test::kShortTermPassword);
  for (std::span<const std::uint8_t> vector :
       {std::span<const std::uint8_t>(kSampleRequest),
        std::span<const std::uint8_t>(kSampleIpv4Response),
        std::span<const std::uint8_t>(kSampleIpv6Response)}) {
    const auto message = Message::parse(vector);
    ASSERT_TRUE(message);
    EXPECT_EQ(reencode_raw(*message, short_key), to_vector(vector));
  }
  const auto long_key =
      long_term_key(test::kLongTermUsername, test::kLongTermRealm, test::kLongTermPassword);
  const auto message = Message::parse(kSampleLongTermRequest);
  ASSERT_TRUE(message && long_key);
  EXPECT_EQ(reencode_raw(*message, long_key->view()), to_vector(kSampleLongTermRequest));
}

TEST(Rfc8489AppendixB, Sha256RequestDecodes) {
  const auto message = Message::parse(kSampleSha256Request);
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(types_of(*message),
            (std::vector{AttributeType::UserHash, AttributeType::Nonce, AttributeType::Realm,
                         AttributeType::PasswordAlgorithm, AttributeType::MessageIntegritySha256}));
  EXPECT_EQ(message->get<UserHash>()->value.size(), 32U);
  EXPECT_EQ(message->get<Nonce>()->value, test::kSha256Nonce);
  EXPECT_EQ(message->get<Realm>()->value, test::kLongTermRealm);
  const auto algorithm = message->get<PasswordAlgorithm>();
  ASSERT_TRUE(algorithm);
  EXPECT_EQ(algorithm->algorithm, PasswordAlgorithmId::Sha256);
  EXPECT_TRUE(algorithm->parameters.empty());
  EXPECT_EQ(message->get<MessageIntegritySha256>()->hmac.size(), 32U);

  // §B.1 keys with SHA-256 as PASSWORD-ALGORITHM says, and USERHASH is
  // SHA-256(username ":" realm).
  const auto userhash = compute_userhash(test::kLongTermUsername, test::kLongTermRealm);
  ASSERT_TRUE(userhash);
  EXPECT_TRUE(std::ranges::equal(*userhash, message->get<UserHash>()->value));
  const auto key = long_term_key(test::kLongTermUsername, test::kLongTermRealm,
                                 test::kLongTermPassword, PasswordAlgorithmId::Sha256);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size, 32U);
  EXPECT_TRUE(verify_message_integrity_sha256(*message, key->view()));
  EXPECT_TRUE(verify_integrity(*message, key->view()));
  EXPECT_EQ(verify_message_integrity(*message, key->view()).error(), Error::MissingIntegrity);
  const auto md5_key =
      long_term_key(test::kLongTermUsername, test::kLongTermRealm, test::kLongTermPassword);
  EXPECT_EQ(verify_integrity(*message, md5_key->view()).error(), Error::IntegrityMismatch);
}

TEST(Rfc8489AppendixB, Sha256RequestEncodesByteForByte) {
  const auto message = Message::parse(kSampleSha256Request);
  ASSERT_TRUE(message);
  const auto key = long_term_key(test::kLongTermUsername, test::kLongTermRealm,
                                 test::kLongTermPassword, PasswordAlgorithmId::Sha256);
  const auto userhash = compute_userhash(test::kLongTermUsername, test::kLongTermRealm);
  ASSERT_TRUE(key && userhash);

  Builder builder(message->type(), message->transaction_id());
  builder.add(UserHash{*userhash})
      .add(Nonce{test::kSha256Nonce})
      .add(Realm{test::kLongTermRealm})
      .add(PasswordAlgorithm{.algorithm = PasswordAlgorithmId::Sha256, .parameters = {}})
      .add_message_integrity_sha256(key->view());
  ASSERT_TRUE(builder.finish());
  EXPECT_EQ(to_vector(*builder.finish()), to_vector(kSampleSha256Request));
  EXPECT_EQ(reencode_raw(*message, key->view()), to_vector(kSampleSha256Request));
}

}  // namespace
}  // namespace parley::stun
