#include "meetings/meeting_settings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

#include "common/json_util.hpp"

namespace parley::meetings {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 8> kSettingFields = {
    "video", "audio", "screen_share", "waiting_room", "mute_on_entry", "webinar", "max_participants", "recording"};
constexpr std::array<std::string_view, 5> kRequestFields = {"topic", "start_time", "duration", "password",
                                                             "settings"};

Result<void> read_flag(const json::object& o, std::string_view key, bool& out) {
  const auto* v = o.if_contains(key);
  if (!v) return {};
  if (!v->is_bool()) return fail("invalid_field", "settings." + std::string(key) + " must be true or false");
  out = v->as_bool();
  return {};
}

bool printable(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

}  // namespace

json::object to_json(const MeetingSettings& s) {
  return {{"video", s.video},
          {"audio", s.audio},
          {"screen_share", s.screen_share},
          {"waiting_room", s.waiting_room},
          {"mute_on_entry", s.mute_on_entry},
          {"webinar", s.webinar},
          {"max_participants", s.max_participants},
          {"recording", s.recording}};
}

MeetingSettings settings_from_text(std::string_view text) {
  auto parsed = parse_object(text);
  if (!parsed) return {};
  auto settings = apply_settings(*parsed, {});
  return settings ? *settings : MeetingSettings{};
}

Result<MeetingSettings> apply_settings(const json::object& patch, MeetingSettings s) {
  for (const auto& [key, value] : patch)
    if (std::ranges::find(kSettingFields, std::string_view(key)) == kSettingFields.end())
      return fail("invalid_field", "unknown setting '" + std::string(key) + "'");
  for (auto [key, field] : {std::pair{"video", &s.video},
                            {"audio", &s.audio},
                            {"screen_share", &s.screen_share},
                            {"waiting_room", &s.waiting_room},
                            {"mute_on_entry", &s.mute_on_entry},
                            {"webinar", &s.webinar}})
    if (auto ok = read_flag(patch, key, *field); !ok) return std::unexpected(ok.error());
  FieldReader r(patch);
  if (patch.contains("max_participants")) {
    auto n = r.integer("max_participants", 2, kMaxParticipantsLimit);
    if (!n) return fail("invalid_field", "settings.max_participants must be 2-200");
    s.max_participants = *n;
  }
  if (patch.contains("recording")) {
    auto rec = r.string("recording", 16);
    if (!rec || (*rec != "none" && *rec != "cloud"))
      return fail("invalid_field", "settings.recording must be \"none\" or \"cloud\"");
    s.recording = std::string(*rec);
  }
  return s;
}

Result<void> apply_meeting_request(const json::object& body, store::MeetingRecord& record, std::int64_t now) {
  for (const auto& [key, value] : body)
    if (std::ranges::find(kRequestFields, std::string_view(key)) == kRequestFields.end())
      return fail("invalid_field", "unknown field '" + std::string(key) + "'");
  FieldReader r(body);
  if (body.contains("topic")) {
    auto topic = r.string("topic", 200);
    if (!topic || topic->empty() || !printable(*topic))
      return fail("invalid_field", "topic must be 1-200 printable characters");
    record.topic = std::string(*topic);
  }
  if (body.contains("start_time")) {
    // A meeting may start a little in the past (a clock apart) and at most
    // ten years ahead.
    auto start = r.integer("start_time", 0, now + 10LL * 366 * 86400);
    if (!start) return fail("invalid_field", "start_time must be a Unix time within ten years");
    record.start_time = *start;
  } else if (record.start_time == 0) {
    record.start_time = now;
  }
  if (body.contains("duration")) {
    auto minutes = r.integer("duration", 1, 1440);
    if (!minutes) return fail("invalid_field", "duration must be 1-1440 minutes");
    record.duration_minutes = *minutes;
  }
  if (body.contains("password")) {
    const auto* v = body.if_contains("password");
    if (v->is_null()) {
      record.password.clear();
    } else {
      auto pw = r.string("password", 64);
      if (!pw || !printable(*pw)) return fail("invalid_field", "password must be 0-64 printable characters");
      record.password = std::string(*pw);
    }
  }
  if (const auto* v = body.if_contains("settings")) {
    if (!v->is_object()) return fail("invalid_field", "settings must be an object");
    auto settings = apply_settings(v->as_object(), settings_from_text(record.settings_json));
    if (!settings) return std::unexpected(settings.error());
    record.settings_json = json::serialize(to_json(*settings));
  } else if (record.settings_json.empty()) {
    record.settings_json = json::serialize(to_json(MeetingSettings{}));
  }
  return {};
}

}  // namespace parley::meetings
