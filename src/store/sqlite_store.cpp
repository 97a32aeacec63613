#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

namespace parley::store {

// A prepared statement that finalizes itself; binds by 1-based position.
class SqliteStore::Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  // Runs to completion; returns false on a constraint violation.
  bool run() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) return true;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return false;
    throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
  user_id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS devices (
  user_id TEXT NOT NULL REFERENCES users(user_id),
  device_id TEXT NOT NULL,
  device_name TEXT NOT NULL,
  push_token TEXT NOT NULL DEFAULT '',
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE IF NOT EXISTS calls (
  call_id TEXT PRIMARY KEY,
  call_type TEXT NOT NULL,
  caller_id TEXT NOT NULL REFERENCES users(user_id),
  callee_id TEXT NOT NULL REFERENCES users(user_id),
  state TEXT NOT NULL,
  end_reason TEXT NOT NULL DEFAULT '',
  initiated_at INTEGER NOT NULL,
  answered_at INTEGER NOT NULL DEFAULT 0,
  ended_at INTEGER NOT NULL DEFAULT 0,
  duration_seconds INTEGER NOT NULL DEFAULT 0,
  caller_device TEXT NOT NULL DEFAULT '',
  callee_device TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_by_caller ON calls(caller_id, initiated_at);
CREATE INDEX IF NOT EXISTS calls_by_callee ON calls(callee_id, initiated_at);
-- host_id is no foreign key: create_meeting's false must mean "id taken" and
-- nothing else, or a caller that draws a new id on false would never stop.
CREATE TABLE IF NOT EXISTS meetings (
  meeting_id TEXT PRIMARY KEY,
  host_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  duration_minutes INTEGER NOT NULL,
  password TEXT NOT NULL DEFAULT '',
  host_key TEXT NOT NULL,
  settings_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS meetings_by_host ON meetings(host_id, start_time);
-- Participants, events and chat outlive their meeting's row (no foreign key
-- to meetings): deleting a meeting does not rewrite what happened in it.
CREATE TABLE IF NOT EXISTS meeting_participants (
  meeting_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  identity TEXT NOT NULL,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_at INTEGER NOT NULL,
  left_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (meeting_id, participant_id)
);
CREATE INDEX IF NOT EXISTS meeting_participants_by_join
  ON meeting_participants(meeting_id, joined_at);
-- Only the open stays, so the start-up sweep does not read every stay ever.
CREATE INDEX IF NOT EXISTS meeting_participants_open
  ON meeting_participants(left_at) WHERE left_at = 0;
-- AUTOINCREMENT: seq and id never go back, not even after the newest row is gone.
CREATE TABLE IF NOT EXISTS meeting_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  meeting_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  target_id TEXT NOT NULL DEFAULT '',
  detail_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS meeting_events_by_meeting ON meeting_events(meeting_id, seq);
CREATE TABLE IF NOT EXISTS meeting_chat (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  meeting_id TEXT NOT NULL,
  from_id TEXT NOT NULL,
  from_identity TEXT NOT NULL,
  from_name TEXT NOT NULL,
  to_id TEXT NOT NULL DEFAULT '',
  to_identity TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS meeting_chat_by_meeting ON meeting_chat(meeting_id, id);
)sql";

constexpr const char* kUserColumns =
    "SELECT user_id, username, display_name, password_hash, created_at, last_seen FROM users ";
constexpr const char* kCallColumns =
    "c.call_id, c.call_type, c.caller_id, c.callee_id, c.state, c.end_reason, c.initiated_at, "
    "c.answered_at, c.ended_at, c.duration_seconds, c.caller_device, c.callee_device";

constexpr const char* kMeetingColumns =
    "SELECT meeting_id, host_id, topic, start_time, duration_minutes, password, host_key, "
    "settings_json, created_at, updated_at FROM meetings ";

template <typename S>
MeetingRecord read_meeting(const S& s) {
  MeetingRecord m;
  m.meeting_id = s.text(0);
  m.host_id = s.text(1);
  m.topic = s.text(2);
  m.start_time = s.integer(3);
  m.duration_minutes = s.integer(4);
  m.password = s.text(5);
  m.host_key = s.text(6);
  m.settings_json = s.text(7);
  m.created_at = s.integer(8);
  m.updated_at = s.integer(9);
  return m;
}

template <typename S>
CallRecord read_call(const S& s) {
  CallRecord c;
  c.call_id = s.text(0);
  c.call_type = s.text(1);
  c.caller_id = s.text(2);
  c.callee_id = s.text(3);
  c.state = s.text(4);
  c.end_reason = s.text(5);
  c.initiated_at = s.integer(6);
  c.answered_at = s.integer(7);
  c.ended_at = s.integer(8);
  c.duration_seconds = s.integer(9);
  c.caller_device = s.text(10);
  c.callee_device = s.text(11);
  return c;
}
}  // namespace

SqliteStore::SqliteStore(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  exec("PRAGMA foreign_keys=ON");
  exec(kSchema);
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

void SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg);
  }
}

