// The encoder: layout, padding, ordering rules, limits and sticky errors.

#include <gtest/gtest.h>

#include <vector>

#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::stun {
namespace {

using test::bytes_of;

const TransactionId kId =
    TransactionId::from(std::array<std::uint8_t, 12>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

std::vector<std::uint8_t> to_vector(std::span<const std::uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

TEST(Builder, HeaderLayout) {
  Builder builder(Method::Allocate, MessageClass::Request, kId);
  EXPECT_EQ(to_vector(builder.finish().value()),
            (std::vector<std::uint8_t>{0x00, 0x03, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                       3,    4,    5,    6,    7,    8,    9,    10,   11, 12}));
  EXPECT_EQ(builder.transaction_id(), kId);
}

TEST(Builder, AttributeLayoutAndPadding) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add(Username{"abcde"});
  EXPECT_EQ(to_vector(builder.finish().value()).size(), 20U + 4U + 8U);
  EXPECT_EQ(to_vector(builder.finish().value().subspan(16)),
            (std::vector<std::uint8_t>{9, 10, 11, 12,                        // end of the id
                                       0x00, 0x06, 0x00, 0x05,               // USERNAME, 5
                                       'a', 'b', 'c', 'd', 'e', 0, 0, 0}));  // padded with 0
  EXPECT_EQ(builder.finish().value()[3], 12);  // length counts padding

  Builder spaced(Method::Binding, MessageClass::Request, kId);
  spaced.set_padding_byte(' ').add(Username{"abcde"});
  EXPECT_EQ(to_vector(spaced.finish().value().last(3)), (std::vector<std::uint8_t>{' ', ' ', ' '}));
}

TEST(Builder, RawWithExplicitPadding) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  const std::array<std::uint8_t, 2> padding{0xAA, 0xBB};
  builder.add_raw(AttributeType::Software, bytes_of("hi"), padding);
  EXPECT_EQ(to_vector(builder.finish().value().last(8)),
            (std::vector<std::uint8_t>{0x80, 0x22, 0x00, 0x02, 'h', 'i', 0xAA, 0xBB}));

  Builder wrong(Method::Binding, MessageClass::Request, kId);
  wrong.add_raw(AttributeType::Software, bytes_of("hi"), std::span(padding).first(1));
  EXPECT_EQ(wrong.finish().error(), Error::BadAttributeValue);
}

TEST(Builder, AppendAttributeForCustomEncoders) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  auto out = builder.append_attribute(static_cast<AttributeType>(0xC001), 3);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 3U);
  (*out)[0] = 7;
  const auto message = Message::parse(builder.finish().value());
  ASSERT_TRUE(message);
  EXPECT_EQ(message->find(static_cast<AttributeType>(0xC001))->value[0], 7);
}

TEST(Builder, NothingAfterFingerprint) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add_fingerprint().add(Software{"late"});
  EXPECT_EQ(builder.finish().error(), Error::AttributeOrder);
  EXPECT_EQ(builder.error(), Error::AttributeOrder);
}

TEST(Builder, OnlyTrailersAfterIntegrity) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add_message_integrity(short_term_key("k")).add(Priority{1});
  EXPECT_EQ(builder.finish().error(), Error::AttributeOrder);

  Builder ok(Method::Binding, MessageClass::Request, kId);
  ok.add_message_integrity(short_term_key("k"))
      .add_message_integrity_sha256(short_term_key("k"))
      .add_fingerprint();
  EXPECT_TRUE(ok.finish());

  Builder reversed(Method::Binding, MessageClass::Request, kId);
  reversed.add_message_integrity_sha256(short_term_key("k"))
      .add_message_integrity(short_term_key("k"));
  EXPECT_EQ(reversed.finish().error(), Error::AttributeOrder);
}

TEST(Builder, Sha256SizeMustBeValid) {
  for (std::size_t size : {0, 12, 18, 36}) {
    Builder builder(Method::Binding, MessageClass::Request, kId);
    builder.add_message_integrity_sha256(short_term_key("k"), size);
    EXPECT_EQ(builder.finish().error(), Error::BadAttributeValue) << size;
  }
}

TEST(Builder, ValueAndMessageLimits) {
  const std::vector<std::uint8_t> big(0x10000, 0);
  Builder too_big(Method::Send, MessageClass::Indication, kId);
  too_big.add(Data{big});
  EXPECT_EQ(too_big.finish().error(), Error::ValueTooLong);

  // The largest DATA that fits: the body is at most 0xFFFC bytes.
  Builder largest(Method::Send, MessageClass::Indication, kId);
  largest.add(Data{std::span(big).first(0xFFFC - 4)});
  ASSERT_TRUE(largest.finish());
  EXPECT_EQ(largest.finish()->size(), kMaxMessageSize);
  EXPECT_TRUE(Message::parse(*largest.finish()));
  largest.add(DontFragment{});
  EXPECT_EQ(largest.finish().error(), Error::ValueTooLong);
}

TEST(Builder, ErrorsAreSticky) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add(ErrorCode{999, "bad"}).add(Software{"fine"}).add_fingerprint();
  EXPECT_EQ(builder.finish().error(), Error::BadAttributeValue);
  EXPECT_EQ(builder.release().error(), Error::BadAttributeValue);
  EXPECT_FALSE(builder.append_attribute(AttributeType::Software, 1));
}

TEST(Builder, ResetReusesTheBuilder) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add(ErrorCode{999, ""});
  ASSERT_FALSE(builder.finish());
  const auto id = TransactionId::random();
  builder.reset({Method::Refresh, MessageClass::SuccessResponse}, id);
  builder.add(Lifetime{0});
  const auto message = Message::parse(builder.finish().value());
  ASSERT_TRUE(message);
  EXPECT_EQ(message->method(), Method::Refresh);
  EXPECT_EQ(message->transaction_id(), id);
  EXPECT_EQ(message->get<Lifetime>()->value, 0U);
}

TEST(Builder, ReleaseStartsOver) {
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add(Priority{5});
  const auto first = builder.release();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), 28U);
  EXPECT_EQ(builder.finish()->size(), kHeaderSize);
  builder.add(Priority{6});
  EXPECT_EQ(builder.finish()->size(), 28U);
}

TEST(Builder, LengthFieldIsCurrentBeforeEachTrailer) {
  // The FINGERPRINT's CRC is over a header whose length already counts it.
  Builder builder(Method::Binding, MessageClass::Request, kId);
  builder.add(Software{"abc"}).add_message_integrity(short_term_key("k")).add_fingerprint();
  const auto bytes = builder.finish().value();
  EXPECT_EQ(bytes.size(), 20U + 8U + 24U + 8U);
  EXPECT_EQ(detail::load_u16(bytes, 2), 40);
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_TRUE(verify_message_integrity(*message, short_term_key("k")));
  EXPECT_TRUE(verify_fingerprint(*message));
}

TEST(TransactionIds, RandomAndPrintable) {
  const auto a = TransactionId::random();
  const auto b = TransactionId::random();
  EXPECT_NE(a, b);
  EXPECT_EQ(kId.to_hex(), "0102030405060708090a0b0c");
  EXPECT_EQ(std::hash<TransactionId>{}(a), std::hash<TransactionId>{}(a));
}

}  // namespace
}  // namespace parley::stun
