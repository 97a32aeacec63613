#pragma once
// Turning OpenSSL's thread-local error queue into readable text.
#include <string>
#include <string_view>

namespace parley::dtls {

// Drains the calling thread's OpenSSL error queue into one line
// ("error:0A000086:SSL routines::certificate verify failed; ..."); returns
// `fallback` when the queue is empty.
std::string drain_openssl_errors(std::string_view fallback = "no OpenSSL error reported");

// `context` + ": " + drain_openssl_errors().
std::string openssl_failure(std::string_view context);

}  // namespace parley::dtls