void SqliteStore::begin() { exec("BEGIN IMMEDIATE"); }
void SqliteStore::commit() { exec("COMMIT"); }
void SqliteStore::rollback() {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

bool SqliteStore::create_user(const UserRecord& u) {
  Statement s(db_,
              "INSERT INTO users (user_id, username, display_name, password_hash, created_at, "
              "last_seen) VALUES (?, ?, ?, ?, ?, ?)");
  s.bind(1, u.user_id).bind(2, u.username).bind(3, u.display_name).bind(4, u.password_hash);
  s.bind(5, u.created_at).bind(6, u.last_seen);
  return s.run();
}

std::optional<UserRecord> SqliteStore::user_where(const char* where, const std::string& key) {
  Statement s(db_, (std::string(kUserColumns) + where).c_str());
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return UserRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5)};
}

std::optional<UserRecord> SqliteStore::user_by_name(const std::string& username) {
  return user_where("WHERE username = ?", username);
}

std::optional<UserRecord> SqliteStore::user_by_id(const std::string& user_id) {
  return user_where("WHERE user_id = ?", user_id);
}

void SqliteStore::set_last_seen(const std::string& user_id, std::int64_t when) {
  Statement s(db_, "UPDATE users SET last_seen = ? WHERE user_id = ?");
  s.bind(1, when).bind(2, user_id).run();
}

void SqliteStore::upsert_device(const DeviceRecord& d) {
  Statement s(db_,
              "INSERT INTO devices (user_id, device_id, device_name, push_token, last_seen) "
              "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id, device_id) DO UPDATE SET "
              "device_name = excluded.device_name, push_token = excluded.push_token, "
              "last_seen = excluded.last_seen");
  s.bind(1, d.user_id).bind(2, d.device_id).bind(3, d.device_name).bind(4, d.push_token);
  s.bind(5, d.last_seen).run();
}

std::vector<DeviceRecord> SqliteStore::devices_of(const std::string& user_id) {
  Statement s(db_,
              "SELECT user_id, device_id, device_name, push_token, last_seen FROM devices "
              "WHERE user_id = ? ORDER BY last_seen DESC");
  s.bind(1, user_id);
  std::vector<DeviceRecord> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4)});
  return out;
}

