// ChannelData framing (RFC 8656 §12).

#include "stun/channel_data.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/message.hpp"
#include "test_util.hpp"

namespace parley::stun {
namespace {

using test::bytes_of;

std::vector<std::uint8_t> encode(std::uint16_t channel, std::span<const std::uint8_t> data,
                                 Framing framing) {
  std::vector<std::uint8_t> out(channel_data_encoded_size(data.size(), framing));
  const auto written = encode_channel_data(out, channel, data, framing);
  EXPECT_TRUE(written);
  EXPECT_EQ(written.value_or(0), out.size());
  return out;
}

TEST(ChannelData, ChannelNumberRange) {
  EXPECT_FALSE(is_valid_channel_number(0x3FFF));
  EXPECT_TRUE(is_valid_channel_number(0x4000));
  EXPECT_TRUE(is_valid_channel_number(0x4FFF));
  EXPECT_FALSE(is_valid_channel_number(0x5000));
  EXPECT_FALSE(is_valid_channel_number(0xFFFF));
}

TEST(ChannelData, DatagramEncodingHasNoPadding) {
  const auto bytes = encode(0x4001, bytes_of("hello"), Framing::Datagram);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}));
}

TEST(ChannelData, StreamEncodingPadsToFour) {
  const auto bytes = encode(0x4FFF, bytes_of("hello"), Framing::Stream);
  EXPECT_EQ(bytes,
            (std::vector<std::uint8_t>{0x4F, 0xFF, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0}));
  EXPECT_EQ(encode(0x4000, bytes_of("four"), Framing::Stream).size(), 8U);
  EXPECT_EQ(encode(0x4000, {}, Framing::Stream).size(), 4U);
}

TEST(ChannelData, ParsesBothFramings) {
  for (Framing framing : {Framing::Datagram, Framing::Stream}) {
    const auto bytes = encode(0x4123, bytes_of("payload"), framing);
    const auto parsed = parse_channel_data(bytes, framing);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->channel, 0x4123);
    EXPECT_TRUE(std::ranges::equal(parsed->data, bytes_of("payload")));
    EXPECT_EQ(parsed->data.data(), bytes.data() + 4);  // zero-copy
  }
}

TEST(ChannelData, DatagramPaddingIsOptional) {
  const auto padded = encode(0x4001, bytes_of("abc"), Framing::Stream);
  const auto parsed = parse_channel_data(padded, Framing::Datagram);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->data.size(), 3U);
}

TEST(ChannelData, StreamRequiresPadding) {
  const auto unpadded = encode(0x4001, bytes_of("abc"), Framing::Datagram);
  EXPECT_EQ(parse_channel_data(unpadded, Framing::Stream).error(), Error::Truncated);
}

TEST(ChannelData, EmptyData) {
  const std::array<std::uint8_t, 4> bytes{0x40, 0x00, 0x00, 0x00};
  const auto parsed = parse_channel_data(bytes, Framing::Stream);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->data.empty());
}

TEST(ChannelData, Malformed) {
  const std::array<std::uint8_t, 3> short_header{0x40, 0x00, 0x00};
  EXPECT_EQ(parse_channel_data(short_header, Framing::Datagram).error(), Error::Truncated);
  EXPECT_EQ(parse_channel_data({}, Framing::Datagram).error(), Error::Truncated);

  const std::array<std::uint8_t, 6> lying{0x40, 0x00, 0x00, 0x08, 1, 2};
  EXPECT_EQ(parse_channel_data(lying, Framing::Datagram).error(), Error::Truncated);

  const std::array<std::uint8_t, 4> stun_start{0x00, 0x01, 0x00, 0x00};
  EXPECT_EQ(parse_channel_data(stun_start, Framing::Datagram).error(), Error::NotChannelData);
  const std::array<std::uint8_t, 4> rtp_start{0x80, 0x60, 0x00, 0x00};
  EXPECT_EQ(parse_channel_data(rtp_start, Framing::Datagram).error(), Error::NotChannelData);

  for (std::uint16_t channel : {0x5000, 0x6ABC, 0x7FFF}) {
    std::array<std::uint8_t, 4> reserved{static_cast<std::uint8_t>(channel >> 8),
                                         static_cast<std::uint8_t>(channel), 0, 0};
    EXPECT_EQ(parse_channel_data(reserved, Framing::Datagram).error(), Error::BadChannelNumber);
  }
}

TEST(ChannelData, EncodeRefusals) {
  std::array<std::uint8_t, 16> out{};
  EXPECT_EQ(encode_channel_data(out, 0x5000, {}, Framing::Datagram).error(),
            Error::BadChannelNumber);
  EXPECT_EQ(encode_channel_data(out, 0x3FFF, {}, Framing::Datagram).error(),
            Error::BadChannelNumber);
  EXPECT_EQ(
      encode_channel_data(std::span(out).first(8), 0x4000, bytes_of("hello"), Framing::Datagram)
          .error(),
      Error::BufferTooSmall);
  EXPECT_EQ(
      encode_channel_data(std::span(out).first(11), 0x4000, bytes_of("hello"), Framing::Stream)
          .error(),
      Error::BufferTooSmall);
  const std::vector<std::uint8_t> big(0x10000);
  std::vector<std::uint8_t> big_out(0x10010);
  EXPECT_EQ(encode_channel_data(big_out, 0x4000, big, Framing::Datagram).error(),
            Error::ValueTooLong);
}

TEST(ChannelData, WalksAStreamOfMessages) {
  std::vector<std::uint8_t> stream;
  for (std::string_view payload : {"a", "bcdef", "", "ghij"}) {
    const auto frame = encode(0x4002, bytes_of(payload), Framing::Stream);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  std::vector<std::size_t> sizes;
  std::span<const std::uint8_t> rest(stream);
  while (!rest.empty()) {
    const auto size = channel_data_size(rest, Framing::Stream);
    ASSERT_TRUE(size);
    ASSERT_TRUE(parse_channel_data(rest, Framing::Stream));
    sizes.push_back(parse_channel_data(rest, Framing::Stream)->data.size());
    rest = rest.subspan(*size);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 5, 0, 4}));
}

TEST(ChannelData, DemultiplexesAgainstStun) {
  const auto channel = encode(0x4001, bytes_of("x"), Framing::Datagram);
  EXPECT_TRUE(looks_like_channel_data(channel));
  EXPECT_FALSE(looks_like_stun(channel));
  EXPECT_FALSE(looks_like_channel_data(test::kSampleRequest));
  EXPECT_TRUE(looks_like_stun(test::kSampleRequest));
  EXPECT_EQ(channel_data_size(std::span(channel).first(3), Framing::Datagram).error(),
            Error::Truncated);
}

}  // namespace
}  // namespace parley::stun
