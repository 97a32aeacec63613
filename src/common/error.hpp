#pragma once
#include <expected>
#include <utility>
#include <string>

namespace parley {

// An error that can be shown to a client: a stable machine-readable code and a
// human-readable reason. Codes are listed in docs/protocol.md.
struct Error {
  std::string code;
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string code, std::string message) {
  return std::unexpected<Error>(Error{std::move(code), std::move(message)});
}

}  // namespace parley
