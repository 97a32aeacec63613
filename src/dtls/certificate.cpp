#include "dtls/certificate.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <array>
#include <mutex>

#include "dtls/openssl_error.hpp"

namespace parley::dtls {
namespace {

struct X509Deleter { void operator()(X509* p) const { X509_free(p); } };
struct PkeyDeleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct BnDeleter { void operator()(BIGNUM* p) const { BN_free(p); } };

std::string random_hex(std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::array<unsigned char, 32> buf{};
  if (bytes > buf.size() || RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) return {};
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += kDigits[buf[i] >> 4];
    out += kDigits[buf[i] & 0x0F];
  }
  return out;
}

}  // namespace

Certificate::~Certificate() {
  X509_free(x509_);
  EVP_PKEY_free(key_);
}

std::expected<std::shared_ptr<const Certificate>, std::string> Certificate::generate(std::chrono::seconds validity) {
  if (validity.count() <= 0) return std::unexpected(std::string("certificate: validity must be positive"));

  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_EC_gen("P-256"));
  if (!key) return std::unexpected(openssl_failure("certificate: generating the P-256 key"));

  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!cert) return std::unexpected(openssl_failure("certificate: X509_new"));
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return std::unexpected(openssl_failure("certificate: version"));

  // Random positive 63-bit serial.
  std::array<unsigned char, 8> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
    return std::unexpected(openssl_failure("certificate: random serial"));
  }
  serial[0] &= 0x7F;
  std::unique_ptr<BIGNUM, BnDeleter> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return std::unexpected(openssl_failure("certificate: serial"));
  }

  constexpr long kOneDay = 24 * 60 * 60;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kOneDay) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count())) == nullptr) {
    return std::unexpected(openssl_failure("certificate: validity period"));
  }

  const std::string hex = random_hex(8);
  if (hex.empty()) return std::unexpected(openssl_failure("certificate: random common name"));
  std::string cn = "parley-" + hex;
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return std::unexpected(openssl_failure("certificate: subject name"));
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return std::unexpected(openssl_failure("certificate: public key"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return std::unexpected(openssl_failure("certificate: signing"));

  auto fp = compute_fingerprint(cert.get(), "sha-256");
  if (!fp) return std::unexpected(fp.error());

  return std::shared_ptr<const Certificate>(
      new Certificate(cert.release(), key.release(), std::move(*fp), std::move(cn)));
}

std::expected<std::shared_ptr<const Certificate>, std::string> Certificate::process_certificate() {
  static std::once_flag once;
  static std::expected<std::shared_ptr<const Certificate>, std::string> result =
      std::unexpected(std::string("certificate: not generated"));
  std::call_once(once, [] { result = generate(); });
  return result;
}

}  // namespace parley::dtls
