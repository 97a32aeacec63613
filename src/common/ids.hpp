#pragma once
#include <string>
#include <string_view>

namespace parley {

// A random, unguessable identifier: prefix + 26 base32 characters (128 bits).
std::string random_id(std::string_view prefix);

// A name clients choose (device id, room name): 1 to `max` characters of
// A-Za-z0-9 _ - . :
bool is_token_name(std::string_view name, std::size_t max);

// `n` characters drawn uniformly from `alphabet` (at most 256 characters).
std::string random_chars(std::string_view alphabet, std::size_t n);

// Raw random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace parley
