#pragma once
#include <string>
#include <string_view>

namespace parley::meetings {

// A meeting id as people read and type it: three groups of lower-case
// letters, 3-4-3, like "abc-defg-hij" (26^10, about 47 bits: links are not
// secrets by themselves, passwords and the waiting room are).
std::string new_meeting_id();
bool is_meeting_id(std::string_view text);

// Six digits that make whoever types them a host of the meeting.
std::string new_host_key();

// The SFU room that carries a meeting's media: the main room, or one of its
// breakout rooms. Plain `join` and WHIP may not enter these.
std::string media_room(std::string_view meeting_id, std::string_view breakout_id = {});
bool is_meeting_room(std::string_view room);

}  // namespace parley::meetings
