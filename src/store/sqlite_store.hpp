#pragma once
#include <memory>
#include <string>

#include "store/store.hpp"

struct sqlite3;

namespace parley::store {

// SQLite in WAL mode with synchronous=FULL: a committed call survives kill -9
// and power loss. One connection, used by one thread.
class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database file and migrates its schema.
  // Throws std::runtime_error with SQLite's message on failure.
  explicit SqliteStore(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void begin() override;
  void commit() override;
  void rollback() override;
  bool create_user(const UserRecord& user) override;
  std::optional<UserRecord> user_by_name(const std::string& username) override;
  std::optional<UserRecord> user_by_id(const std::string& user_id) override;
  void set_last_seen(const std::string& user_id, std::int64_t when) override;
  void upsert_device(const DeviceRecord& device) override;
  std::vector<DeviceRecord> devices_of(const std::string& user_id) override;
  void save_call(const CallRecord& call) override;
  std::optional<CallRecord> call_by_id(const std::string& call_id) override;
  std::vector<CallHistoryEntry> calls_of(const std::string& user_id, int limit,
                                         std::int64_t before) override;
  int fail_unfinished_calls(std::int64_t now) override;
  bool create_meeting(const MeetingRecord& meeting) override;
  std::optional<MeetingRecord> meeting_by_id(const std::string& meeting_id) override;
  bool update_meeting(const MeetingRecord& meeting) override;
  bool delete_meeting(const std::string& meeting_id) override;
  std::vector<MeetingRecord> meetings_of(const std::string& host_id, std::int64_t now,
                                         int limit) override;
  void save_meeting_participant(const MeetingParticipantRecord& participant) override;
  std::vector<MeetingParticipantRecord> participants_of_meeting(
      const std::string& meeting_id) override;
  int close_open_meeting_participants(std::int64_t now) override;
  std::int64_t add_meeting_event(const MeetingEventRecord& event) override;
  std::vector<MeetingEventRecord> events_of_meeting(const std::string& meeting_id,
                                                    int limit) override;
  std::int64_t add_chat(const ChatRecord& message) override;
  std::vector<ChatRecord> chat_visible_to(const std::string& meeting_id,
                                          const std::string& identity, int limit) override;
  bool healthy() override;

 private:
  class Statement;
  void exec(const char* sql);
  std::optional<UserRecord> user_where(const char* sql, const std::string& key);
  sqlite3* db_ = nullptr;
};

}  // namespace parley::store
