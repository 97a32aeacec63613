#include "store/sqlite_store.hpp"

#include <sqlite3.h>

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
)sql";

constexpr const char* kUserColumns =
    "SELECT user_id, username, display_name, password_hash, created_at, last_seen FROM users ";
constexpr const char* kCallColumns =
    "c.call_id, c.call_type, c.caller_id, c.callee_id, c.state, c.end_reason, c.initiated_at, "
    "c.answered_at, c.ended_at, c.duration_seconds, c.caller_device, c.callee_device";

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

bool SqliteStore::healthy() {
  try {
    Statement s(db_, "SELECT 1");
    return s.step();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace parley::store
