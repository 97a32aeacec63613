#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace parley {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// HMAC-SHA1 of `message` under `key`, raw 20 bytes.
std::string hmac_sha1(std::string_view key, std::string_view message);

}  // namespace parley
