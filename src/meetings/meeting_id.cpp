#include "meetings/meeting_id.hpp"

#include "common/ids.hpp"

namespace parley::meetings {

namespace {
constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kRoomPrefix = "meeting:";
}  // namespace

std::string new_meeting_id() {
  const std::string s = random_chars(kLetters, 10);
  return s.substr(0, 3) + "-" + s.substr(3, 4) + "-" + s.substr(7, 3);
}

bool is_meeting_id(std::string_view t) {
  if (t.size() != 12 || t[3] != '-' || t[8] != '-') return false;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (i != 3 && i != 8 && (t[i] < 'a' || t[i] > 'z')) return false;
  return true;
}

std::string new_host_key() { return random_chars("0123456789", 6); }

std::string media_room(std::string_view meeting_id, std::string_view breakout_id) {
  std::string room(kRoomPrefix);
  room += meeting_id;
  if (!breakout_id.empty()) {
    room += ':';
    room += breakout_id;
  }
  return room;
}

bool is_meeting_room(std::string_view room) { return room.starts_with(kRoomPrefix); }

}  // namespace parley::meetings
