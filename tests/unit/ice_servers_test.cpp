#include "api/ice_servers.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>

#include "common/base64.hpp"

using namespace parley;

TEST(TurnCredential, MatchesTheTurnRestApiFormula) {
  auto c = api::turn_credential("north", "u_bob", 1700000000);
  EXPECT_EQ(c.username, "1700000000:u_bob");
  // Independent computation: base64(HMAC-SHA1(secret, username)).
  unsigned char mac[20];
  unsigned int len = 0;
  HMAC(EVP_sha1(), "north", 5, reinterpret_cast<const unsigned char*>(c.username.data()),
       c.username.size(), mac, &len);
  EXPECT_EQ(c.credential, base64_encode(std::string(reinterpret_cast<char*>(mac), len)));
  EXPECT_EQ(c.credential.size(), 28u);
}

TEST(TurnCredential, KnownVector) {
  // echo -n "1700000000:u_bob" | openssl dgst -sha1 -hmac north -binary | base64
  EXPECT_EQ(api::turn_credential("north", "u_bob", 1700000000).credential,
            "fi1Yg4WPpg6inf33s7bgLNRc71M=");
}

TEST(IceServers, StunAsIsTurnWithExpiringCredential) {
  auto r = api::ice_servers_response({"stun:stun.example.org:3478", "turn:t.example.org:3478",
                                      "turns:t.example.org:443?transport=tcp"},
                                     "s3cret", "u_1", 1000, 600);
  const auto& servers = r.at("ice_servers").as_array();
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].at("urls").as_array().size(), 1u);
  EXPECT_FALSE(servers[0].as_object().contains("username"));
  EXPECT_EQ(servers[1].at("urls").as_array().size(), 2u);
  EXPECT_EQ(servers[1].at("username").as_string(), "1600:u_1");
  EXPECT_EQ(r.at("ttl").as_int64(), 600);
}

TEST(IceServers, NoUrlsNoServers) {
  auto r = api::ice_servers_response({}, "s", "u", 0, 60);
  EXPECT_TRUE(r.at("ice_servers").as_array().empty());
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar"})
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("a$c="));
}
