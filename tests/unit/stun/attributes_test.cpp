// Every typed attribute: encode, parse, decode, and refuse malformed values.

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::stun {
namespace {

using test::bytes_of;

// Encodes attributes one per message and decodes them back. Keeps every
// encoded message alive, since decoded attributes point into them.
class RoundTrip {
 public:
  template <EncodableAttribute A>
  A run(const A& attribute) {
    return Message::parse(encode(attribute)).value().template get<A>().value();
  }

  // The attribute's encoded value bytes, as found in the message.
  template <EncodableAttribute A>
  std::vector<std::uint8_t> value_bytes(const A& attribute) {
    const auto raw = Message::parse(encode(attribute)).value().find(A::kType).value();
    return {raw.value.begin(), raw.value.end()};
  }

  template <EncodableAttribute A>
  std::span<const std::uint8_t> encode(const A& attribute) {
    Builder builder(Method::Allocate, MessageClass::Request, id_);
    builder.add(attribute);
    messages_.push_back(builder.release().value());
    return messages_.back();
  }

  const TransactionId& id() const { return id_; }

 private:
  TransactionId id_ = TransactionId::random();
  std::deque<std::vector<std::uint8_t>> messages_;
};

const SocketAddress kV4 = SocketAddress::v4({192, 0, 2, 1}, 32853);
const SocketAddress kV6 = *SocketAddress::from_string("2001:db8::1", 3478);

template <class T, class Tuple>
struct TupleHas;
template <class T, class... Ts>
struct TupleHas<T, std::tuple<Ts...>> : std::disjunction<std::is_same<T, Ts>...> {};

template <class Samples, class... As>
constexpr bool every_encodable_sampled(std::tuple<As...>*) {
  return ((!EncodableAttribute<As> || TupleHas<As, Samples>::value) && ...);
}

// One value of every encodable attribute.
const std::array<std::uint8_t, 32> kHash = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
const std::array<std::uint8_t, 5> kPayload = {0xde, 0xad, 0xbe, 0xef, 0x01};

auto samples() {
  return std::make_tuple(
      MappedAddress{kV4}, XorMappedAddress{kV6}, Username{"alice:bob"}, UserHash{kHash},
      ErrorCode{401, "Unauthenticated"}, Realm{"parley.example"}, Nonce{"nonce-123"},
      PasswordAlgorithms{{{PasswordAlgorithmId::Md5, {}}, {PasswordAlgorithmId::Sha256, {}}}},
      PasswordAlgorithm{PasswordAlgorithmId::Sha256, {}},
      UnknownAttributes{{static_cast<AttributeType>(0x0007)}}, Software{"parley 0.1"},
      AlternateServer{kV6}, AlternateDomain{"turn.parley.example"}, Priority{0x6e0001ff},
      UseCandidate{}, IceControlled{0x0102030405060708}, IceControlling{0xfffffffffffffffe},
      ChannelNumber{0x4001}, Lifetime{600}, XorPeerAddress{kV4}, Data{kPayload},
      XorRelayedAddress{kV6}, RequestedAddressFamily{AddressFamily::IPv6}, EvenPort{true},
      RequestedTransport{kProtocolUdp}, DontFragment{}, ReservationToken{0x1122334455667788},
      AdditionalAddressFamily{AddressFamily::IPv6},
      AddressErrorCode{AddressFamily::IPv6, 440, "Address Family not Supported"}, Icmp{3, 4, 1400});
}

static_assert(every_encodable_sampled<decltype(samples())>(static_cast<KnownAttributes*>(nullptr)),
              "every encodable attribute needs a sample");

TEST(Attributes, EverySampleRoundTripsByteForByte) {
  RoundTrip rt;
  std::apply(
      [&](const auto&... attribute) {
        (
            [&] {
              const auto first = rt.value_bytes(attribute);
              const auto decoded = rt.run(attribute);
              EXPECT_EQ(rt.value_bytes(decoded), first) << to_string(decoded.kType);
            }(),
            ...);
      },
      samples());
}

TEST(Attributes, EveryKnownTypeHasAName) {
  std::apply(
      [](const auto&... attribute) {
        ([&] { EXPECT_TRUE(is_known_attribute(std::decay_t<decltype(attribute)>::kType)); }(), ...);
      },
      KnownAttributes{});
  EXPECT_FALSE(is_known_attribute(static_cast<AttributeType>(0x0007)));
  EXPECT_EQ(to_string(AttributeType::XorMappedAddress), "XOR-MAPPED-ADDRESS");
}

// --- addresses -------------------------------------------------------------------

TEST(Attributes, PlainAndXorAddresses) {
  RoundTrip rt;
  EXPECT_EQ(rt.run(MappedAddress{kV4}).address, kV4);
  EXPECT_EQ(rt.run(MappedAddress{kV6}).address, kV6);
  EXPECT_EQ(rt.run(AlternateServer{kV4}).address, kV4);
  EXPECT_EQ(rt.run(XorMappedAddress{kV4}).address, kV4);
  EXPECT_EQ(rt.run(XorMappedAddress{kV6}).address, kV6);
  EXPECT_EQ(rt.run(XorPeerAddress{kV6}).address, kV6);
  EXPECT_EQ(rt.run(XorRelayedAddress{kV4}).address, kV4);

  // On the wire the XOR-ed port is port ^ 0x2112 (RFC 8489 §14.2).
  const auto plain = rt.value_bytes(MappedAddress{kV4});
  const auto xored = rt.value_bytes(XorMappedAddress{kV4});
  EXPECT_EQ(plain.size(), 8U);
  EXPECT_EQ(xored[2] ^ plain[2], 0x21);
  EXPECT_EQ(xored[3] ^ plain[3], 0x12);
}

TEST(Attributes, AddressValueSizeAndFamily) {
  const TransactionId id{};
  const std::array<std::uint8_t, 8> v4_with_family3{0, 3, 0, 1, 1, 2, 3, 4};
  EXPECT_EQ(MappedAddress::decode(v4_with_family3, id).error(), Error::UnsupportedAddressFamily);
  const std::array<std::uint8_t, 20> v4_too_long{0, 1};
  EXPECT_EQ(XorMappedAddress::decode(v4_too_long, id).error(), Error::BadAttributeValue);
  const std::array<std::uint8_t, 8> v6_too_short{0, 2};
  EXPECT_EQ(XorMappedAddress::decode(v6_too_short, id).error(), Error::BadAttributeValue);
  const std::array<std::uint8_t, 3> stub{0, 1, 0};
  EXPECT_EQ(MappedAddress::decode(stub, id).error(), Error::BadAttributeValue);

  SocketAddress odd = kV4;
  odd.family = static_cast<AddressFamily>(9);
  Builder builder(Method::Binding, MessageClass::SuccessResponse, id);
  builder.add(XorMappedAddress{odd});
  EXPECT_EQ(builder.finish().error(), Error::UnsupportedAddressFamily);
}

// --- text --------------------------------------------------------------------------

TEST(Attributes, TextAttributes) {
  RoundTrip rt;
  EXPECT_EQ(rt.run(Username{"user"}).value, "user");
  EXPECT_EQ(rt.run(Username{""}).value, "");
  EXPECT_EQ(rt.run(Realm{"example.org"}).value, "example.org");
  EXPECT_EQ(rt.run(Nonce{"abc"}).value, "abc");
  EXPECT_EQ(rt.run(Software{"x"}).value, "x");
  EXPECT_EQ(rt.run(AlternateDomain{"turn.example"}).value, "turn.example");
}

TEST(Attributes, TextLengthLimits) {
  const TransactionId id{};
  const std::string long_name(513, 'u');
  EXPECT_EQ(Username::decode(bytes_of(long_name), id).error(), Error::BadAttributeValue);
  EXPECT_TRUE(Username::decode(bytes_of(std::string_view(long_name).substr(0, 512)), id));
  EXPECT_EQ(Username{long_name}.value_size().error(), Error::ValueTooLong);

  const std::string long_realm(764, 'r');
  EXPECT_EQ(Realm::decode(bytes_of(long_realm), id).error(), Error::BadAttributeValue);
  EXPECT_EQ(Nonce{long_realm}.value_size().error(), Error::ValueTooLong);
}

TEST(Attributes, UserHashIsExactly32Bytes) {
  RoundTrip rt;
  EXPECT_TRUE(std::ranges::equal(rt.run(UserHash{kHash}).value, kHash));
  const TransactionId id{};
  EXPECT_EQ(UserHash::decode(std::span(kHash).first(31), id).error(), Error::BadAttributeValue);
  EXPECT_EQ(UserHash{std::span(kHash).first(16)}.value_size().error(), Error::BadAttributeValue);
}

// --- ERROR-CODE and ADDRESS-ERROR-CODE -----------------------------------------

TEST(Attributes, ErrorCode) {
  RoundTrip rt;
  for (std::uint16_t code : {300, 400, 401, 420, 438, 487, 500, 508, 699}) {
    const auto decoded = rt.run(ErrorCode{code, error_codes::reason_phrase(code)});
    EXPECT_EQ(decoded.code, code);
    EXPECT_EQ(decoded.reason, error_codes::reason_phrase(code));
  }
  // RFC 8489 §14.8: class in the low 3 bits of byte 2, number in byte 3.
  EXPECT_EQ(rt.value_bytes(ErrorCode{420, ""}), (std::vector<std::uint8_t>{0, 0, 4, 20}));
}

TEST(Attributes, ErrorCodeRejectsOutOfRange) {
  const TransactionId id{};
  const std::array<std::uint8_t, 4> class2{0, 0, 2, 0};
  const std::array<std::uint8_t, 4> class7{0, 0, 7, 0};
  const std::array<std::uint8_t, 4> number100{0, 0, 4, 100};
  const std::array<std::uint8_t, 3> short_value{0, 0, 4};
  EXPECT_EQ(ErrorCode::decode(class2, id).error(), Error::BadAttributeValue);
  EXPECT_EQ(ErrorCode::decode(class7, id).error(), Error::BadAttributeValue);
  EXPECT_EQ(ErrorCode::decode(number100, id).error(), Error::BadAttributeValue);
  EXPECT_EQ(ErrorCode::decode(short_value, id).error(), Error::BadAttributeValue);
  // Reserved bits above the class are ignored.
  const std::array<std::uint8_t, 4> reserved_set{0xff, 0xff, 0xfc, 38};
  EXPECT_EQ(ErrorCode::decode(reserved_set, id)->code, 438);

  EXPECT_EQ((ErrorCode{299, ""}.value_size().error()), Error::BadAttributeValue);
  EXPECT_EQ((ErrorCode{700, ""}.value_size().error()), Error::BadAttributeValue);
  EXPECT_EQ((ErrorCode{400, std::string(764, 'x')}.value_size().error()), Error::ValueTooLong);
}

TEST(Attributes, AddressErrorCode) {
  RoundTrip rt;
  const auto decoded = rt.run(AddressErrorCode{AddressFamily::IPv6, 440, "no v6"});
  EXPECT_EQ(decoded.family, AddressFamily::IPv6);
  EXPECT_EQ(decoded.code, 440);
  EXPECT_EQ(decoded.reason, "no v6");
  EXPECT_EQ(rt.value_bytes(AddressErrorCode{AddressFamily::IPv4, 508, ""}),
            (std::vector<std::uint8_t>{1, 0, 5, 8}));
  EXPECT_EQ((AddressErrorCode{AddressFamily::IPv4, 100, ""}.value_size().error()),
            Error::BadAttributeValue);
}

// --- lists -----------------------------------------------------------------------

TEST(Attributes, UnknownAttributes) {
  RoundTrip rt;
  const std::vector<AttributeType> types{static_cast<AttributeType>(0x0007),
                                         static_cast<AttributeType>(0x0123),
                                         static_cast<AttributeType>(0x7FFF)};
  EXPECT_EQ(rt.run(UnknownAttributes{types}).types, types);
  EXPECT_EQ(rt.value_bytes(UnknownAttributes{types}).size(), 6U);  // padded on the wire
  const TransactionId id{};
  const std::array<std::uint8_t, 3> odd{0, 7, 0};
  EXPECT_EQ(UnknownAttributes::decode(odd, id).error(), Error::BadAttributeValue);
}

TEST(Attributes, PasswordAlgorithms) {
  RoundTrip rt;
  const std::array<std::uint8_t, 3> params{9, 8, 7};
  const PasswordAlgorithms offer{{{PasswordAlgorithmId::Sha256, {}},
                                  {static_cast<PasswordAlgorithmId>(0x1234), params},
                                  {PasswordAlgorithmId::Md5, {}}}};
  const auto decoded = rt.run(offer);
  ASSERT_EQ(decoded.algorithms.size(), 3U);
  EXPECT_EQ(decoded.algorithms[0].algorithm, PasswordAlgorithmId::Sha256);
  EXPECT_TRUE(std::ranges::equal(decoded.algorithms[1].parameters, params));
  EXPECT_EQ(decoded.algorithms[2].algorithm, PasswordAlgorithmId::Md5);
  // Parameters are padded inside the value so the next entry stays aligned.
  EXPECT_EQ(rt.value_bytes(offer).size(), 4U + 8U + 4U);

  const TransactionId id{};
  const std::array<std::uint8_t, 6> overrun{0, 1, 0, 9, 0, 0};
  EXPECT_EQ(PasswordAlgorithms::decode(overrun, id).error(), Error::BadAttributeValue);
  const std::array<std::uint8_t, 2> stub{0, 1};
  EXPECT_EQ(PasswordAlgorithms::decode(stub, id).error(), Error::BadAttributeValue);
  EXPECT_TRUE(PasswordAlgorithms::decode({}, id)->algorithms.empty());
}

TEST(Attributes, PasswordAlgorithm) {
  RoundTrip rt;
  EXPECT_EQ(rt.run(PasswordAlgorithm{PasswordAlgorithmId::Md5, {}}).algorithm,
            PasswordAlgorithmId::Md5);
  const TransactionId id{};
  const std::array<std::uint8_t, 8> two_entries{0, 1, 0, 0, 0, 2, 0, 0};
  EXPECT_EQ(PasswordAlgorithm::decode(two_entries, id).error(), Error::BadAttributeValue);
}

// --- numbers and flags ---------------------------------------------------------------

TEST(Attributes, IceAttributes) {
  RoundTrip rt;
  EXPECT_EQ(rt.run(Priority{1853824767}).value, 1853824767U);
  EXPECT_EQ(rt.run(IceControlling{0x8000000000000001}).value, 0x8000000000000001ULL);
  EXPECT_EQ(rt.run(IceControlled{42}).value, 42U);
  rt.run(UseCandidate{});
  EXPECT_TRUE(rt.value_bytes(UseCandidate{}).empty());

  const TransactionId id{};
  const std::array<std::uint8_t, 4> four{};
  EXPECT_EQ(UseCandidate::decode(four, id).error(), Error::BadAttributeValue);
  EXPECT_EQ(IceControlled::decode(four, id).error(), Error::BadAttributeValue);
}

TEST(Attributes, TurnAttributes) {
  RoundTrip rt;
  EXPECT_EQ(rt.run(ChannelNumber{0x4FFF}).channel, 0x4FFF);
  EXPECT_EQ(rt.value_bytes(ChannelNumber{0x4001}), (std::vector<std::uint8_t>{0x40, 0x01, 0, 0}));
  EXPECT_EQ(rt.run(Lifetime{3600}).value, 3600U);
  EXPECT_TRUE(std::ranges::equal(rt.run(Data{kPayload}).value, kPayload));
  EXPECT_TRUE(rt.run(Data{}).value.empty());
  EXPECT_EQ(rt.run(RequestedAddressFamily{AddressFamily::IPv6}).family, AddressFamily::IPv6);
  EXPECT_EQ(rt.run(AdditionalAddressFamily{AddressFamily::IPv6}).family, AddressFamily::IPv6);
  EXPECT_TRUE(rt.run(EvenPort{true}).reserve_next);
  EXPECT_FALSE(rt.run(EvenPort{false}).reserve_next);
  EXPECT_EQ(rt.value_bytes(EvenPort{true}), std::vector<std::uint8_t>{0x80});
  EXPECT_EQ(rt.run(RequestedTransport{kProtocolUdp}).protocol, 17);
  EXPECT_EQ(rt.value_bytes(RequestedTransport{kProtocolUdp}),
            (std::vector<std::uint8_t>{17, 0, 0, 0}));
  rt.run(DontFragment{});
  EXPECT_EQ(rt.run(ReservationToken{0x0102030405060708}).value, 0x0102030405060708ULL);
}

TEST(Attributes, TurnAttributesDecodeLeniencyAndLimits) {
  const TransactionId id{};
  // A family the server does not support still decodes: the server answers 440.
  const std::array<std::uint8_t, 4> family9{9, 0, 0, 0};
  EXPECT_EQ(static_cast<int>(RequestedAddressFamily::decode(family9, id)->family), 9);
  // Channel numbers outside the valid range decode; the server answers 400.
  const std::array<std::uint8_t, 4> channel{0x30, 0x00, 0, 0};
  EXPECT_EQ(ChannelNumber::decode(channel, id)->channel, 0x3000);
  // RFFU bits are ignored.
  const std::array<std::uint8_t, 1> even_rffu{0x7f};
  EXPECT_FALSE(EvenPort::decode(even_rffu, id)->reserve_next);
  const std::array<std::uint8_t, 4> even_four{0x80, 0, 0, 0};
  EXPECT_EQ(EvenPort::decode(even_four, id).error(), Error::BadAttributeValue);
  const std::array<std::uint8_t, 2> short_transport{17, 0};
  EXPECT_EQ(RequestedTransport::decode(short_transport, id).error(), Error::BadAttributeValue);
  EXPECT_EQ(Lifetime::decode(short_transport, id).error(), Error::BadAttributeValue);
  EXPECT_EQ(ReservationToken::decode(short_transport, id).error(), Error::BadAttributeValue);
}

TEST(Attributes, Icmp) {
  RoundTrip rt;
  const auto decoded = rt.run(Icmp{.type = 3, .code = 4, .error_data = 1400});
  EXPECT_EQ(decoded.type, 3);
  EXPECT_EQ(decoded.code, 4);
  EXPECT_EQ(decoded.error_data, 1400U);
  // RFC 8656 Figure 11: 16 reserved bits, 7 bits of type, 9 bits of code.
  EXPECT_EQ(rt.value_bytes(Icmp{.type = 127, .code = 511, .error_data = 0}),
            (std::vector<std::uint8_t>{0, 0, 0xff, 0xff, 0, 0, 0, 0}));
  EXPECT_EQ((Icmp{.type = 128, .code = 0, .error_data = 0}.value_size().error()),
            Error::BadAttributeValue);
  EXPECT_EQ((Icmp{.type = 0, .code = 512, .error_data = 0}.value_size().error()),
            Error::BadAttributeValue);
}

// --- integrity trailers (decode only) ---------------------------------------------

TEST(Attributes, TrailerSizes) {
  const TransactionId id{};
  std::array<std::uint8_t, 36> bytes{};
  auto of = [&](std::size_t n) { return std::span<const std::uint8_t>(bytes).first(n); };
  EXPECT_TRUE(MessageIntegrity::decode(of(20), id));
  EXPECT_FALSE(MessageIntegrity::decode(of(16), id));
  for (std::size_t n = 0; n <= 36; ++n) {
    const bool valid = n >= 16 && n <= 32 && n % 4 == 0;
    EXPECT_EQ(MessageIntegritySha256::decode(of(n), id).has_value(), valid) << n;
  }
  EXPECT_TRUE(Fingerprint::decode(of(4), id));
  EXPECT_FALSE(Fingerprint::decode(of(8), id));
}

}  // namespace
}  // namespace parley::stun
