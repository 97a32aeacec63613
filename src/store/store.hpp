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

  // False when the meeting id is taken.
  virtual bool create_meeting(const MeetingRecord& meeting) = 0;
  virtual std::optional<MeetingRecord> meeting_by_id(const std::string& meeting_id) = 0;
  // Every field but meeting_id and created_at; false when there is no such meeting.
  virtual bool update_meeting(const MeetingRecord& meeting) = 0;
  // False when there was no such meeting. Its participants, events and chat
  // stay: they are the record of what happened in it.
  virtual bool delete_meeting(const std::string& meeting_id) = 0;
  // Upcoming (not yet over at `now`) by start time ascending, then the ended
  // ones by start time descending: the next meeting is on top, the latest
  // past one right below the upcoming ones.
  virtual std::vector<MeetingRecord> meetings_of(const std::string& host_id, std::int64_t now,
                                                 int limit) = 0;

  // Insert or replace, keyed by (meeting_id, participant_id).
  virtual void save_meeting_participant(const MeetingParticipantRecord& participant) = 0;
  // By joined_at.
  virtual std::vector<MeetingParticipantRecord> participants_of_meeting(
      const std::string& meeting_id) = 0;
  // Stays a crash left open are closed at `now`; returns how many.
  virtual int close_open_meeting_participants(std::int64_t now) = 0;

  // Returns the event's seq.
  virtual std::int64_t add_meeting_event(const MeetingEventRecord& event) = 0;
  // Oldest first, the first `limit`.
  virtual std::vector<MeetingEventRecord> events_of_meeting(const std::string& meeting_id,
                                                            int limit) = 0;

  // Returns the message's id.
  virtual std::int64_t add_chat(const ChatRecord& message) = 0;
  // The last `limit` messages `identity` may read (public ones, and private
  // ones to or from it), oldest first.
  virtual std::vector<ChatRecord> chat_visible_to(const std::string& meeting_id,
                                                  const std::string& identity, int limit) = 0;

  virtual bool healthy() = 0;
};

}  // namespace parley::store
