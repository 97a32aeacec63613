#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/records.hpp"

namespace parley::store {

// Durable records. Implementations are blocking and are only ever called from
// the store's own thread (store/store_thread.hpp), never from an event loop.
class Store {
 public:
  virtual ~Store() = default;

  // One transaction around a batch of jobs (group commit). Durable when
  // commit() returns.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  // False when the username is taken.
  virtual bool create_user(const UserRecord& user) = 0;
  virtual std::optional<UserRecord> user_by_name(const std::string& username) = 0;
  virtual std::optional<UserRecord> user_by_id(const std::string& user_id) = 0;
  virtual void set_last_seen(const std::string& user_id, std::int64_t when) = 0;

  virtual void upsert_device(const DeviceRecord& device) = 0;
  virtual std::vector<DeviceRecord> devices_of(const std::string& user_id) = 0;

  // Insert or replace.
  virtual void save_call(const CallRecord& call) = 0;
  virtual std::optional<CallRecord> call_by_id(const std::string& call_id) = 0;
  // Newest first; only calls initiated strictly before `before` when it is > 0.
  virtual std::vector<CallHistoryEntry> calls_of(const std::string& user_id, int limit,
                                                 std::int64_t before) = 0;
  // Calls a crash left ringing or active are ended as `failed`; returns how many.
  virtual int fail_unfinished_calls(std::int64_t now) = 0;

  virtual bool healthy() = 0;
};

}  // namespace parley::store
