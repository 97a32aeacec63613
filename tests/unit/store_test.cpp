#include "store/sqlite_store.hpp"
#include "store/store_thread.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <filesystem>

using namespace parley::store;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string db() const { return (dir_ / "p.db").string(); }
  std::filesystem::path dir_;
};

TEST_F(SqliteStoreTest, UsersAreUniqueByUsername) {
  SqliteStore s(db());
  EXPECT_TRUE(s.create_user({"u_1", "alice", "Alice", "h", 1, 0}));
  EXPECT_FALSE(s.create_user({"u_2", "alice", "Other", "h", 1, 0}));
  ASSERT_TRUE(s.user_by_name("alice"));
  EXPECT_EQ(s.user_by_name("alice")->user_id, "u_1");
  EXPECT_FALSE(s.user_by_name("bob"));
}

TEST_F(SqliteStoreTest, CallHistoryIsNewestFirstAndSurvivesReopen) {
  {
    SqliteStore s(db());
    s.create_user({"u_a", "alice", "Alice", "h", 1, 0});
    s.create_user({"u_b", "bob", "Bob", "h", 1, 0});
    s.create_user({"u_c", "carol", "Carol", "h", 1, 0});
    for (int i = 0; i < 5; ++i) {
      CallRecord c;
      c.call_id = "c_" + std::to_string(i);
      c.call_type = "video";
      c.caller_id = i % 2 ? "u_a" : "u_b";
      c.callee_id = i % 2 ? "u_b" : "u_a";
      c.state = "ended";
      c.end_reason = "completed";
      c.initiated_at = 100 + i;
      s.save_call(c);
    }
    CallRecord other{"c_x", "voice", "u_b", "u_c", "ended", "declined", 200, 0, 201, 0, "", ""};
    s.save_call(other);
  }
  SqliteStore s(db());
  auto all = s.calls_of("u_a", 10, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().call.call_id, "c_4");
  EXPECT_EQ(all.back().call.call_id, "c_0");
  EXPECT_EQ(all.front().caller_username, "bob");
  auto page = s.calls_of("u_a", 2, 103);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].call.call_id, "c_2");
}

TEST_F(SqliteStoreTest, UnfinishedCallsBecomeFailed) {
  SqliteStore s(db());
  s.create_user({"u_a", "alice", "Alice", "h", 1, 0});
  s.create_user({"u_b", "bob", "Bob", "h", 1, 0});
  s.save_call({"c_1", "voice", "u_a", "u_b", "active", "", 10, 12, 0, 0, "d1", "d2"});
  s.save_call({"c_2", "voice", "u_a", "u_b", "ended", "completed", 1, 2, 3, 1, "d1", "d2"});
  EXPECT_EQ(s.fail_unfinished_calls(20), 1);
  auto c = s.call_by_id("c_1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, "ended");
  EXPECT_EQ(c->end_reason, "failed");
  EXPECT_EQ(c->duration_seconds, 8);
  EXPECT_EQ(s.call_by_id("c_2")->end_reason, "completed");
}

TEST_F(SqliteStoreTest, DevicesUpsert) {
  SqliteStore s(db());
  s.create_user({"u_a", "alice", "Alice", "h", 1, 0});
  s.upsert_device({"u_a", "tab-1", "Chromium", "", 5});
  s.upsert_device({"u_a", "tab-1", "Chromium 2", "push-1", 6});
  s.upsert_device({"u_a", "phone", "Pixel", "push-2", 7});
  auto d = s.devices_of("u_a");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].device_id, "phone");
  EXPECT_EQ(d[1].push_token, "push-1");
}

TEST_F(SqliteStoreTest, UnwritableFileThrowsWithTheReason) {
  EXPECT_THROW(SqliteStore("/nonexistent-dir/x/p.db"), std::runtime_error);
}

// Group commit: many jobs queued at once share transactions, each completion
// runs after its write committed, and a failing job does not take others down.
TEST_F(SqliteStoreTest, StoreThreadCommitsEveryQueuedWriteBeforeItsCompletion) {
  SqliteStore s(db());
  s.create_user({"u_a", "alice", "Alice", "h", 1, 0});
  s.create_user({"u_b", "bob", "Bob", "h", 1, 0});
  boost::asio::io_context io;
  int completed = 0, failed = 0;
  {
    StoreThread thread(s, /*max_batch=*/16);
    for (int i = 0; i < 200; ++i) {
      CallRecord c{"c_" + std::to_string(i), "voice", "u_a", "u_b", "ended", "completed",
                   i + 1, 0, i + 2, 0, "", ""};
      thread.run(io.get_executor(), [c](Store& st) { st.save_call(c); },
                 [&, id = c.call_id](parley::Result<void> r) {
                   ASSERT_TRUE(r);
                   // A second connection sees the row: it was committed.
                   SqliteStore reader(db());
                   EXPECT_TRUE(reader.call_by_id(id)) << id;
                   ++completed;
                 });
    }
    thread.run(io.get_executor(), [](Store&) -> int { throw std::runtime_error("boom"); },
               [&](parley::Result<int> r) {
                 EXPECT_FALSE(r);
                 ++failed;
               });
    thread.join();
  }
  io.run();
  EXPECT_EQ(completed, 200);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(s.calls_of("u_a", 500, 0).size(), 200u);
}

