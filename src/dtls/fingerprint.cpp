#include "dtls/fingerprint.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cctype>

#include "dtls/openssl_error.hpp"

namespace parley::dtls {
namespace {

struct HashDef {
  std::string_view name;
  const EVP_MD* (*md)();
  std::size_t length;
};

constexpr HashDef kHashes[] = {
    {"sha-1", &EVP_sha1, 20},     {"sha-224", &EVP_sha224, 28}, {"sha-256", &EVP_sha256, 32},
    {"sha-384", &EVP_sha384, 48}, {"sha-512", &EVP_sha512, 64},
};

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const HashDef* find_hash(std::string_view algorithm) {
  const std::string lower = to_lower(algorithm);
  for (const HashDef& h : kHashes) {
    if (h.name == lower) return &h;
  }
  return nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Fingerprint::hex() const {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 3);
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i != 0) out += ':';
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 0x0F];
  }
  return out;
}

std::string Fingerprint::to_sdp() const { return algorithm + " " + hex(); }

std::expected<Fingerprint, std::string> Fingerprint::parse(std::string_view text) {
  text = trim(text);
  constexpr std::string_view kPrefix = "a=fingerprint:";
  if (text.size() >= kPrefix.size() && to_lower(text.substr(0, kPrefix.size())) == kPrefix) {
    text.remove_prefix(kPrefix.size());
  }
  const auto space = text.find_first_of(" \t");
  if (space == std::string_view::npos) return std::unexpected("fingerprint: expected '<hash> <hex>' in '" + std::string(text) + "'");
  const std::string_view hash_name = text.substr(0, space);
  const std::string_view hex = trim(text.substr(space + 1));
  const HashDef* hash = find_hash(hash_name);
  if (hash == nullptr) return std::unexpected("fingerprint: unsupported hash function '" + std::string(hash_name) + "'");

  Fingerprint fp;
  fp.algorithm = std::string(hash->name);
  // Exactly "XX:XX:...:XX".
  if (hex.size() != hash->length * 3 - 1) {
    return std::unexpected("fingerprint: " + fp.algorithm + " needs " + std::to_string(hash->length) +
                           " colon-separated hex bytes");
  }
  fp.digest.reserve(hash->length);
  for (std::size_t i = 0; i < hex.size(); i += 3) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < hex.size() && hex[i + 2] != ':')) {
      return std::unexpected("fingerprint: malformed hex at offset " + std::to_string(i));
    }
    fp.digest.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return fp;
}

bool is_supported_hash(std::string_view algorithm) { return find_hash(algorithm) != nullptr; }

std::expected<Fingerprint, std::string> compute_fingerprint(const X509* cert, std::string_view algorithm) {
  if (cert == nullptr) return std::unexpected(std::string("fingerprint: no certificate"));
  const HashDef* hash = find_hash(algorithm);
  if (hash == nullptr) return std::unexpected("fingerprint: unsupported hash function '" + std::string(algorithm) + "'");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, hash->md(), md, &n) != 1) return std::unexpected(openssl_failure("X509_digest"));
  Fingerprint fp;
  fp.algorithm = std::string(hash->name);
  fp.digest.assign(md, md + n);
  return fp;
}

}  // namespace parley::dtls
