#include "turn/auth.hpp"

#include <gtest/gtest.h>

#include <array>

#include "common/base64.hpp"

using namespace parley::turn;

namespace {
const std::array<std::uint8_t, 4> kIp{192, 0, 2, 1};
const std::array<std::uint8_t, 4> kOtherIp{192, 0, 2, 2};
const std::array<std::uint8_t, 32> kKey{1, 2, 3};
}  // namespace

TEST(Nonce, FreshUntilTheTtlThenStale) {
  const NonceService nonces(kKey, 600);
  const std::int64_t t0 = 1'700'000'000;
  const auto n = nonces.issue(t0, kIp);
  EXPECT_EQ(nonces.check(n, t0, kIp), NonceService::Verdict::Fresh);
  EXPECT_EQ(nonces.check(n, t0 + 599, kIp), NonceService::Verdict::Fresh);
  EXPECT_EQ(nonces.check(n, t0 + 600, kIp), NonceService::Verdict::Stale);
  EXPECT_EQ(nonces.check(n, t0 + 100000, kIp), NonceService::Verdict::Stale);
}

TEST(Nonce, ForgedOrForeignNoncesAreInvalid) {
  const NonceService nonces(kKey, 600);
  const std::int64_t t0 = 1'700'000'000;
  const auto n = nonces.issue(t0, kIp);
  EXPECT_EQ(nonces.check(n, t0, kOtherIp), NonceService::Verdict::Invalid);
  const NonceService other(std::array<std::uint8_t, 32>{9}, 600);
  EXPECT_EQ(other.check(n, t0, kIp), NonceService::Verdict::Invalid);
  // A client that rewrites the timestamp to stay fresh breaks the MAC.
  auto moved = n;
  moved[15] = moved[15] == '0' ? '1' : '0';
  EXPECT_EQ(nonces.check(moved, t0, kIp), NonceService::Verdict::Invalid);
  EXPECT_EQ(nonces.check("", t0, kIp), NonceService::Verdict::Invalid);
  EXPECT_EQ(nonces.check(std::string(48, 'z'), t0, kIp), NonceService::Verdict::Invalid);
  EXPECT_EQ(nonces.check(n + "x", t0, kIp), NonceService::Verdict::Invalid);
  // Issued in the future (beyond a small step): invalid.
  EXPECT_EQ(nonces.check(nonces.issue(t0 + 60, kIp), t0, kIp), NonceService::Verdict::Invalid);
}

TEST(Credentials, RestUsernamesAsTheApiMintsThem) {
  const CredentialStore store("parley", "s3cret", {});
  const std::int64_t now = 1'700'000'000;
  const std::string username = std::to_string(now + 3600) + ":u_42";
  const auto cred = store.lookup(username, now);
  ASSERT_TRUE(cred);
  // api::turn_credential: base64(HMAC-SHA1(secret, username)).
  EXPECT_EQ(cred->password, parley::base64_encode(parley::hmac_sha1("s3cret", username)));
  EXPECT_EQ(cred->principal, "rest:u_42");
  std::string principal;
  const auto key = store.key_for(username, now, &principal);
  ASSERT_TRUE(key);
  const auto expected = parley::stun::long_term_key(username, "parley", cred->password);
  ASSERT_TRUE(expected);
  EXPECT_EQ(std::vector(key->view().begin(), key->view().end()),
            std::vector(expected->view().begin(), expected->view().end()));
}

TEST(Credentials, ExpiredAndMalformedRestUsernamesAreRefused) {
  const CredentialStore store("parley", "s3cret", {});
  const std::int64_t now = 1'700'000'000;
  EXPECT_EQ(store.lookup(std::to_string(now - 1) + ":u_42", now).error(), CredentialError::Expired);
  EXPECT_TRUE(store.lookup(std::to_string(now) + ":u_42", now));
  EXPECT_FALSE(store.lookup("u_42", now));
  EXPECT_FALSE(store.lookup(":u_42", now));
  EXPECT_FALSE(store.lookup("123:", now));
  EXPECT_FALSE(store.lookup("12x:u", now));
  EXPECT_FALSE(store.lookup("-5:u", now));
  EXPECT_FALSE(store.lookup("99999999999999999999999:u", now));
  EXPECT_FALSE(store.lookup("", now));
}

TEST(Credentials, StaticUsersAndNoSecret) {
  const CredentialStore store("parley", "", {{"alice", "pw1"}, {"bob", "pw:2"}});
  const std::int64_t now = 1'700'000'000;
  ASSERT_TRUE(store.lookup("alice", now));
  EXPECT_EQ(store.lookup("alice", now)->password, "pw1");
  EXPECT_EQ(store.lookup("bob", now)->principal, "static:bob");
  EXPECT_EQ(store.lookup("carol", now).error(), CredentialError::Unknown);
  // Without a secret, REST usernames are unknown.
  EXPECT_FALSE(store.lookup(std::to_string(now + 60) + ":u", now));
}