namespace {
MeetingRecord meeting(std::string id, std::string host, std::int64_t start,
                      std::int64_t duration_minutes = 60) {
  MeetingRecord m;
  m.meeting_id = std::move(id);
  m.host_id = std::move(host);
  m.topic = "Weekly sync";
  m.start_time = start;
  m.duration_minutes = duration_minutes;
  m.password = "s3cret";
  m.host_key = "123456";
  m.settings_json = R"({"video":true,"waiting_room":false})";
  m.created_at = 10;
  m.updated_at = 10;
  return m;
}

ChatRecord chat(std::string from, std::string to, std::string text, std::int64_t at) {
  ChatRecord c;
  c.meeting_id = "abc-defg-hij";
  c.from_id = "p_" + from;
  c.from_identity = from;
  c.from_name = from;
  if (!to.empty()) c.to_id = "p_" + to;
  c.to_identity = std::move(to);
  c.text = std::move(text);
  c.sent_at = at;
  return c;
}

std::vector<std::string> ids(const std::vector<MeetingRecord>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.meeting_id);
  return out;
}
}  // namespace

TEST_F(SqliteStoreTest, MeetingsCreateReadUpdateDelete) {
  SqliteStore s(db());
  EXPECT_FALSE(s.meeting_by_id("abc-defg-hij"));
  ASSERT_TRUE(s.create_meeting(meeting("abc-defg-hij", "u_a", 1000, 45)));
  auto m = s.meeting_by_id("abc-defg-hij");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->host_id, "u_a");
  EXPECT_EQ(m->topic, "Weekly sync");
  EXPECT_EQ(m->start_time, 1000);
  EXPECT_EQ(m->duration_minutes, 45);
  EXPECT_EQ(m->password, "s3cret");
  EXPECT_EQ(m->host_key, "123456");
  EXPECT_EQ(m->settings_json, R"({"video":true,"waiting_room":false})");
  EXPECT_EQ(m->created_at, 10);

  m->topic = "Renamed";
  m->password = "";
  m->duration_minutes = 90;
  m->created_at = 999;  // not a field an update may change
  m->updated_at = 20;
  EXPECT_TRUE(s.update_meeting(*m));
  auto u = s.meeting_by_id("abc-defg-hij");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->topic, "Renamed");
  EXPECT_EQ(u->password, "");
  EXPECT_EQ(u->duration_minutes, 90);
  EXPECT_EQ(u->created_at, 10);
  EXPECT_EQ(u->updated_at, 20);
  // An update that changes nothing still found its meeting.
  EXPECT_TRUE(s.update_meeting(*u));
  EXPECT_FALSE(s.update_meeting(meeting("zzz-zzzz-zzz", "u_a", 1)));
  EXPECT_FALSE(s.meeting_by_id("zzz-zzzz-zzz"));

  EXPECT_TRUE(s.delete_meeting("abc-defg-hij"));
  EXPECT_FALSE(s.meeting_by_id("abc-defg-hij"));
  EXPECT_FALSE(s.delete_meeting("abc-defg-hij"));
}

TEST_F(SqliteStoreTest, MeetingIdsAreUnique) {
  SqliteStore s(db());
  ASSERT_TRUE(s.create_meeting(meeting("abc-defg-hij", "u_a", 1000)));
  auto other = meeting("abc-defg-hij", "u_b", 2000);
  other.topic = "Other";
  EXPECT_FALSE(s.create_meeting(other));
  EXPECT_EQ(s.meeting_by_id("abc-defg-hij")->host_id, "u_a");
  // The id is free again once its meeting is deleted.
  EXPECT_TRUE(s.delete_meeting("abc-defg-hij"));
  EXPECT_TRUE(s.create_meeting(other));
}

