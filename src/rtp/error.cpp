#include "rtp/error.hpp"

#include <ostream>

namespace parley::rtp {

std::string_view to_string(Error error) {
  switch (error) {
    case Error::Truncated:
      return "truncated";
    case Error::BadVersion:
      return "version is not 2";
    case Error::BadPadding:
      return "bad padding";
    case Error::BadExtension:
      return "bad header extension";
    case Error::BadLength:
      return "length field disagrees with the bytes";
    case Error::WrongType:
      return "wrong packet type or format";
    case Error::Malformed:
      return "malformed field";
    case Error::Unsupported:
      return "unsupported";
    case Error::NotPresent:
      return "field not present";
    case Error::BufferTooSmall:
      return "output buffer too small";
    case Error::ValueOutOfRange:
      return "value out of range";
  }
  return "unknown error";
}

std::ostream& operator<<(std::ostream& out, Error error) {
  return out << to_string(error);
}

}  // namespace parley::rtp
