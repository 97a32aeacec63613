#include "ice/credentials.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace parley::ice {
namespace {

TEST(CredentialsTest, GeneratedCredentialsMeetRfc8445Section5_3) {
  std::set<std::string> ufrags;
  for (int i = 0; i < 200; ++i) {
    const auto c = generate_credentials();
    EXPECT_EQ(c.ufrag.size(), kDefaultUfragChars);
    EXPECT_EQ(c.pwd.size(), kDefaultPwdChars);
    EXPECT_TRUE(is_valid(c)) << c.ufrag << " " << c.pwd;
    ufrags.insert(c.ufrag);
  }
  EXPECT_EQ(ufrags.size(), 200u);  // 96 random bits: no collision
}

TEST(CredentialsTest, LengthsAreClampedToTheRfcBounds) {
  const auto small = generate_credentials(1, 1);
  EXPECT_EQ(small.ufrag.size(), kMinUfragChars);
  EXPECT_EQ(small.pwd.size(), kMinPwdChars);
  const auto big = generate_credentials(1000, 1000);
  EXPECT_EQ(big.ufrag.size(), kMaxCredentialChars);
  EXPECT_EQ(big.pwd.size(), kMaxCredentialChars);
}

TEST(CredentialsTest, Validation) {
  EXPECT_TRUE(is_valid_ufrag("abcd"));
  EXPECT_TRUE(is_valid_ufrag("a+/9"));
  EXPECT_FALSE(is_valid_ufrag("abc"));
  EXPECT_FALSE(is_valid_ufrag("ab:cd"));
  EXPECT_FALSE(is_valid_ufrag("ab cd"));
  EXPECT_FALSE(is_valid_ufrag(std::string(257, 'a')));
  EXPECT_TRUE(is_valid_ufrag(std::string(256, 'a')));
  EXPECT_TRUE(is_valid_pwd(std::string(22, 'x')));
  EXPECT_FALSE(is_valid_pwd(std::string(21, 'x')));
  EXPECT_FALSE(is_valid_pwd(std::string(21, 'x') + "="));
}

TEST(CredentialsTest, UsernameRoundTrip) {
  EXPECT_EQ(make_username("serv", "brow"), "serv:brow");
  const auto parts = split_username("serv:brow");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->receiver_ufrag, "serv");
  EXPECT_EQ(parts->sender_ufrag, "brow");
  EXPECT_FALSE(split_username("nocolon"));
  EXPECT_FALSE(split_username(":brow"));
  EXPECT_FALSE(split_username("serv:"));
  // Only the first ':' splits.
  EXPECT_EQ(split_username("a:b:c")->sender_ufrag, "b:c");
}

}  // namespace
}  // namespace parley::ice