TEST_F(SqliteStoreTest, MeetingsOfAreUpcomingAscendingThenPastDescending) {
  SqliteStore s(db());
  const std::int64_t now = 100'000;
  s.create_meeting(meeting("up-late", "u_a", now + 7200));
  s.create_meeting(meeting("past-old", "u_a", now - 90'000));
  s.create_meeting(meeting("up-soon", "u_a", now + 60));
  s.create_meeting(meeting("past-new", "u_a", now - 7200));
  // Started an hour ago, 90 minutes long: still on, so upcoming.
  s.create_meeting(meeting("running", "u_a", now - 3600, 90));
  // Ends exactly now: not over yet.
  s.create_meeting(meeting("ends-now", "u_a", now - 1800, 30));
  // Ended a second ago.
  s.create_meeting(meeting("just-over", "u_a", now - 1801, 30));
  s.create_meeting(meeting("not-mine", "u_b", now + 30));
  s.create_meeting(meeting("not-mine-past", "u_b", now - 30'000));

  EXPECT_EQ(ids(s.meetings_of("u_a", now, 50)),
            (std::vector<std::string>{"running", "ends-now", "up-soon", "up-late", "just-over",
                                      "past-new", "past-old"}));
  EXPECT_EQ(ids(s.meetings_of("u_a", now, 4)),
            (std::vector<std::string>{"running", "ends-now", "up-soon", "up-late"}));
  EXPECT_EQ(ids(s.meetings_of("u_b", now, 50)),
            (std::vector<std::string>{"not-mine", "not-mine-past"}));
  EXPECT_TRUE(s.meetings_of("u_c", now, 50).empty());
}

TEST_F(SqliteStoreTest, MeetingParticipantsUpsertAndCloseOpenStays) {
  SqliteStore s(db());
  s.save_meeting_participant({"m_1", "p_2", "", "guest-2", "Guest", "participant", 20, 0});
  s.save_meeting_participant({"m_1", "p_1", "u_a", "u_a", "Alice", "host", 10, 0});
  s.save_meeting_participant({"m_1", "p_3", "u_b", "u_b", "Bob", "participant", 30, 0});
  s.save_meeting_participant({"m_2", "p_9", "u_c", "u_c", "Carol", "host", 5, 0});
  // The same stay again: its role changed and then it left.
  s.save_meeting_participant({"m_1", "p_2", "", "guest-2", "Guest", "cohost", 20, 0});
  s.save_meeting_participant({"m_1", "p_2", "", "guest-2", "Guest", "cohost", 20, 40});

  auto ps = s.participants_of_meeting("m_1");
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0].participant_id, "p_1");
  EXPECT_EQ(ps[0].user_id, "u_a");
  EXPECT_EQ(ps[0].display_name, "Alice");
  EXPECT_EQ(ps[0].role, "host");
  EXPECT_EQ(ps[1].participant_id, "p_2");
  EXPECT_EQ(ps[1].user_id, "");
  EXPECT_EQ(ps[1].identity, "guest-2");
  EXPECT_EQ(ps[1].role, "cohost");
  EXPECT_EQ(ps[1].left_at, 40);
  EXPECT_EQ(ps[2].participant_id, "p_3");
  EXPECT_TRUE(s.participants_of_meeting("m_none").empty());

  // p_1, p_3 and p_9 were still in when the server died.
  EXPECT_EQ(s.close_open_meeting_participants(500), 3);
  ps = s.participants_of_meeting("m_1");
  EXPECT_EQ(ps[0].left_at, 500);
  EXPECT_EQ(ps[1].left_at, 40);
  EXPECT_EQ(ps[2].left_at, 500);
  EXPECT_EQ(s.participants_of_meeting("m_2")[0].left_at, 500);
  EXPECT_EQ(s.close_open_meeting_participants(600), 0);
}

TEST_F(SqliteStoreTest, MeetingEventsAreOldestFirstAndTheFirstLimit) {
  SqliteStore s(db());
  std::int64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    MeetingEventRecord e;
    e.meeting_id = "m_1";
    e.at = 100 + i;
    e.type = i == 0 ? "join" : "mute";
    e.actor_id = "p_1";
    e.target_id = i == 0 ? "" : "p_2";
    e.detail_json = i == 0 ? "" : R"({"n":)" + std::to_string(i) + "}";
    const auto seq = s.add_meeting_event(e);
    EXPECT_GT(seq, last);
    last = seq;
    s.add_meeting_event({0, "m_2", 100 + i, "chat", "p_9", "", "{}"});
  }
  auto es = s.events_of_meeting("m_1", 500);
  ASSERT_EQ(es.size(), 10u);
  for (std::size_t i = 0; i < es.size(); ++i) {
    EXPECT_EQ(es[i].meeting_id, "m_1");
    EXPECT_EQ(es[i].at, 100 + static_cast<std::int64_t>(i));
    if (i > 0) {
      EXPECT_GT(es[i].seq, es[i - 1].seq);
    }
  }
  EXPECT_EQ(es[0].type, "join");
  EXPECT_EQ(es[0].detail_json, "{}");
  EXPECT_EQ(es[3].target_id, "p_2");
  EXPECT_EQ(es[3].detail_json, R"({"n":3})");
  EXPECT_EQ(es.back().seq, last);

  auto first = s.events_of_meeting("m_1", 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].at, 100);
  EXPECT_EQ(first[2].at, 102);
  EXPECT_TRUE(s.events_of_meeting("m_none", 10).empty());
}

