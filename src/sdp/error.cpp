#include "sdp/error.hpp"

#include <ostream>

namespace parley::sdp {

std::string Error::to_string() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

std::ostream& operator<<(std::ostream& out, const Error& error) {
  return out << error.to_string();
}

}  // namespace parley::sdp
