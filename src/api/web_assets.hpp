#pragma once
#include <string_view>

namespace parley::api {

struct WebAsset {
  std::string_view path;  // "/index.html", "/js/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

// The browser client (web/), compiled into the binary by cmake/embed_web.cmake.
const WebAsset* find_web_asset(std::string_view path);

}  // namespace parley::api
