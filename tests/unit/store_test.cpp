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
