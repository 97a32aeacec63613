#include "ice/tcp_framing.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace parley::ice {
namespace {

std::vector<std::uint8_t> payload(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> p(size);
  std::iota(p.begin(), p.end(), seed);
  return p;
}

std::vector<std::uint8_t> as_vector(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }

TEST(TcpFramingTest, EncodePrefixesTheBigEndianLength) {
  const auto frame = encode_frame(payload(300, 0));
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->size(), 302u);
  EXPECT_EQ((*frame)[0], 0x01);
  EXPECT_EQ((*frame)[1], 0x2C);
  EXPECT_EQ((*frame)[2], 0x00);
  EXPECT_FALSE(encode_frame(std::vector<std::uint8_t>(65536)));
  EXPECT_TRUE(encode_frame(std::vector<std::uint8_t>(65535)));
  EXPECT_EQ(*frame_header(0x1234), (std::array<std::uint8_t, 2>{0x12, 0x34}));
}

TEST(TcpFramingTest, FrameDeliveredByteByByte) {
  const auto data = payload(100, 7);
  const auto frame = *encode_frame(data);
  TcpFrameDecoder decoder;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    ASSERT_TRUE(decoder.feed(std::span(frame).subspan(i, 1)));
    const auto out = decoder.next();
    if (i + 1 < frame.size()) {
      EXPECT_FALSE(out) << i;
    } else {
      ASSERT_TRUE(out);
      EXPECT_EQ(as_vector(*out), data);
    }
  }
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(TcpFramingTest, SeveralFramesInOneReadAndOneSplitAcrossReads) {
  std::vector<std::uint8_t> stream;
  const auto a = payload(20, 1), b = payload(1200, 2), c = payload(3, 3);
  for (const auto* p : {&a, &b, &c}) {
    const auto f = *encode_frame(*p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  TcpFrameDecoder decoder;
  // First read: frame a, frame b, and one byte of c's header.
  const std::size_t cut = 2 + a.size() + 2 + b.size() + 1;
  ASSERT_TRUE(decoder.feed(std::span(stream).first(cut)));
  auto out = decoder.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(as_vector(*out), a);
  out = decoder.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(as_vector(*out), b);
  EXPECT_FALSE(decoder.next());
  EXPECT_EQ(decoder.buffered(), 1u);
  ASSERT_TRUE(decoder.feed(std::span(stream).subspan(cut)));
  out = decoder.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(as_vector(*out), c);
  EXPECT_FALSE(decoder.next());
}

TEST(TcpFramingTest, ZeroLengthFramesAreSkipped) {
  TcpFrameDecoder decoder;
  const std::vector<std::uint8_t> stream = {0x00, 0x00, 0x00, 0x01, 0xAB, 0x00, 0x00};
  ASSERT_TRUE(decoder.feed(stream));
  const auto out = decoder.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(as_vector(*out), std::vector<std::uint8_t>{0xAB});
  EXPECT_FALSE(decoder.next());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(TcpFramingTest, OversizedFrameRejectedAtItsHeaderAndErrorIsSticky) {
  TcpFrameDecoder decoder(1500);
  EXPECT_EQ(decoder.max_frame_size(), 1500u);
  ASSERT_TRUE(decoder.feed(*encode_frame(payload(1500, 0))));  // exactly the limit: fine
  ASSERT_TRUE(decoder.next());
  const std::vector<std::uint8_t> header = {0x05, 0xDD};  // 1501
  const auto fed = decoder.feed(header);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error(), FramingError::FrameTooLarge);
  EXPECT_EQ(decoder.error(), FramingError::FrameTooLarge);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_FALSE(decoder.next());
  EXPECT_FALSE(decoder.feed(*encode_frame(payload(10, 0))));
}

TEST(TcpFramingTest, OversizedFrameBehindAGoodOneIsRejectedWhenReached) {
  TcpFrameDecoder decoder(100);
  auto stream = *encode_frame(payload(10, 0));
  stream.push_back(0xFF);
  stream.push_back(0xFF);
  ASSERT_TRUE(decoder.feed(stream));  // the first header is fine
  ASSERT_TRUE(decoder.next());
  EXPECT_FALSE(decoder.next());
  EXPECT_EQ(decoder.error(), FramingError::FrameTooLarge);
}

TEST(TcpFramingTest, LimitIsCappedAtTheSixteenBitField) {
  TcpFrameDecoder decoder(1 << 20);
  EXPECT_EQ(decoder.max_frame_size(), 65535u);
  ASSERT_TRUE(decoder.feed(*encode_frame(payload(65535, 0))));
  const auto out = decoder.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->size(), 65535u);
}

}  // namespace
}  // namespace parley::ice
