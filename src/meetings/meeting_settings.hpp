#pragma once

// What a meeting is (docs/protocol.md "Meetings", MeetingRequest): the
// fields a host sets, validated one by one so that a bad request names the
// field it got wrong.

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "store/records.hpp"

namespace parley::meetings {

struct MeetingSettings {
  bool video = true;          // participants start with the camera on
  bool audio = true;          // ... and the microphone on
  bool screen_share = true;   // participants, not only hosts, may share
  bool waiting_room = false;  // everyone but hosts waits to be admitted
  bool mute_on_entry = false;
  bool webinar = false;       // only hosts and panelists publish
  std::int64_t max_participants = 100;
  std::string recording = "none";  // "none" | "cloud"
};

constexpr std::int64_t kMaxParticipantsLimit = 200;  // the SFU's room limit

boost::json::object to_json(const MeetingSettings& settings);
// Stored settings (written by to_json); defaults for anything unreadable.
MeetingSettings settings_from_text(std::string_view json_text);
// `patch` over `base`: only the fields present change; unknown fields are
// refused, so that a typo does not silently do nothing.
Result<MeetingSettings> apply_settings(const boost::json::object& patch, MeetingSettings base);

// A POST or PATCH body over `record` (topic, start_time, duration,
// password, settings). `now` fills the start of a new meeting.
Result<void> apply_meeting_request(const boost::json::object& body, store::MeetingRecord& record,
                                   std::int64_t now);

}  // namespace parley::meetings
