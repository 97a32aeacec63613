#pragma once
#include <spdlog/spdlog.h>

#include <string_view>

namespace parley {

// Sets up the process-wide logger: one line per event, to stderr, with a level
// taken from config ("trace".."off"). Secrets are never passed to it.
void init_logging(std::string_view level);

}  // namespace parley
