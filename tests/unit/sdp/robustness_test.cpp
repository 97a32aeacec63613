// Hostile input: random mutations of the real offers never crash the parser
// (run under ASan/UBSan), and whatever it accepts survives a round trip.
#include <gtest/gtest.h>

#include <random>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

std::string mutate(std::string text, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  static const std::string kInteresting[] = {" ", ":", "/", ";", ",", "~", "=", "\r\n", "\n", "\r", std::string(1, '\0'),
                                             "a=", "m=", "0", "-1", "65536", "4294967296", "99999999999999999999999",
                                             "\xff", "*", "a=simulcast:send ", "a=rid:", "a=mid:0\r\n",
                                             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"};
  int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits; ++e) {
    switch (pick(6)) {
      case 0:  // flip a byte
        if (!text.empty()) text[pick(text.size())] = static_cast<char>(pick(256));
        break;
      case 1:  // delete a range
        if (!text.empty()) {
          std::size_t at = pick(text.size());
          text.erase(at, pick(40));
        }
        break;
      case 2:  // insert something interesting
        text.insert(pick(text.size() + 1), kInteresting[pick(std::size(kInteresting))]);
        break;
      case 3:  // truncate
        text.resize(pick(text.size() + 1));
        break;
      case 4: {  // duplicate a line somewhere else
        auto lines = lines_of(text);
        if (lines.empty()) break;
        std::string line = lines[pick(lines.size())] + "\r\n";
        std::size_t at = text.find('\n', pick(text.size() + 1));
        text.insert(at == std::string::npos ? text.size() : at + 1, line);
        break;
      }
      default: {  // replace a field inside a line with a number or nothing
        std::size_t at = text.find(' ', pick(text.size() + 1));
        if (at != std::string::npos) text.insert(at + 1, pick(2) ? "4096" : "");
        break;
      }
    }
  }
  return text;
}

TEST(Robustness, MutatedFixturesNeverCrashAndRoundTrip) {
  std::mt19937 rng(20240521);
  int accepted = 0;
  int refused = 0;
  for (const char* name : kFixtures) {
    const std::string original = load_fixture(name);
    for (int i = 0; i < 2000; ++i) {
      std::string text = mutate(original, rng);
      auto parsed = parse(text);
      if (!parsed) {
        ++refused;
        const Error& error = parsed.error();
        EXPECT_FALSE(error.message.empty());
        // The line number points into the text (0 only for whole-text errors).
        EXPECT_LE(error.line, lines_of(text).size() + 1) << error;
        continue;
      }
      ++accepted;
      std::string written = serialize(*parsed);
      auto again = parse(written);
      ASSERT_TRUE(again.has_value()) << again.error() << "\n--- input\n" << text << "\n--- written\n" << written;
      ASSERT_EQ(*again, *parsed) << "--- input\n" << text << "\n--- written\n" << written;
    }
  }
  // Both outcomes are exercised.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
}

TEST(Robustness, RandomBytes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string text(std::uniform_int_distribution<std::size_t>(0, 300)(rng), '\0');
    for (char& c : text) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    if (i % 2 == 0) text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" + text;
    auto parsed = parse(text);
    if (parsed) {
      auto again = parse(serialize(*parsed));
      ASSERT_TRUE(again.has_value());
      EXPECT_EQ(*again, *parsed);
    }
  }
}

TEST(Robustness, RandomCandidatesAndSimulcast) {
  std::mt19937 rng(11);
  const std::string alphabet = "0123456789 abcdefghijklmnopqrstuvwxyz.:;,~=-_/+*";
  for (int i = 0; i < 5000; ++i) {
    std::string text(std::uniform_int_distribution<std::size_t>(0, 80)(rng), ' ');
    for (char& c : text) c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    if (auto c = parse_candidate("candidate:1 1 udp 1 1.2.3.4 5 typ host " + text)) {
      auto again = parse_candidate(to_string(*c));
      ASSERT_TRUE(again.has_value());
      EXPECT_EQ(*again, *c);
    }
    if (auto s = parse_simulcast(text)) {
      auto again = parse_simulcast(to_string(*s));
      ASSERT_TRUE(again.has_value()) << text;
      EXPECT_EQ(*again, *s);
    }
    if (auto r = parse_rid(text)) {
      auto again = parse_rid(to_string(*r));
      ASSERT_TRUE(again.has_value()) << text;
      EXPECT_EQ(*again, *r);
    }
  }
}

}  // namespace
}  // namespace parley::sdp::test
