// Header, message type, framing and the refusal of malformed input.

#include <gtest/gtest.h>

#include <algorithm>
#include <ranges>
#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::stun {
namespace {

using test::append_unchecked;
using test::bytes_of;
using test::kSampleIpv4Response;
using test::kSampleRequest;
using test::set_length_field;

std::vector<std::uint8_t> sample_request() {
  return {kSampleRequest.begin(), kSampleRequest.end()};
}

std::vector<std::uint8_t> empty_message(MessageType type = {}) {
  Builder builder(type, TransactionId::random());
  return builder.release().value();
}

// --- message type -----------------------------------------------------------

TEST(MessageType, EncodesTheValuesTheRfcsList) {
  // RFC 8489 §6 / §5 and RFC 8656 §17.
  EXPECT_EQ((MessageType{Method::Binding, MessageClass::Request}.encode()), 0x0001);
  EXPECT_EQ((MessageType{Method::Binding, MessageClass::Indication}.encode()), 0x0011);
  EXPECT_EQ((MessageType{Method::Binding, MessageClass::SuccessResponse}.encode()), 0x0101);
  EXPECT_EQ((MessageType{Method::Binding, MessageClass::ErrorResponse}.encode()), 0x0111);
  EXPECT_EQ((MessageType{Method::Allocate, MessageClass::Request}.encode()), 0x0003);
  EXPECT_EQ((MessageType{Method::Allocate, MessageClass::SuccessResponse}.encode()), 0x0103);
  EXPECT_EQ((MessageType{Method::Refresh, MessageClass::Request}.encode()), 0x0004);
  EXPECT_EQ((MessageType{Method::Send, MessageClass::Indication}.encode()), 0x0016);
  EXPECT_EQ((MessageType{Method::Data, MessageClass::Indication}.encode()), 0x0017);
  EXPECT_EQ((MessageType{Method::CreatePermission, MessageClass::Request}.encode()), 0x0008);
  EXPECT_EQ((MessageType{Method::ChannelBind, MessageClass::ErrorResponse}.encode()), 0x0119);
}

TEST(MessageType, RoundTripsEveryMethodAndClass) {
  for (std::uint16_t method = 0; method <= 0x0FFF; ++method) {
    for (std::uint8_t cls = 0; cls < 4; ++cls) {
      const MessageType type{static_cast<Method>(method), static_cast<MessageClass>(cls)};
      const std::uint16_t field = type.encode();
      ASSERT_EQ(field & 0xC000, 0) << method;
      ASSERT_EQ(MessageType::decode(field), type) << method << ' ' << int{cls};
    }
  }
}

TEST(MessageType, Names) {
  EXPECT_EQ(to_string(Method::CreatePermission), "CreatePermission");
  EXPECT_EQ(to_string(MessageClass::ErrorResponse), "error response");
  EXPECT_EQ(to_string(static_cast<Method>(0x0ABC)), "unknown");
}

// --- well-formed messages ------------------------------------------------------

TEST(Message, ParsesHeaderOnlyMessage) {
  const auto id = TransactionId::random();
  Builder builder(Method::Refresh, MessageClass::Request, id);
  const auto bytes = builder.finish();
  ASSERT_TRUE(bytes);
  ASSERT_EQ(bytes->size(), kHeaderSize);
  const auto message = Message::parse(*bytes);
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(message->method(), Method::Refresh);
  EXPECT_EQ(message->transaction_id(), id);
  EXPECT_EQ(std::ranges::distance(message->attributes()), 0);
  EXPECT_FALSE(message->find(AttributeType::Username));
  EXPECT_EQ(message->get<Username>().error(), Error::MissingAttribute);
}

TEST(Message, ViewsPointIntoTheInput) {
  const auto message = Message::parse(kSampleRequest);
  ASSERT_TRUE(message);
  const auto username = message->get<Username>();
  ASSERT_TRUE(username);
  const auto* begin = reinterpret_cast<const char*>(kSampleRequest.data());
  EXPECT_GE(username->value.data(), begin);
  EXPECT_LT(username->value.data(), begin + kSampleRequest.size());
  EXPECT_EQ(message->bytes().data(), kSampleRequest.data());
}

TEST(Message, AttributeOffsetsAndPadding) {
  const auto message = Message::parse(kSampleRequest);
  ASSERT_TRUE(message);
  const auto username = message->find(AttributeType::Username);
  ASSERT_TRUE(username);
  EXPECT_EQ(username->offset, 60U);
  EXPECT_EQ(username->value.size(), 9U);
  EXPECT_EQ(username->padding.size(), 3U);
  EXPECT_TRUE(std::ranges::all_of(username->padding, [](std::uint8_t b) { return b == 0x20; }));
}

TEST(Message, RepeatedAttributesAreAllVisible) {
  // RFC 8656 §9.1: CreatePermission may carry several XOR-PEER-ADDRESS.
  const auto id = TransactionId::random();
  Builder builder(Method::CreatePermission, MessageClass::Request, id);
  builder.add(XorPeerAddress{SocketAddress::v4({10, 0, 0, 1}, 0)})
      .add(XorPeerAddress{SocketAddress::v4({10, 0, 0, 2}, 0)});
  const auto bytes = builder.finish();
  ASSERT_TRUE(bytes);
  const auto message = Message::parse(*bytes);
  ASSERT_TRUE(message);

  std::vector<SocketAddress> peers;
  for (const RawAttribute& a :
       message->attributes() | std::views::filter([](const RawAttribute& a) {
         return a.type == AttributeType::XorPeerAddress;
       })) {
    peers.push_back(XorPeerAddress::decode(a.value, id)->address);
  }
  ASSERT_EQ(peers.size(), 2U);
  EXPECT_EQ(peers[1], SocketAddress::v4({10, 0, 0, 2}, 0));
  EXPECT_EQ(message->get<XorPeerAddress>()->address, peers[0]);  // first one wins
}

TEST(Message, ReportsUnknownComprehensionRequiredAttributes) {
  auto bytes = empty_message();
  const std::array<std::uint8_t, 4> value{1, 2, 3, 4};
  append_unchecked(bytes, 0x0007, value);  // unassigned, comprehension-required
  append_unchecked(bytes, 0x8007, value);  // unassigned, comprehension-optional
  append_unchecked(bytes, 0x0006, value);  // USERNAME, known
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message) << message.error();
  EXPECT_EQ(message->unknown_comprehension_required(),
            std::vector{static_cast<AttributeType>(0x0007)});

