#include "app/config_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace parley;

namespace {
std::string write_toml(const std::string& text) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("parley-config-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

TEST(Config, EmbeddedDefaults) {
  auto c = app::load_config({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->data_dir, "./var");
  EXPECT_EQ(c->ring_timeout, 30);
  EXPECT_EQ(c->reconnect_grace, 20);
  EXPECT_EQ(c->sfu_start_bitrate, 2500);
}

TEST(Config, FileThenFlagsOverride) {
  app::ServeFlags f;
  f.config_file = write_toml(
      "listen = \"0.0.0.0:9000\"\nring_timeout = 12\nice_servers = [\"stun:a:3478\"]\n");
  f.ring_timeout = 5.5;
  auto c = app::load_config(f);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->listen, "0.0.0.0:9000");
  EXPECT_EQ(c->ring_timeout, 5.5);
  ASSERT_EQ(c->ice_servers.size(), 1u);
}

TEST(Config, ErrorsNameTheKey) {
  struct Case {
    std::string toml, key;
  };
  for (const auto& [toml, key] : std::vector<Case>{
           {"ring_timeout = \"soon\"\n", "ring_timeout"},
           {"ring_timeout = -1\n", "ring_timeout"},
           {"listen = \"nohost\"\n", "listen"},
           {"listen = \"127.0.0.1:99999\"\n", "listen"},
           {"colour = \"blue\"\n", "colour"},
           {"ice_servers = [\"http://x\"]\n", "ice_servers"},
           {"push_gateway = \"ftp://x\"\n", "push_gateway"},
           {"jwt_secret = \"short\"\n", "jwt_secret"},
           {"log_level = \"loud\"\n", "log_level"},
           {"sfu_start_bitrate = 10\n", "sfu_start_bitrate"},
           {"sfu_start_bitrate = 50000\n", "sfu_start_bitrate"},
       }) {
    app::ServeFlags f;
    f.config_file = write_toml(toml);
    auto c = app::load_config(f);
    ASSERT_FALSE(c) << toml;
    EXPECT_NE(c.error().message.find("'" + key + "'"), std::string::npos) << c.error().message;
  }
}

TEST(Config, SyntaxErrorsGiveALine) {
  app::ServeFlags f;
  f.config_file = write_toml("listen = \n");
  auto c = app::load_config(f);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(":1:"), std::string::npos) << c.error().message;
}

TEST(Config, TheDocumentedExampleLoads) {
  app::ServeFlags f;
  f.config_file = PARLEY_SOURCE_DIR "/docs/config.example.toml";
  auto c = app::load_config(f);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
}
