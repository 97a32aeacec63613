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

// A scheduled meeting (docs/protocol.md "Meetings"). Times are Unix seconds.
struct MeetingRecord {
  std::string meeting_id;   // "abc-defg-hij"
  std::string host_id;      // user id of its creator
  std::string topic;
  std::int64_t start_time = 0;
  std::int64_t duration_minutes = 60;
  std::string password;     // the host reads it back, and it rides in the join link: kept as given
  std::string host_key;     // six digits
  std::string settings_json;  // the settings object as JSON text
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// One stay of one participant in a meeting.
struct MeetingParticipantRecord {
  std::string meeting_id, participant_id, user_id /*empty for guests*/, identity, display_name, role;
  std::int64_t joined_at = 0, left_at = 0;  // left_at 0 while present
};

struct MeetingEventRecord {
  std::int64_t seq = 0;  // assigned by the store, increasing
  std::string meeting_id;
  std::int64_t at = 0;
  std::string type, actor_id, target_id, detail_json;  // detail_json "{}" when nothing
};

struct ChatRecord {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::string meeting_id, from_id, from_identity, from_name;
  std::string to_id, to_identity;  // empty: to everyone
  std::string text;
  std::int64_t sent_at = 0;
};

}  // namespace parley::store
