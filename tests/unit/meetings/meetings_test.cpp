// The meeting rules that need no server: ids, settings, join tokens and
// their grants, roles and host succession, breakout plans, and the
// wrong-password limiter.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <regex>
#include <set>

#include "api/attempt_limiter.hpp"
#include "api/auth.hpp"
#include "meetings/breakout_plan.hpp"
#include "meetings/join_token.hpp"
#include "meetings/live_meeting.hpp"
#include "meetings/meeting_id.hpp"
#include "meetings/meeting_settings.hpp"

namespace parley::meetings {
namespace {

namespace json = boost::json;
const std::string kSecret(40, 's');

TEST(MeetingId, LooksLikeMeetAndIsRecognised) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto id = new_meeting_id();
    EXPECT_TRUE(std::regex_match(id, std::regex("[a-z]{3}-[a-z]{4}-[a-z]{3}"))) << id;
    EXPECT_TRUE(is_meeting_id(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
  for (const char* bad : {"", "abc-defg-hi", "abc-defg-hijk", "ABC-defg-hij", "abc_defg_hij", "abc-de1g-hij", "../../etc"})
    EXPECT_FALSE(is_meeting_id(bad)) << bad;
  EXPECT_TRUE(std::regex_match(new_host_key(), std::regex("[0-9]{6}")));
}

TEST(MeetingId, MediaRoomsAreReservedNames) {
  EXPECT_EQ(media_room("abc-defg-hij"), "meeting:abc-defg-hij");
  EXPECT_EQ(media_room("abc-defg-hij", "b2"), "meeting:abc-defg-hij:b2");
  EXPECT_TRUE(is_meeting_room(media_room("abc-defg-hij", "b2")));
  EXPECT_FALSE(is_meeting_room("standup"));
}

TEST(MeetingSettings, PatchChangesOnlyWhatItNamesAndRefusesUnknownFields) {
  auto s = apply_settings(json::parse(R"({"waiting_room":true,"max_participants":10})").as_object(), {});
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->waiting_room);
  EXPECT_EQ(s->max_participants, 10);
  EXPECT_TRUE(s->video);
  auto again = apply_settings(json::parse(R"({"recording":"cloud"})").as_object(), *s);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->waiting_room);
  EXPECT_EQ(again->recording, "cloud");
  for (const char* bad : {R"({"waitingroom":true})", R"({"video":1})", R"({"max_participants":1})",
                          R"({"max_participants":201})", R"({"recording":"local"})"}) {
    auto r = apply_settings(json::parse(bad).as_object(), {});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "invalid_field");
  }
  // Stored text round-trips; unreadable text gives the defaults.
  EXPECT_TRUE(settings_from_text(json::serialize(to_json(*again))).waiting_room);
  EXPECT_FALSE(settings_from_text("{not json").waiting_room);
}

TEST(MeetingSettings, RequestsFillDefaultsAndValidateEachField) {
  store::MeetingRecord m;
  ASSERT_TRUE(apply_meeting_request(json::object{}, m, 1000));
  EXPECT_EQ(m.start_time, 1000);
  EXPECT_EQ(m.duration_minutes, 60);
  EXPECT_FALSE(m.settings_json.empty());
  ASSERT_TRUE(apply_meeting_request(json::parse(R"({"password":"x","topic":"T"})").as_object(), m, 2000));
  EXPECT_EQ(m.start_time, 1000) << "a PATCH keeps the start";
  EXPECT_EQ(m.password, "x");
  ASSERT_TRUE(apply_meeting_request(json::parse(R"({"password":null})").as_object(), m, 2000));
  EXPECT_TRUE(m.password.empty());
  for (const char* bad : {R"({"topic":"a\nb"})", R"({"duration":1441})", R"({"start_time":"soon"})",
                          R"({"settings":{"webinar":"yes"}})", R"({"extra":1})"})
    EXPECT_FALSE(apply_meeting_request(json::parse(bad).as_object(), m, 2000)) << bad;
}

TEST(JoinTokens, CarryTheGrantsAndCannotBeForgedOrMistakenForSessions) {
  JoinTokens tokens(kSecret, std::chrono::hours(1));
  JoinClaims c;
  c.meeting_id = "abc-defg-hij";
  c.identity = "g:123";
  c.display_name = "Guest";
  c.grants.can_publish = false;
  c.grants.sources = {false, false, false};
  c.grants.can_chat = false;
  const auto token = tokens.issue(c);
  auto back = tokens.verify(token);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->meeting_id, "abc-defg-hij");
  EXPECT_EQ(back->identity, "g:123");
  EXPECT_FALSE(back->grants.can_publish);
  EXPECT_FALSE(back->grants.can_chat);
  EXPECT_TRUE(back->grants.can_subscribe);
  EXPECT_FALSE(back->grants.sources.screen);
  EXPECT_GT(back->expires_at, 0);

  // Another secret, a changed byte, an expired token: refused.
  EXPECT_FALSE(JoinTokens(std::string(40, 'o'), std::chrono::hours(1)).verify(token));
  std::string tampered = token;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(tokens.verify(tampered));
  JoinTokens expired(kSecret, std::chrono::seconds(-10));
  EXPECT_FALSE(tokens.verify(expired.issue(c)));
  // Session tokens and join tokens are not interchangeable.
  api::TokenService sessions(kSecret, std::chrono::hours(1));
  EXPECT_FALSE(sessions.verify(token));
  const auto session = sessions.issue({"u_1", "alice", "Alice"});
  auto as_join = tokens.verify(session);
  ASSERT_FALSE(as_join);
  EXPECT_EQ(as_join.error().code, "invalid_token");
}

