#include "ice/credentials.hpp"

#include <algorithm>

#include "stun/transaction_id.hpp"

namespace parley::ice {
namespace {

bool all_ice_chars(std::string_view s) { return std::ranges::all_of(s, is_ice_char); }

// 64 symbols, so the low 6 bits of a uniform random byte pick one uniformly.
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kAlphabet.size() == 64);

std::string random_ice_string(std::size_t chars) {
  std::string out;
  out.reserve(chars);
  while (out.size() < chars) {
    const auto random = stun::TransactionId::random();
    for (std::uint8_t b : random.bytes) {
      if (out.size() == chars) break;
      out.push_back(kAlphabet[b & 0x3F]);
    }
  }
  return out;
}

}  // namespace

bool is_valid_ufrag(std::string_view ufrag) {
  return ufrag.size() >= kMinUfragChars && ufrag.size() <= kMaxCredentialChars &&
         all_ice_chars(ufrag);
}

bool is_valid_pwd(std::string_view pwd) {
  return pwd.size() >= kMinPwdChars && pwd.size() <= kMaxCredentialChars && all_ice_chars(pwd);
}

bool is_valid(const IceCredentials& credentials) {
  return is_valid_ufrag(credentials.ufrag) && is_valid_pwd(credentials.pwd);
}

IceCredentials generate_credentials(std::size_t ufrag_chars, std::size_t pwd_chars) {
  ufrag_chars = std::clamp(ufrag_chars, kMinUfragChars, kMaxCredentialChars);
  pwd_chars = std::clamp(pwd_chars, kMinPwdChars, kMaxCredentialChars);
  return {random_ice_string(ufrag_chars), random_ice_string(pwd_chars)};
}

std::string make_username(std::string_view receiver_ufrag, std::string_view sender_ufrag) {
  std::string out;
  out.reserve(receiver_ufrag.size() + 1 + sender_ufrag.size());
  out.append(receiver_ufrag).append(1, ':').append(sender_ufrag);
  return out;
}

std::optional<UsernameParts> split_username(std::string_view username) {
  const auto colon = username.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == username.size()) {
    return std::nullopt;
  }
  return UsernameParts{username.substr(0, colon), username.substr(colon + 1)};
}

}  // namespace parley::ice
