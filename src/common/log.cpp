#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace parley {

void init_logging(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("parley");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(logger);
}

}  // namespace parley
