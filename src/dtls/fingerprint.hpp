#pragma once
// Certificate fingerprints as carried in SDP (RFC 8122 §5):
//   a=fingerprint:sha-256 AB:CD:...:EF
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

namespace parley::dtls {

struct Fingerprint {
  std::string algorithm;             // lower case hash name: "sha-256", "sha-1", ...
  std::vector<std::uint8_t> digest;  // raw digest bytes

  // "AB:CD:...": upper-case hex pairs joined by ':'.
  std::string hex() const;
  // "sha-256 AB:CD:..." (the value of an a=fingerprint attribute).
  std::string to_sdp() const;

  // Parses "sha-256 AB:CD:..." (an "a=fingerprint:" prefix is allowed).
  // Hash names and hex digits are case-insensitive; the digest length must
  // match the hash. md2/md5 are refused (RFC 8122 §5).
  static std::expected<Fingerprint, std::string> parse(std::string_view text);

  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

// The hash names Parley accepts: sha-1, sha-224, sha-256, sha-384, sha-512.
bool is_supported_hash(std::string_view algorithm);

// Digest of the DER encoding of `cert` with `algorithm` (e.g. "sha-256").
std::expected<Fingerprint, std::string> compute_fingerprint(const X509* cert, std::string_view algorithm = "sha-256");

}  // namespace parley::dtls
