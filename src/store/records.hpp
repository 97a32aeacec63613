#pragma once
#include <cstdint>
#include <string>

namespace parley::store {

struct UserRecord {
  std::string user_id;
  std::string username;
  std::string display_name;
  std::string password_hash;  // Argon2id string (libsodium crypto_pwhash_str)
  std::int64_t created_at = 0;
  std::int64_t last_seen = 0;
};

struct DeviceRecord {
  std::string user_id;
  std::string device_id;
  std::string device_name;
  std::string push_token;
  std::int64_t last_seen = 0;
};

// One 1:1 call as persisted. Times are Unix seconds, 0 when it did not happen.
struct CallRecord {
  std::string call_id;
  std::string call_type;  // "voice" | "video"
  std::string caller_id;
  std::string callee_id;
  std::string state;       // "ringing" | "active" | "ended"
  std::string end_reason;  // empty until ended
  std::int64_t initiated_at = 0;
  std::int64_t answered_at = 0;
  std::int64_t ended_at = 0;
  std::int64_t duration_seconds = 0;
  std::string caller_device;
  std::string callee_device;
};

// A call joined with both parties' public profile, for history listings.
struct CallHistoryEntry {
  CallRecord call;
  std::string caller_username, caller_display_name;
  std::string callee_username, callee_display_name;
};

}  // namespace parley::store
