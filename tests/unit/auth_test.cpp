#include "api/auth.hpp"

#include <gtest/gtest.h>

#include "common/base64.hpp"

using namespace parley;

namespace {
const std::string kSecret(40, 'k');
const calls::UserRef kAlice{"u_alice", "alice", "Alice A."};

// Splits a JWT and returns its decoded JSON header and payload.
std::pair<std::string, std::string> decode_parts(const std::string& token) {
  auto dot1 = token.find('.');
  auto dot2 = token.find('.', dot1 + 1);
  auto unb64url = [](std::string s) {
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    return base64_decode(s).value_or("");
  };
  return {unb64url(token.substr(0, dot1)), unb64url(token.substr(dot1 + 1, dot2 - dot1 - 1))};
}
}  // namespace

TEST(TokenService, IssuedTokenVerifiesToTheSameUser) {
  api::TokenService tokens(kSecret, std::chrono::hours(1));
  auto user = tokens.verify(tokens.issue(kAlice));
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->user_id, "u_alice");
  EXPECT_EQ(user->username, "alice");
  EXPECT_EQ(user->display_name, "Alice A.");
}

TEST(TokenService, TokenIsHs256WithExpiry) {
  api::TokenService tokens(kSecret, std::chrono::hours(1));
  auto [header, payload] = decode_parts(tokens.issue(kAlice));
  EXPECT_NE(header.find("\"HS256\""), std::string::npos) << header;
  EXPECT_NE(payload.find("\"exp\""), std::string::npos) << payload;
  EXPECT_NE(payload.find("\"sub\":\"u_alice\""), std::string::npos) << payload;
}

TEST(TokenService, AnotherSecretIsRefused) {
  api::TokenService mine(kSecret, std::chrono::hours(1));
  api::TokenService theirs(std::string(40, 'x'), std::chrono::hours(1));
  auto r = mine.verify(theirs.issue(kAlice));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "unauthorized");
}

TEST(TokenService, ATamperedPayloadIsRefused) {
  api::TokenService tokens(kSecret, std::chrono::hours(1));
  std::string t = tokens.issue(kAlice);
  const auto dot = t.find('.');
  t[dot + 5] = t[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(t));
}

TEST(TokenService, AlgNoneIsRefused) {
  api::TokenService tokens(kSecret, std::chrono::hours(1));
  // {"alg":"none","typ":"JWT"} . {"sub":"u_alice","username":"alice","exp":9999999999} .
  const std::string forged =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
      "eyJzdWIiOiJ1X2FsaWNlIiwidXNlcm5hbWUiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.";
  EXPECT_FALSE(tokens.verify(forged));
}

TEST(TokenService, ExpiredTokenIsRefused) {
  api::TokenService tokens(kSecret, std::chrono::seconds(-10));
  auto r = tokens.verify(tokens.issue(kAlice));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "token expired");
}

TEST(TokenService, GarbageIsRefused) {
  api::TokenService tokens(kSecret, std::chrono::hours(1));
  for (const std::string& bad : std::vector<std::string>{"", "a.b.c", "....", std::string(5000, 'a'), "eyJ.eyJ.sig"})
    EXPECT_FALSE(tokens.verify(bad)) << bad;
}

TEST(TokenService, ShortSecretsAreRejectedAtStartup) {
  EXPECT_THROW(api::TokenService("short", std::chrono::hours(1)), std::invalid_argument);
}

TEST(Passwords, Argon2idHashVerifiesOnlyTheRightPassword) {
  const auto hash = api::hash_password("correct horse");
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_TRUE(api::verify_password(hash, "correct horse"));
  EXPECT_FALSE(api::verify_password(hash, "correct horsE"));
  EXPECT_NE(hash, api::hash_password("correct horse"));  // salted
}

TEST(AccountRules, UsernamesPasswordsAndNames) {
  EXPECT_TRUE(api::check_username("alice_01"));
  EXPECT_FALSE(api::check_username("al"));
  EXPECT_FALSE(api::check_username("Alice"));
  EXPECT_FALSE(api::check_username("a b c"));
  EXPECT_FALSE(api::check_username(std::string(33, 'a')));
  EXPECT_TRUE(api::check_password("12345678"));
  EXPECT_FALSE(api::check_password("1234567"));
  EXPECT_TRUE(api::check_display_name("Zoë Ünal"));
  EXPECT_FALSE(api::check_display_name(""));
  EXPECT_FALSE(api::check_display_name("line\nbreak"));
}