void SqliteStore::save_call(const CallRecord& c) {
  Statement s(db_,
              "INSERT OR REPLACE INTO calls (call_id, call_type, caller_id, callee_id, state, "
              "end_reason, initiated_at, answered_at, ended_at, duration_seconds, caller_device, "
              "callee_device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, c.call_id).bind(2, c.call_type).bind(3, c.caller_id).bind(4, c.callee_id);
  s.bind(5, c.state).bind(6, c.end_reason).bind(7, c.initiated_at).bind(8, c.answered_at);
  s.bind(9, c.ended_at).bind(10, c.duration_seconds).bind(11, c.caller_device);
  s.bind(12, c.callee_device);
  s.run();
}

std::optional<CallRecord> SqliteStore::call_by_id(const std::string& call_id) {
  Statement s(db_, (std::string("SELECT ") + kCallColumns + " FROM calls c WHERE call_id = ?").c_str());
  s.bind(1, call_id);
  if (!s.step()) return std::nullopt;
  return read_call(s);
}

std::vector<CallHistoryEntry> SqliteStore::calls_of(const std::string& user_id, int limit,
                                                    std::int64_t before) {
  const std::string sql = std::string("SELECT ") + kCallColumns +
                          ", a.username, a.display_name, b.username, b.display_name "
                          "FROM calls c JOIN users a ON a.user_id = c.caller_id "
                          "JOIN users b ON b.user_id = c.callee_id "
                          "WHERE (c.caller_id = ?1 OR c.callee_id = ?1) "
                          "AND (?2 <= 0 OR c.initiated_at < ?2) "
                          "ORDER BY c.initiated_at DESC, c.rowid DESC LIMIT ?3";
  Statement s(db_, sql.c_str());
  s.bind(1, user_id).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
  std::vector<CallHistoryEntry> out;
  while (s.step())
    out.push_back({read_call(s), s.text(12), s.text(13), s.text(14), s.text(15)});
  return out;
}

int SqliteStore::fail_unfinished_calls(std::int64_t now) {
  Statement s(db_,
              "UPDATE calls SET state = 'ended', end_reason = 'failed', ended_at = ?1, "
              "duration_seconds = CASE WHEN answered_at > 0 THEN ?1 - answered_at ELSE 0 END "
              "WHERE state != 'ended'");
  s.bind(1, now).run();
  return sqlite3_changes(db_);
}

bool SqliteStore::create_meeting(const MeetingRecord& m) {
  Statement s(db_,
              "INSERT INTO meetings (meeting_id, host_id, topic, start_time, duration_minutes, "
              "password, host_key, settings_json, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, m.meeting_id).bind(2, m.host_id).bind(3, m.topic).bind(4, m.start_time);
  s.bind(5, m.duration_minutes).bind(6, m.password).bind(7, m.host_key).bind(8, m.settings_json);
  s.bind(9, m.created_at).bind(10, m.updated_at);
  return s.run();
}

std::optional<MeetingRecord> SqliteStore::meeting_by_id(const std::string& meeting_id) {
  Statement s(db_, (std::string(kMeetingColumns) + "WHERE meeting_id = ?").c_str());
  s.bind(1, meeting_id);
  if (!s.step()) return std::nullopt;
  return read_meeting(s);
}

bool SqliteStore::update_meeting(const MeetingRecord& m) {
  Statement s(db_,
              "UPDATE meetings SET host_id = ?2, topic = ?3, start_time = ?4, "
              "duration_minutes = ?5, password = ?6, host_key = ?7, settings_json = ?8, "
              "updated_at = ?9 WHERE meeting_id = ?1");
  s.bind(1, m.meeting_id).bind(2, m.host_id).bind(3, m.topic).bind(4, m.start_time);
  s.bind(5, m.duration_minutes).bind(6, m.password).bind(7, m.host_key).bind(8, m.settings_json);
  s.bind(9, m.updated_at);
  return s.run() && sqlite3_changes(db_) > 0;
}

bool SqliteStore::delete_meeting(const std::string& meeting_id) {
  Statement s(db_, "DELETE FROM meetings WHERE meeting_id = ?");
  s.bind(1, meeting_id);
  return s.run() && sqlite3_changes(db_) > 0;
}

std::vector<MeetingRecord> SqliteStore::meetings_of(const std::string& host_id, std::int64_t now,
                                                    int limit) {
  // A meeting still running at `now` counts as upcoming: it is the one its
  // host is most likely looking for.
  const std::string sql = std::string(kMeetingColumns) +
                          "WHERE host_id = ?1 "
                          "ORDER BY start_time + duration_minutes * 60 < ?2, "
                          "CASE WHEN start_time + duration_minutes * 60 < ?2 THEN NULL "
                          "ELSE start_time END, "
                          "start_time DESC, created_at, meeting_id LIMIT ?3";
  Statement s(db_, sql.c_str());
  s.bind(1, host_id).bind(2, now).bind(3, static_cast<std::int64_t>(limit));
  std::vector<MeetingRecord> out;
  while (s.step()) out.push_back(read_meeting(s));
  return out;
}

void SqliteStore::save_meeting_participant(const MeetingParticipantRecord& p) {
  Statement s(db_,
              "INSERT OR REPLACE INTO meeting_participants (meeting_id, participant_id, user_id, "
              "identity, display_name, role, joined_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, p.meeting_id).bind(2, p.participant_id).bind(3, p.user_id).bind(4, p.identity);
  s.bind(5, p.display_name).bind(6, p.role).bind(7, p.joined_at).bind(8, p.left_at);
  s.run();
}

std::vector<MeetingParticipantRecord> SqliteStore::participants_of_meeting(
    const std::string& meeting_id) {
  Statement s(db_,
              "SELECT meeting_id, participant_id, user_id, identity, display_name, role, "
              "joined_at, left_at FROM meeting_participants WHERE meeting_id = ? "
              "ORDER BY joined_at, participant_id");
  s.bind(1, meeting_id);
  std::vector<MeetingParticipantRecord> out;
  while (s.step())
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                   s.integer(6), s.integer(7)});
  return out;
}

int SqliteStore::close_open_meeting_participants(std::int64_t now) {
  Statement s(db_, "UPDATE meeting_participants SET left_at = ? WHERE left_at = 0");
  s.bind(1, now).run();
  return sqlite3_changes(db_);
}

std::int64_t SqliteStore::add_meeting_event(const MeetingEventRecord& e) {
  Statement s(db_,
              "INSERT INTO meeting_events (meeting_id, at, type, actor_id, target_id, detail_json) "
              "VALUES (?, ?, ?, ?, ?, ?)");
  s.bind(1, e.meeting_id).bind(2, e.at).bind(3, e.type).bind(4, e.actor_id).bind(5, e.target_id);
  // The detail is handed out as raw JSON: an empty one would break the answer.
  s.bind(6, e.detail_json.empty() ? std::string("{}") : e.detail_json);
  if (!s.run()) throw std::runtime_error("sqlite: meeting event refused");
  return sqlite3_last_insert_rowid(db_);
}

std::vector<MeetingEventRecord> SqliteStore::events_of_meeting(const std::string& meeting_id,
                                                               int limit) {
  Statement s(db_,
              "SELECT seq, meeting_id, at, type, actor_id, target_id, detail_json "
              "FROM meeting_events WHERE meeting_id = ? ORDER BY seq LIMIT ?");
  s.bind(1, meeting_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<MeetingEventRecord> out;
  while (s.step())
    out.push_back({s.integer(0), s.text(1), s.integer(2), s.text(3), s.text(4), s.text(5),
                   s.text(6)});
  return out;
}

std::int64_t SqliteStore::add_chat(const ChatRecord& c) {
  Statement s(db_,
              "INSERT INTO meeting_chat (meeting_id, from_id, from_identity, from_name, to_id, "
              "to_identity, text, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, c.meeting_id).bind(2, c.from_id).bind(3, c.from_identity).bind(4, c.from_name);
  s.bind(5, c.to_id).bind(6, c.to_identity).bind(7, c.text).bind(8, c.sent_at);
  if (!s.run()) throw std::runtime_error("sqlite: chat message refused");
  return sqlite3_last_insert_rowid(db_);
}

std::vector<ChatRecord> SqliteStore::chat_visible_to(const std::string& meeting_id,
                                                     const std::string& identity, int limit) {
  // Newest first so that LIMIT keeps the last ones; turned around below.
  Statement s(db_,
              "SELECT id, meeting_id, from_id, from_identity, from_name, to_id, to_identity, "
              "text, sent_at FROM meeting_chat WHERE meeting_id = ?1 "
              "AND (to_identity = '' OR to_identity = ?2 OR from_identity = ?2) "
              "ORDER BY id DESC LIMIT ?3");
  s.bind(1, meeting_id).bind(2, identity).bind(3, static_cast<std::int64_t>(limit));
  std::vector<ChatRecord> out;
  while (s.step())
    out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                   s.text(6), s.text(7), s.integer(8)});
  std::reverse(out.begin(), out.end());
  return out;
}

bool SqliteStore::healthy() {
  try {
    Statement s(db_, "SELECT 1");
    return s.step();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace parley::store
