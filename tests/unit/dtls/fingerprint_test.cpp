#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>
#include <regex>

#include "dtls/certificate.hpp"
#include "dtls/fingerprint.hpp"

namespace parley::dtls {
namespace {

TEST(Certificate, FingerprintIsSha256InSdpForm) {
  auto cert = Certificate::generate();
  ASSERT_TRUE(cert.has_value()) << cert.error();
  const Fingerprint& fp = (*cert)->fingerprint();
  EXPECT_EQ(fp.algorithm, "sha-256");
  ASSERT_EQ(fp.digest.size(), 32u);
  const std::string sdp = fp.to_sdp();
  EXPECT_TRUE(std::regex_match(sdp, std::regex("sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}"))) << sdp;
  EXPECT_EQ(sdp.size(), 8u + 32 * 3 - 1);

  // Same digest as OpenSSL's own over the DER encoding.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ASSERT_EQ(X509_digest((*cert)->x509(), EVP_sha256(), md, &n), 1);
  EXPECT_EQ(std::vector<std::uint8_t>(md, md + n), fp.digest);
}

TEST(Certificate, IsEcdsaP256SelfSignedWithRandomSerialAndName) {
  auto a = Certificate::generate();
  auto b = Certificate::generate();
  ASSERT_TRUE(a && b);
  X509* x = (*a)->x509();
  EVP_PKEY* pub = X509_get0_pubkey(x);
  ASSERT_NE(pub, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(pub, "EC"));
  char group[64] = {};
  size_t glen = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(pub, group, sizeof(group), &glen), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_verify(x, pub), 1);  // self-signed
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);

  EXPECT_NE((*a)->fingerprint(), (*b)->fingerprint());
  EXPECT_NE((*a)->common_name(), (*b)->common_name());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber((*b)->x509())), 0);

  // Valid now, and for about 30 days.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(x)), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(x)), 0);
  std::time_t in29days = std::time(nullptr) + 29 * 86400;
  std::time_t in31days = std::time(nullptr) + 31 * 86400;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(x), &in29days), 0);
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(x), &in31days), 0);
}

TEST(Certificate, ProcessCertificateIsGeneratedOnce) {
  auto a = Certificate::process_certificate();
  auto b = Certificate::process_certificate();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
}

TEST(Certificate, RejectsNonPositiveValidity) {
  EXPECT_FALSE(Certificate::generate(std::chrono::seconds(0)).has_value());
}

TEST(Fingerprint, ParseRoundTrip) {
  auto cert = Certificate::generate();
  ASSERT_TRUE(cert);
  const Fingerprint& fp = (*cert)->fingerprint();
  auto parsed = Fingerprint::parse(fp.to_sdp());
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*parsed, fp);
}

TEST(Fingerprint, ParseIsCaseInsensitiveAndAcceptsAttributePrefix) {
  const std::string hex = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89";
  auto a = Fingerprint::parse("SHA-256 " + hex);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->algorithm, "sha-256");
  EXPECT_EQ(a->digest[0], 0xAB);
  EXPECT_EQ(a->digest[31], 0x89);
  auto b = Fingerprint::parse("a=fingerprint:sha-256 " + hex + "\r\n");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->hex().substr(0, 6), "AB:CD:");
}

TEST(Fingerprint, ParseOtherHashes) {
  auto fp = Fingerprint::parse("sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
  ASSERT_TRUE(fp) << fp.error();
  EXPECT_EQ(fp->digest.size(), 20u);
}

TEST(Fingerprint, ParseRejectsMalformed) {
  EXPECT_FALSE(Fingerprint::parse(""));
  EXPECT_FALSE(Fingerprint::parse("sha-256"));
  EXPECT_FALSE(Fingerprint::parse("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"));
  EXPECT_FALSE(Fingerprint::parse("sha-256 AB:CD"));  // too short
  EXPECT_FALSE(Fingerprint::parse(
      "sha-256 ZZ:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"));
  EXPECT_FALSE(Fingerprint::parse(
      "sha-256 AB-CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"));
  auto e = Fingerprint::parse("whirlpool AB");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("whirlpool"), std::string::npos);
}

TEST(Fingerprint, ComputeWithOtherHash) {
  auto cert = Certificate::generate();
  ASSERT_TRUE(cert);
  auto fp = compute_fingerprint((*cert)->x509(), "sha-512");
  ASSERT_TRUE(fp) << fp.error();
  EXPECT_EQ(fp->algorithm, "sha-512");
  EXPECT_EQ(fp->digest.size(), 64u);
  EXPECT_FALSE(compute_fingerprint((*cert)->x509(), "md5"));
  EXPECT_FALSE(compute_fingerprint(nullptr));
}

}  // namespace
}  // namespace parley::dtls
