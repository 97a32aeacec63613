#include "common/jwt.hpp"

#include <cstdlib>
#include <stdexcept>

namespace parley::jwt {

namespace {
const unsigned char* key_of(const std::string& secret) { return reinterpret_cast<const unsigned char*>(secret.data()); }
}  // namespace

Token make_hs256(const std::string& secret) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  Token t(raw);
  jwt_set_alg(t.get(), JWT_ALG_HS256, key_of(secret), static_cast<int>(secret.size()));
  return t;
}

std::string encode(const Token& token) {
  char* encoded = jwt_encode_str(token.get());
  if (!encoded) throw std::runtime_error("jwt_encode_str failed");
  std::string out(encoded);
  std::free(encoded);
  return out;
}

Token decode_hs256(std::string_view text, const std::string& secret) {
  if (text.empty() || text.size() > 4096) return nullptr;
  jwt_t* raw = nullptr;
  const std::string t(text);
  if (jwt_decode(&raw, t.c_str(), key_of(secret), static_cast<int>(secret.size())) != 0 || !raw) return nullptr;
  Token token(raw);
  // Only our algorithm: never "none", never a key-confusion downgrade.
  if (jwt_get_alg(token.get()) != JWT_ALG_HS256) return nullptr;
  return token;
}

std::string claim(const Token& token, const char* name) {
  const char* v = jwt_get_grant(token.get(), name);
  return v ? std::string(v) : std::string();
}

}  // namespace parley::jwt
