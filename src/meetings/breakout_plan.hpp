#pragma once
#include <map>
#include <string>
#include <vector>

#include "meetings/live_meeting.hpp"

namespace parley::meetings {

// Rooms "b1".."bN": named `names` when given, else "Room 1".."Room N".
std::vector<BreakoutRoom> plan_rooms(std::size_t count, std::vector<std::string> names);
// People in the given order dealt over the rooms like cards, so that room
// sizes differ by at most one.
std::map<std::string, std::string> assign_round_robin(const std::vector<std::string>& people,
                                                      const std::vector<BreakoutRoom>& rooms);

}  // namespace parley::meetings
