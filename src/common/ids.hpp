#pragma once
#include <string>
#include <string_view>

namespace parley {

// A random, unguessable identifier: prefix + 26 base32 characters (128 bits).
std::string random_id(std::string_view prefix);

// Raw random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace parley