TEST_F(SqliteStoreTest, ChatShowsPublicAndOnesOwnPrivateMessages) {
  SqliteStore s(db());
  const auto pub = s.add_chat(chat("bob", "", "hello all", 1));
  const auto to_me = s.add_chat(chat("bob", "alice", "psst alice", 2));
  s.add_chat(chat("bob", "carol", "psst carol", 3));
  const auto from_me = s.add_chat(chat("alice", "carol", "hi carol", 4));
  auto other_meeting = chat("bob", "", "elsewhere", 5);
  other_meeting.meeting_id = "zzz-zzzz-zzz";
  s.add_chat(other_meeting);
  EXPECT_LT(pub, to_me);
  EXPECT_LT(to_me, from_me);

  auto mine = s.chat_visible_to("abc-defg-hij", "alice", 100);
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_EQ(mine[0].id, pub);
  EXPECT_EQ(mine[0].text, "hello all");
  EXPECT_EQ(mine[0].to_id, "");
  EXPECT_EQ(mine[1].id, to_me);
  EXPECT_EQ(mine[1].from_id, "p_bob");
  EXPECT_EQ(mine[1].from_name, "bob");
  EXPECT_EQ(mine[1].to_id, "p_alice");
  EXPECT_EQ(mine[1].to_identity, "alice");
  EXPECT_EQ(mine[1].sent_at, 2);
  EXPECT_EQ(mine[2].id, from_me);
  EXPECT_EQ(mine[2].text, "hi carol");

  // Someone with no private messages sees only the public one.
  auto dave = s.chat_visible_to("abc-defg-hij", "dave", 100);
  ASSERT_EQ(dave.size(), 1u);
  EXPECT_EQ(dave[0].id, pub);
  EXPECT_EQ(s.chat_visible_to("abc-defg-hij", "carol", 100).size(), 3u);
}

TEST_F(SqliteStoreTest, ChatHistoryIsTheLastHundredOldestFirst) {
  SqliteStore s(db());
  for (int i = 0; i < 120; ++i) {
    s.add_chat(chat("bob", "", "m" + std::to_string(i), i));
    // Not alice's to read: must not take places among her hundred.
    s.add_chat(chat("bob", "carol", "secret" + std::to_string(i), i));
  }
  auto last = s.chat_visible_to("abc-defg-hij", "alice", 100);
  ASSERT_EQ(last.size(), 100u);
  EXPECT_EQ(last.front().text, "m20");
  EXPECT_EQ(last.back().text, "m119");
  for (std::size_t i = 1; i < last.size(); ++i) EXPECT_LT(last[i - 1].id, last[i].id);
}

TEST_F(SqliteStoreTest, MeetingRecordsSurviveReopen) {
  std::int64_t event_seq = 0, chat_id = 0;
  {
    SqliteStore s(db());
    ASSERT_TRUE(s.create_meeting(meeting("abc-defg-hij", "u_a", 1000)));
    s.save_meeting_participant({"abc-defg-hij", "p_1", "u_a", "u_a", "Alice", "host", 1000, 0});
    event_seq = s.add_meeting_event({0, "abc-defg-hij", 1000, "join", "p_1", "", "{}"});
    chat_id = s.add_chat(chat("alice", "", "hello", 1001));
    // Deleting the meeting keeps what happened in it.
    ASSERT_TRUE(s.create_meeting(meeting("old-meet-ing", "u_a", 10)));
    s.add_meeting_event({0, "old-meet-ing", 10, "join", "p_7", "", "{}"});
    ASSERT_TRUE(s.delete_meeting("old-meet-ing"));
  }
  SqliteStore s(db());
  auto m = s.meeting_by_id("abc-defg-hij");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->password, "s3cret");
  EXPECT_FALSE(s.meeting_by_id("old-meet-ing"));
  EXPECT_EQ(s.events_of_meeting("old-meet-ing", 10).size(), 1u);
  auto ps = s.participants_of_meeting("abc-defg-hij");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].display_name, "Alice");
  auto es = s.events_of_meeting("abc-defg-hij", 10);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].seq, event_seq);
  auto cs = s.chat_visible_to("abc-defg-hij", "bob", 100);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].id, chat_id);
  // Numbering goes on after a restart.
  EXPECT_GT(s.add_meeting_event({0, "abc-defg-hij", 1002, "leave", "p_1", "", "{}"}), event_seq);
  EXPECT_GT(s.add_chat(chat("alice", "", "again", 1003)), chat_id);
}
