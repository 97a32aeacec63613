#include "meetings/breakout_plan.hpp"

namespace parley::meetings {

std::vector<BreakoutRoom> plan_rooms(std::size_t count, std::vector<std::string> names) {
  if (!names.empty()) count = names.size();
  std::vector<BreakoutRoom> rooms;
  for (std::size_t i = 0; i < count; ++i)
    rooms.push_back({"b" + std::to_string(i + 1), names.empty() ? "Room " + std::to_string(i + 1) : names[i]});
  return rooms;
}

std::map<std::string, std::string> assign_round_robin(const std::vector<std::string>& people,
                                                      const std::vector<BreakoutRoom>& rooms) {
  std::map<std::string, std::string> out;
  if (rooms.empty()) return out;
  for (std::size_t i = 0; i < people.size(); ++i) out[people[i]] = rooms[i % rooms.size()].room_id;
  return out;
}

}  // namespace parley::meetings
