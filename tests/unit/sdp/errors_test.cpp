// Malformed input is refused with the line number and what is wrong.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

// Parses `text`, expects a refusal on `line` whose message contains `what`.
void expect_error(std::string_view text, std::size_t line, std::string_view what) {
  auto parsed = parse(text);
  ASSERT_FALSE(parsed.has_value()) << "accepted:\n" << text;
  EXPECT_EQ(parsed.error().line, line) << parsed.error();
  EXPECT_NE(parsed.error().message.find(what), std::string::npos)
      << "message: " << parsed.error().message << "\nexpected to contain: " << what;
}

// minimal_offer() has 11 lines; extra media lines start at line 12.
constexpr std::size_t kNext = 12;

TEST(Errors, MessageNamesTheLine) {
  auto parsed = parse(minimal_offer("a=rtpmap:98 H264\r\n"));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().to_string().rfind("line 12: a=rtpmap: ", 0), 0u) << parsed.error();
  std::ostringstream out;
  out << parsed.error();
  EXPECT_EQ(out.str(), parsed.error().to_string());
  EXPECT_EQ((Error{0, "whole"}).to_string(), "whole");
}

TEST(Errors, MissingOrBadVersion) {
  expect_error("", 1, "missing v=");
  expect_error("\r\n\r\n", 2, "missing v=");
  expect_error("o=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 1, "missing v=");
  expect_error("v=1\r\no=- 1 1 IN IP4 127.0.0.1\r\n", 1, "unsupported version");
  expect_error("v=0\r\ns=-\r\nt=0 0\r\n", 2, "missing o=");
  expect_error("v=0\r\n", 1, "missing o=");
  expect_error("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nv=0\r\n", 3, "v= given twice");
  expect_error("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\no=- 1 1 IN IP4 127.0.0.1\r\n", 3, "o= given twice");
}

TEST(Errors, BadOriginAndSessionLines) {
  expect_error("v=0\r\no=- 1 1 IN IP4\r\n", 2, "expected 6 fields");
  expect_error("v=0\r\no=- x1 1 IN IP4 127.0.0.1\r\n", 2, "session id");
  expect_error("v=0\r\no=- 1 -1 IN IP4 127.0.0.1\r\n", 2, "session version");
  expect_error("v=0\r\no=- 1 99999999999999999999 IN IP4 127.0.0.1\r\n", 2, "session version");
  expect_error("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nt=0\r\n", 3, "t= line");
  expect_error("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nc=IN IP4\r\n", 3, "c= line");
  expect_error("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nb=AS\r\n", 3, "b= line");
  expect_error("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nb=AS:x\r\n", 3, "b= line");
  expect_error(minimal_offer("s=-\r\n"), kNext, "only allowed before the first m=");
}

TEST(Errors, NotALine) {
  expect_error(minimal_offer("garbage\r\n"), kNext, "expected \"<letter>=<value>\"");
  expect_error(minimal_offer("A=b\r\n"), kNext, "expected \"<letter>=<value>\"");
  expect_error(minimal_offer("a\r\n"), kNext, "expected \"<letter>=<value>\"");
  expect_error(minimal_offer("a=\r\n"), kNext, "attribute name");
  expect_error(minimal_offer("a=bad name:1\r\n"), kNext, "attribute name");
}

TEST(Errors, BadMediaLine) {
  std::string head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  expect_error(head + "m=video 9 UDP/TLS/RTP/SAVPF\r\n", 5, "m= line: expected");
  expect_error(head + "m=video\r\n", 5, "m= line: expected");
  expect_error(head + "m=video abc UDP/TLS/RTP/SAVPF 96\r\n", 5, "port \"abc\"");
  expect_error(head + "m=video 70000 UDP/TLS/RTP/SAVPF 96\r\n", 5, "port \"70000\"");
  expect_error(head + "m=video 9/0 UDP/TLS/RTP/SAVPF 96\r\n", 5, "port count");
  expect_error(head + "m=video 9 UDP/TLS/RTP/SAVPF 96 200\r\n", 5, "payload type \"200\"");
  expect_error(head + "m=video 9 UDP/TLS/RTP/SAVPF VP8\r\n", 5, "payload type \"VP8\"");
  expect_error(head + "m=video 9 UDP//SAVPF 96\r\n", 5, "protocol");
  expect_error(head + "m=vi\"deo 9 RTP/AVP 0\r\n", 5, "media");
}

TEST(Errors, BadRtpmapFmtpRtcpFb) {
  expect_error(minimal_offer("a=rtpmap:98 H264\r\n"), kNext, "a=rtpmap: expected");
  expect_error(minimal_offer("a=rtpmap:98 H264/abc\r\n"), kNext, "clock rate");
  expect_error(minimal_offer("a=rtpmap:98 H264/0\r\n"), kNext, "clock rate");
  expect_error(minimal_offer("a=rtpmap:128 H264/90000\r\n"), kNext, "payload type \"128\"");
  expect_error(minimal_offer("a=rtpmap:x H264/90000\r\n"), kNext, "payload type");
  expect_error(minimal_offer("a=rtpmap:98 opus/48000/0\r\n"), kNext, "channels");
  expect_error(minimal_offer("a=rtpmap:98 opus/48000/2/1\r\n"), kNext, "a=rtpmap: expected");
  expect_error(minimal_offer("a=rtpmap:96 VP9/90000\r\n"), kNext, "mapped twice");
  expect_error(minimal_offer("a=rtpmap\r\n"), kNext, "missing value");
  expect_error(minimal_offer("a=fmtp:96\r\n"), kNext, "missing parameters");
  expect_error(minimal_offer("a=fmtp:97 apt=96\r\n"), kNext, "given twice");
  expect_error(minimal_offer("a=rtcp-fb:96\r\n"), kNext, "missing feedback type");
  expect_error(minimal_offer("a=rtcp-fb:1000 nack\r\n"), kNext, "payload type");
}

TEST(Errors, BadCandidate) {
  expect_error(minimal_offer("a=candidate:1 1 udp x 192.0.2.1 5000 typ host\r\n"), kNext,
               "a=candidate: priority \"x\"");
  expect_error(minimal_offer("a=candidate:1 1 udp 1 192.0.2.1 5000\r\n"), kNext, "a=candidate: expected at least 8");
  expect_error(minimal_offer("a=candidate:1 1 udp 1 192.0.2.1 5000 type host\r\n"), kNext, "expected \"typ\"");
  expect_error(minimal_offer("a=candidate:1 1 udp 1 192.0.2.1 99999 typ host\r\n"), kNext, "port");
}

TEST(Errors, BadTransportAttributes) {
  expect_error(minimal_offer("a=ice-ufrag:ab\r\n"), kNext, "a=ice-ufrag:");
  expect_error(minimal_offer("a=ice-ufrag:abc$\r\n"), kNext, "ice-chars");
  expect_error(minimal_offer("a=ice-pwd:short\r\n"), kNext, "a=ice-pwd:");
  expect_error(minimal_offer("a=ice-ufrag:abcd\r\na=ice-ufrag:efgh\r\n"), kNext + 1, "given twice");
  expect_error(minimal_offer("a=fingerprint:sha-256 XYZ\r\n"), kNext, "hex pairs");
  expect_error(minimal_offer("a=fingerprint:sha-256\r\n"), kNext, "a=fingerprint:");
  expect_error(minimal_offer("a=setup:maybe\r\n"), kNext, "a=setup: \"maybe\"");
  expect_error(minimal_offer("a=rtcp-mux:yes\r\n"), kNext, "a=rtcp-mux: takes no value");
  expect_error(minimal_offer("a=sendonly\r\na=recvonly\r\n"), kNext + 1, "second direction");
  expect_error(minimal_offer("a=extmap:0 urn:x\r\n"), kNext, "a=extmap: id");
  expect_error(minimal_offer("a=extmap:256 urn:x\r\n"), kNext, "a=extmap: id");
  expect_error(minimal_offer("a=extmap:1/sideways urn:x\r\n"), kNext, "direction");
  expect_error(minimal_offer("a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n"), kNext + 1, "used twice");
  expect_error(minimal_offer("a=sctp-port:x\r\n"), kNext, "a=sctp-port:");
  expect_error(minimal_offer("a=max-message-size:-1\r\n"), kNext, "a=max-message-size:");
  expect_error(minimal_offer("a=ssrc:abc cname:x\r\n"), kNext, "a=ssrc: ssrc");
  expect_error(minimal_offer("a=ssrc:1\r\n"), kNext, "a=ssrc: expected");
  expect_error(minimal_offer("a=ssrc-group:FID 1 x\r\n"), kNext, "a=ssrc-group: ssrc");
  expect_error(minimal_offer("a=msid:a b c\r\n"), kNext, "a=msid:");
}

TEST(Errors, MidsGroupsAndSimulcast) {
  expect_error(minimal_offer("a=mid:1\r\n"), kNext, "a=mid: given twice");
  expect_error(minimal_offer("a=mid:\r\n"), kNext, "missing value");
  expect_error(minimal_offer("m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"), kNext + 1, "already the mid");
  std::string text = minimal_offer();
  text.replace(text.find("BUNDLE 0"), 8, "BUNDLE 0 1");
  expect_error(text, 5, "names mid \"1\"");
  expect_error(minimal_offer("a=rid:q send\r\na=simulcast:send q;h\r\n"), kNext + 1, "rid \"h\" has no");
  expect_error(minimal_offer("a=rid:q send\r\na=simulcast:recv q\r\n"), kNext + 1, "a=rid:q recv");
  // The check of a section that is not the last one reports its own line.
  expect_error(minimal_offer("a=simulcast:send x\r\nm=audio 9 RTP/AVP 0\r\n"), kNext, "rid \"x\"");
  expect_error(minimal_offer("a=rid:q send\r\na=rid:q send\r\n"), kNext + 1, "given twice");
  expect_error(minimal_offer("a=rid:q sideways\r\n"), kNext, "a=rid: direction");
  expect_error(minimal_offer("a=simulcast:send q;;h\r\n"), kNext, "a=simulcast: rid \"\"");
}

TEST(Errors, HugeInput) {
  std::string text = minimal_offer();
  while (text.size() <= kMaxSdpSize) text += "a=x-padding:0123456789abcdef0123456789abcdef\r\n";
  auto parsed = parse(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().line, 0u);
  EXPECT_NE(parsed.error().message.find("limit"), std::string::npos) << parsed.error();

  // Just under the limit is fine.
  std::string fits = minimal_offer();
  while (fits.size() + 46 <= kMaxSdpSize) fits += "a=x-padding:0123456789abcdef0123456789abcdef\r\n";
  EXPECT_TRUE(parse(fits).has_value());
}

TEST(Errors, TooManyMediaSections) {
  std::string text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  for (std::size_t i = 0; i < kMaxMediaSections; ++i) text += "m=audio 9 RTP/AVP 0\r\n";
  EXPECT_EQ(parse(text)->media.size(), kMaxMediaSections);
  text += "m=audio 9 RTP/AVP 0\r\n";
  expect_error(text, 4 + kMaxMediaSections + 1, "more than 64 media sections");
}

TEST(Errors, TooManyRids) {
  std::string rids;
  for (std::size_t i = 0; i < kMaxRids; ++i) rids += "a=rid:r" + std::to_string(i) + " send\r\n";
  EXPECT_EQ(parse_ok(minimal_offer(rids)).media[0].rids.size(), kMaxRids);
  expect_error(minimal_offer(rids + "a=rid:x send\r\n"), kNext + kMaxRids, "more than 64 rids");
}

TEST(Errors, GarbageBytes) {
  expect_error(std::string("\x01\x02\x03\xff\xfe", 5), 1, "control byte 0x01");
  expect_error(std::string("\xef\xbb\xbfv=0\r\n"), 1, "expected \"<letter>=<value>\"");  // BOM
  expect_error(minimal_offer(std::string("a=x-nul:a\0b\r\n", 13)), kNext, "control byte 0x00 at column 10");
  expect_error(minimal_offer("a=x:a\rb\r\n"), kNext, "stray carriage return");
  expect_error("v=0\ro=- 1 1 IN IP4 127.0.0.1\r", 1, "stray carriage return");
  expect_error(minimal_offer("a=x:\x7f\r\n"), kNext, "control byte 0x7F");
  // Bytes >= 0x80 are allowed where free text is (UTF-8 session names).
  SessionDescription sd = parse_ok("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=R\xc3\xa9union\r\nt=0 0\r\n");
  EXPECT_EQ(sd.session_name, "R\xc3\xa9union");
}

TEST(Errors, LenientWhereHarmless) {
  // LF only, blank lines, no final newline, missing s= and t=.
  SessionDescription sd = parse_ok("v=0\no=- 1 1 IN IP4 127.0.0.1\n\nm=audio 9 RTP/AVP 0\na=mid:a");
  EXPECT_EQ(sd.session_name, "-");
  ASSERT_EQ(sd.media.size(), 1u);
  EXPECT_EQ(sd.media[0].mid, "a");
  ASSERT_EQ(sd.media[0].codecs.size(), 1u);
  EXPECT_EQ(sd.media[0].codecs[0].name, "PCMU");
  // fmtp/rtpmap of a non-RTP section are just kept.
  sd = parse_ok("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nm=application 9 DTLS/SCTP 5000\r\na=sctpmap:5000 webrtc-datachannel 1024\r\na=fmtp:5000 x\r\n");
  EXPECT_EQ(sd.media[0].attributes.size(), 2u);
}

}  // namespace
}  // namespace parley::sdp::test
