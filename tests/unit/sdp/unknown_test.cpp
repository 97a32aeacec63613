// Attributes and lines without a field are kept in order and written back.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

TEST(Unknown, AttributesKeptInOrder) {
  std::string text =
      "v=0\r\n"
      "o=- 1 1 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=x-first:1\r\n"
      "a=group:BUNDLE 0\r\n"
      "a=x-second\r\n"
      "a=x-first:2\r\n"
      "a=x-empty:\r\n"
      "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n"  // media-level only: kept at session level
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
      "a=x-media-b:b\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=x-media-a:a\r\n"
      "a=ptime:20\r\n"
      "a=ice-lite\r\n"  // session-level only: kept at media level
      "a=mid:0\r\n"
      "a=x-media-b:c\r\n";
  SessionDescription sd = parse_ok(text);
  EXPECT_EQ(sd.attributes, (std::vector<Attribute>{{"x-first", "1"},
                                                   {"x-second", std::nullopt},
                                                   {"x-first", "2"},
                                                   {"x-empty", ""},
                                                   {"candidate", "1 1 udp 1 192.0.2.1 9 typ host"}}));
  ASSERT_EQ(sd.media.size(), 1u);
  EXPECT_EQ(sd.media[0].attributes, (std::vector<Attribute>{{"x-media-b", "b"},
                                                            {"x-media-a", "a"},
                                                            {"ptime", "20"},
                                                            {"ice-lite", std::nullopt},
                                                            {"x-media-b", "c"}}));
  EXPECT_FALSE(sd.ice_lite);
  EXPECT_EQ(sd.find_attribute("x-first")->value, "1");
  EXPECT_EQ(sd.media[0].find_attribute("ptime")->value, "20");
  EXPECT_EQ(sd.media[0].find_attribute("nope"), nullptr);

  std::string written = serialize(sd);
  // Written back in the same relative order.
  auto pos = [&](std::string_view line) { return written.find(std::string(line) + "\r\n"); };
  ASSERT_NE(pos("a=x-first:1"), std::string::npos) << written;
  EXPECT_LT(pos("a=x-first:1"), pos("a=x-second"));
  EXPECT_LT(pos("a=x-second"), pos("a=x-first:2"));
  EXPECT_LT(pos("a=x-first:2"), pos("a=x-empty:"));
  EXPECT_LT(pos("a=x-empty:"), pos("m=audio 9 UDP/TLS/RTP/SAVPF 111"));
  EXPECT_LT(pos("m=audio 9 UDP/TLS/RTP/SAVPF 111"), pos("a=x-media-b:b"));
  EXPECT_LT(pos("a=x-media-b:b"), pos("a=x-media-a:a"));
  EXPECT_LT(pos("a=x-media-a:a"), pos("a=ptime:20"));
  EXPECT_LT(pos("a=ptime:20"), pos("a=ice-lite"));
  EXPECT_LT(pos("a=ice-lite"), pos("a=x-media-b:c"));
  EXPECT_EQ(parse_ok(written), sd);
}

TEST(Unknown, LinesKept) {
  std::string text =
      "v=0\r\n"
      "o=- 1 1 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "k=prompt\r\n"
      "e=ops@example.com\r\n"
      "t=0 0\r\n"
      "t=10 20\r\n"
      "z=2882844526 -1h\r\n"
      "x=future line\r\n"
      "m=audio 9 RTP/AVP 0\r\n"
      "y=media future\r\n"
      "i=mic\r\n";
  SessionDescription sd = parse_ok(text);
  // Stored in the order the writer puts them (RFC 8866 §5).
  EXPECT_EQ(sd.lines, (std::vector<Line>{{'e', "ops@example.com"},
                                         {'t', "10 20"},
                                         {'z', "2882844526 -1h"},
                                         {'k', "prompt"},
                                         {'x', "future line"}}));
  ASSERT_EQ(sd.media.size(), 1u);
  EXPECT_EQ(sd.media[0].lines, (std::vector<Line>{{'i', "mic"}, {'y', "media future"}}));
  std::string written = serialize(sd);
  EXPECT_NE(written.find("s=-\r\ne=ops@example.com\r\nt=0 0\r\nt=10 20\r\nz=2882844526 -1h\r\nk=prompt\r\nx=future line\r\n"),
            std::string::npos)
      << written;
  EXPECT_NE(written.find("m=audio 9 RTP/AVP 0\r\ni=mic\r\ny=media future\r\n"), std::string::npos) << written;
  EXPECT_EQ(parse_ok(written), sd);
}

}  // namespace
}  // namespace parley::sdp::test
