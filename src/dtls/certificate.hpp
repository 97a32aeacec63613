#pragma once
// The DTLS certificate: ECDSA P-256, self-signed, random serial and CN,
// generated at start. WebRTC authenticates it by its fingerprint in SDP, not
// by a CA, so one per process is enough (RFC 8827 §6.5).
#include <chrono>
#include <expected>
#include <memory>
#include <string>

#include <openssl/types.h>

#include "dtls/fingerprint.hpp"

namespace parley::dtls {

class Certificate {
 public:
  static constexpr std::chrono::seconds kDefaultValidity = std::chrono::days(30);

  // A fresh key pair and certificate valid from one day ago (clock skew) for
  // `validity`.
  static std::expected<std::shared_ptr<const Certificate>, std::string> generate(
      std::chrono::seconds validity = kDefaultValidity);

  // The per-process certificate: generated on first use (thread-safe), then
  // shared. A failure is remembered and returned to every caller.
  static std::expected<std::shared_ptr<const Certificate>, std::string> process_certificate();

  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  X509* x509() const { return x509_; }
  EVP_PKEY* private_key() const { return key_; }
  // SHA-256 fingerprint, for the local SDP's a=fingerprint.
  const Fingerprint& fingerprint() const { return fingerprint_; }
  const std::string& common_name() const { return common_name_; }

 private:
  Certificate(X509* x509, EVP_PKEY* key, Fingerprint fp, std::string cn)
      : x509_(x509), key_(key), fingerprint_(std::move(fp)), common_name_(std::move(cn)) {}

  X509* x509_;
  EVP_PKEY* key_;
  Fingerprint fingerprint_;
  std::string common_name_;
};

}  // namespace parley::dtls
