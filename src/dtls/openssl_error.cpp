#include "dtls/openssl_error.hpp"

#include <openssl/err.h>

namespace parley::dtls {

std::string drain_openssl_errors(std::string_view fallback) {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ')';
    }
  }
  if (out.empty()) out = fallback;
  return out;
}

std::string openssl_failure(std::string_view context) {
  std::string out(context);
  out += ": ";
  out += drain_openssl_errors();
  return out;
}

}  // namespace parley::dtls
