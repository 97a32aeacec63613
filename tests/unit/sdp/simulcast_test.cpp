// a=rid (RFC 8851) and a=simulcast (RFC 8853) on their own.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace parley::sdp::test {
namespace {

TEST(Rid, Plain) {
  auto rid = parse_rid("q send");
  ASSERT_TRUE(rid.has_value()) << rid.error();
  EXPECT_EQ(*rid, (Rid{"q", RidDirection::Send, {}, {}}));
  EXPECT_EQ(to_string(*rid), "q send");
}

TEST(Rid, WithRestrictions) {
  auto rid = parse_rid("hi-res_1 recv pt=96,98;max-width=1280;max-height=720;max-fps=30;depend=lo");
  ASSERT_TRUE(rid.has_value()) << rid.error();
  EXPECT_EQ(rid->id, "hi-res_1");
  EXPECT_EQ(rid->direction, RidDirection::Recv);
  EXPECT_EQ(rid->payload_types, (std::vector<std::uint8_t>{96, 98}));
  EXPECT_EQ(rid->params, (std::vector<Parameter>{
                             {"max-width", "1280"}, {"max-height", "720"}, {"max-fps", "30"}, {"depend", "lo"}}));
  EXPECT_EQ(find_parameter(rid->params, "MAX-WIDTH"), "1280");
  EXPECT_EQ(to_string(*rid), "hi-res_1 recv pt=96,98;max-width=1280;max-height=720;max-fps=30;depend=lo");
}

TEST(Rid, Malformed) {
  for (const char* text : {"", "q", "q both", "q$ send", "q send pt=", "q send pt=96,x", "q send pt=300",
                           "q send pt=1;pt=2", "q send max width=1", "q send a=b c=d", "q send bad!name=1"}) {
    auto rid = parse_rid(text);
    EXPECT_FALSE(rid.has_value()) << text;
  }
  EXPECT_EQ(reversed(RidDirection::Send), RidDirection::Recv);
}

TEST(Simulcast, SendList) {
  auto s = parse_simulcast("send q;h;f");
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->send, (std::vector<SimulcastAlternatives>{{{"q", false}}, {{"h", false}}, {{"f", false}}}));
  EXPECT_TRUE(s->recv.empty());
  EXPECT_EQ(to_string(*s), "send q;h;f");
  Simulcast r = reversed(*s);
  EXPECT_EQ(to_string(r), "recv q;h;f");
}

TEST(Simulcast, AlternativesPausedAndBothDirections) {
  auto s = parse_simulcast("recv 1,~4;2;~3 send a");
  ASSERT_TRUE(s.has_value()) << s.error();
  ASSERT_EQ(s->recv.size(), 3u);
  EXPECT_EQ(s->recv[0], (SimulcastAlternatives{{"1", false}, {"4", true}}));
  EXPECT_EQ(s->recv[2], (SimulcastAlternatives{{"3", true}}));
  EXPECT_EQ(s->send, (std::vector<SimulcastAlternatives>{{{"a", false}}}));
  // Written send first.
  EXPECT_EQ(to_string(*s), "send a recv 1,~4;2;~3");
  auto again = parse_simulcast(to_string(*s));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *s);
}

TEST(Simulcast, Malformed) {
  for (const char* text : {"", "send", "send q recv", "both q", "send q send h", "send q;", "send ;q", "send q,,h",
                           "send ~", "send q$", "send q recv h send f", "send rid=q"}) {
    auto s = parse_simulcast(text);
    EXPECT_FALSE(s.has_value()) << text;
    if (!s) {
      EXPECT_EQ(s.error().line, 0u);
    }
  }
}

}  // namespace
}  // namespace parley::sdp::test
