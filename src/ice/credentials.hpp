#pragma once

// ICE short-term credentials: the ufrag/pwd pair each side puts in its SDP
// (RFC 8445 §5.3, RFC 8839 §5.4) and the USERNAME built from two ufrags
// (RFC 8445 §7.2.2).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::ice {

// RFC 8445 §5.3: the ufrag has at least 24 bits of randomness and at least 4
// characters, the password at least 128 bits and at least 22 characters; RFC
// 8839 §5.4 caps both at 256 characters of ice-char.
inline constexpr std::size_t kMinUfragChars = 4;
inline constexpr std::size_t kMinPwdChars = 22;
inline constexpr std::size_t kMaxCredentialChars = 256;

// What we generate. 16 ice-chars are 96 random bits: ufrags are also the
// routing key of the one-port server (udp_mux_router.hpp), so they must not
// collide nor be guessable. 32 ice-chars of password are 192 bits.
inline constexpr std::size_t kDefaultUfragChars = 16;
inline constexpr std::size_t kDefaultPwdChars = 32;

struct IceCredentials {
  std::string ufrag;
  std::string pwd;

  friend bool operator==(const IceCredentials&, const IceCredentials&) = default;
};

// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/".
constexpr bool is_ice_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool is_valid_ufrag(std::string_view ufrag);  // 4-256 ice-chars
bool is_valid_pwd(std::string_view pwd);      // 22-256 ice-chars
bool is_valid(const IceCredentials& credentials);

// Random credentials from OpenSSL's CSPRNG (through stun::TransactionId,
// which already draws from it). Lengths below the RFC minimums are raised to
// them, above 256 lowered. Throws std::runtime_error only if the CSPRNG fails.
IceCredentials generate_credentials(std::size_t ufrag_chars = kDefaultUfragChars,
                                    std::size_t pwd_chars = kDefaultPwdChars);

// RFC 8445 §7.2.2: the USERNAME of a check is "<receiver's ufrag>:<sender's
// ufrag>".
std::string make_username(std::string_view receiver_ufrag, std::string_view sender_ufrag);

struct UsernameParts {
  std::string_view receiver_ufrag;  // before the first ':'
  std::string_view sender_ufrag;    // after it
};

// Splits at the first ':'. Nothing if there is no ':' or either side is
// empty. The views alias `username`.
std::optional<UsernameParts> split_username(std::string_view username);

}  // namespace parley::ice