  // An ICE-only agent that does not know TURN attributes can say so.
  auto ice_knows = [](AttributeType t) { return t == AttributeType::Username; };
  EXPECT_EQ(message->unknown_comprehension_required(+ice_knows).size(), 1U);
}

// --- framing helpers -----------------------------------------------------------

TEST(Message, MessageSizeForStreams) {
  EXPECT_EQ(message_size(kSampleRequest).value(), kSampleRequest.size());
  EXPECT_EQ(message_size(std::span(kSampleRequest).first(4)).value(), kSampleRequest.size());
  EXPECT_EQ(message_size(std::span(kSampleRequest).first(3)).error(), Error::Truncated);
  const std::array<std::uint8_t, 4> channel_data{0x40, 0x00, 0x00, 0x04};
  EXPECT_EQ(message_size(channel_data).error(), Error::NotStun);
  const std::array<std::uint8_t, 4> odd_length{0x00, 0x01, 0x00, 0x05};
  EXPECT_EQ(message_size(odd_length).error(), Error::BadLength);
}

TEST(Message, LooksLikeStun) {
  EXPECT_TRUE(looks_like_stun(kSampleRequest));
  EXPECT_TRUE(looks_like_stun(kSampleIpv4Response));
  EXPECT_FALSE(looks_like_stun(std::span(kSampleRequest).first(100)));
  auto bad_cookie = sample_request();
  bad_cookie[4] ^= 1;
  EXPECT_FALSE(looks_like_stun(bad_cookie));
  const std::array<std::uint8_t, 24> rtp{0x80, 0x60};
  EXPECT_FALSE(looks_like_stun(rtp));
}

// --- malformed input -------------------------------------------------------------