TEST(Grants, RefuseMalformedGrantObjects) {
  EXPECT_FALSE(grants_from_json(json::parse("[]")));
  EXPECT_FALSE(grants_from_json(json::parse(R"({"can_publish":true})")));
  auto g = grants_from_json(to_json(Grants{}));
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->sources.microphone && g->sources.camera && g->sources.screen);
  auto bad = to_json(Grants{});
  bad["can_publish_sources"] = json::array{"microphone", "hologram"};
  EXPECT_FALSE(grants_from_json(bad));
}

Member member(std::uint64_t order, Role role) {
  Member m;
  m.seat = std::make_shared<Seat>();
  m.seat->participant_id = "p" + std::to_string(order);
  m.order = order;
  m.role = role;
  return m;
}

TEST(LiveMeeting, TheHostIsSucceededByACohostElseTheLongestPresent) {
  LiveMeeting m;
  m.members.emplace("p1", member(1, Role::Host));
  m.members.emplace("p2", member(2, Role::Participant));
  m.members.emplace("p3", member(3, Role::Cohost));
  m.members.emplace("p4", member(4, Role::Cohost));
  ASSERT_NE(m.successor(), nullptr);
  EXPECT_EQ(m.successor()->id(), "p3");
  m.members.erase("p3");
  m.members.erase("p4");
  EXPECT_EQ(m.successor()->id(), "p2");
  m.members.erase("p2");
  EXPECT_EQ(m.successor(), nullptr);
}

TEST(LiveMeeting, EffectiveGrantsFollowRolesAndPermissions) {
  LiveMeeting m;
  auto guest = member(1, Role::Participant);
  auto host = member(2, Role::Host);
  EXPECT_TRUE(m.effective(guest).sources.screen);
  m.permissions.screen_share_all = false;
  m.permissions.chat_all = false;
  EXPECT_FALSE(m.effective(guest).sources.screen);
  EXPECT_FALSE(m.effective(guest).can_chat);
  EXPECT_TRUE(m.effective(host).sources.screen);
  EXPECT_TRUE(m.effective(host).can_chat);
  EXPECT_TRUE(m.effective(host).is_host);
  m.settings.webinar = true;
  auto attendee = member(3, Role::Attendee);
  EXPECT_FALSE(m.effective(attendee).can_publish);
  EXPECT_FALSE(m.effective(attendee).sources.microphone);
  auto panelist = member(4, Role::Panelist);
  EXPECT_TRUE(m.effective(panelist).can_publish);
}

TEST(BreakoutPlan, RoomsAreNamedAndPeopleDealtEvenly) {
  auto rooms = plan_rooms(3, {});
  ASSERT_EQ(rooms.size(), 3u);
  EXPECT_EQ(rooms[2].room_id, "b3");
  EXPECT_EQ(rooms[2].name, "Room 3");
  auto named = plan_rooms(0, {"Design", "Sales"});
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[1].name, "Sales");
  const auto a = assign_round_robin({"a", "b", "c", "d", "e"}, rooms);
  std::map<std::string, int> sizes;
  for (const auto& [who, room] : a) ++sizes[room];
  EXPECT_EQ(sizes["b1"], 2);
  EXPECT_EQ(sizes["b2"], 2);
  EXPECT_EQ(sizes["b3"], 1);
  EXPECT_TRUE(assign_round_robin({"a"}, {}).empty());
}

TEST(AttemptLimiter, BlocksAfterMaxFailuresUntilTheOldestAgesOut) {
  api::AttemptLimiter limiter(3, std::chrono::seconds(60));
  const auto t0 = api::AttemptLimiter::Clock::now();
  EXPECT_FALSE(limiter.blocked("k", t0));
  for (int i = 0; i < 3; ++i) limiter.failure("k", t0 + std::chrono::seconds(i));
  auto wait = limiter.blocked("k", t0 + std::chrono::seconds(10));
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 50);
  EXPECT_FALSE(limiter.blocked("other", t0));
  EXPECT_FALSE(limiter.blocked("k", t0 + std::chrono::seconds(61)));
  // Memory stays bounded: the key that failed longest ago goes first.
  api::AttemptLimiter small(1, std::chrono::seconds(60), 2);
  small.failure("a", t0);
  small.failure("b", t0 + std::chrono::seconds(1));
  small.failure("c", t0 + std::chrono::seconds(2));
  EXPECT_FALSE(small.blocked("a", t0 + std::chrono::seconds(3)));
  EXPECT_TRUE(small.blocked("c", t0 + std::chrono::seconds(3)));
}

}  // namespace
}  // namespace parley::meetings