TEST(MessageMalformed, EmptyAndShortHeader) {
  EXPECT_EQ(Message::parse({}).error(), Error::Truncated);
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(Message::parse(std::span(kSampleRequest).first(n)).error(), Error::Truncated) << n;
  }
}

TEST(MessageMalformed, EveryTruncationIsRefused) {
  for (std::size_t n = kHeaderSize; n < kSampleRequest.size(); ++n) {
    // A copy, so that AddressSanitizer would catch a read past `n`.
    const std::vector<std::uint8_t> prefix(kSampleRequest.begin(), kSampleRequest.begin() + n);
    EXPECT_EQ(Message::parse(prefix).error(), Error::Truncated) << n;
  }
}

TEST(MessageMalformed, TopBitsMustBeZero) {
  for (std::uint8_t bits : {0x40, 0x80, 0xC0}) {
    auto bytes = sample_request();
    bytes[0] |= bits;
    EXPECT_EQ(Message::parse(bytes).error(), Error::NotStun);
  }
}

TEST(MessageMalformed, BadMagicCookie) {
  for (std::size_t i = 4; i < 8; ++i) {
    auto bytes = sample_request();
    bytes[i] ^= 0x01;
    EXPECT_EQ(Message::parse(bytes).error(), Error::BadMagicCookie) << i;
  }
}

TEST(MessageMalformed, LengthNotMultipleOfFour) {
  auto bytes = sample_request();
  set_length_field(bytes, 0x0059);
  EXPECT_EQ(Message::parse(bytes).error(), Error::BadLength);
}

TEST(MessageMalformed, LyingLength) {
  // Every length but the true one is refused: longer claims as truncation,
  // shorter ones as trailing bytes.
  for (std::uint32_t length = 0; length <= 0xFFFF; length += 4) {
    auto bytes = sample_request();
    set_length_field(bytes, static_cast<std::uint16_t>(length));
    const auto message = Message::parse(bytes);
    if (length == kSampleRequest.size() - kHeaderSize) {
      EXPECT_TRUE(message);
    } else {
      ASSERT_FALSE(message) << length;
      EXPECT_EQ(message.error(), length > 88 ? Error::Truncated : Error::BadLength) << length;
    }
  }
}

TEST(MessageMalformed, AttributeOverrun) {
  auto bytes = empty_message();
  const std::array<std::uint8_t, 8> value{};
  append_unchecked(bytes, 0x8022, value);
  // Claim one byte more than the 8 that are there: with padding it needs 12.
  detail::store_u16(bytes, kHeaderSize + 2, 9);
  EXPECT_EQ(Message::parse(bytes).error(), Error::AttributeOverrun);
  // And a value far beyond the end.
  detail::store_u16(bytes, kHeaderSize + 2, 0xFFFF);
  EXPECT_EQ(Message::parse(bytes).error(), Error::AttributeOverrun);
}

TEST(MessageMalformed, OverrunOnlyThroughPadding) {
  // A 5-byte value needs 8 bytes with padding; the message has room for 4.
  auto bytes = empty_message();
  const std::array<std::uint8_t, 4> value{'a', 'b', 'c', 'd'};
  append_unchecked(bytes, 0x8022, value);
  detail::store_u16(bytes, kHeaderSize + 2, 5);
  EXPECT_EQ(Message::parse(bytes).error(), Error::AttributeOverrun);
}

TEST(MessageMalformed, LastAttributeOverrunsInTheVector) {
  auto bytes = sample_request();
  // FINGERPRINT's length 4 -> 8.
  detail::store_u16(bytes, 102, 8);
  EXPECT_EQ(Message::parse(bytes).error(), Error::AttributeOverrun);
}

TEST(MessageMalformed, TypedDecodersRejectBadValuesWithoutFailingTheParse) {
  auto bytes = empty_message();
  const std::array<std::uint8_t, 3> three{1, 2, 3};
  append_unchecked(bytes, 0x0024, three);  // PRIORITY must be 4 bytes
  const auto message = Message::parse(bytes);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->get<Priority>().error(), Error::BadAttributeValue);
}

}  // namespace
}  // namespace parley::stun
