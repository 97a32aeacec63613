#include "common/ids.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace parley {
namespace {
void fill_random(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}
}  // namespace

std::string random_id(std::string_view prefix) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::array<unsigned char, 26> bytes{};
  fill_random(bytes.data(), bytes.size());
  std::string id(prefix);
  for (unsigned char b : bytes) id.push_back(kAlphabet[b & 31]);  // 26 * 5 bits = 130 bits
  return id;
}

std::string random_hex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string bytes(n, '\0');
  fill_random(reinterpret_cast<unsigned char*>(bytes.data()), n);
  std::string out;
  out.reserve(n * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string random_chars(std::string_view alphabet, std::size_t n) {
  // Rejection sampling: bytes at or above the largest multiple of the
  // alphabet size are drawn again, so that no character is favoured.
  const unsigned size = static_cast<unsigned>(alphabet.size());
  const unsigned limit = 256 - 256 % size;
  std::string out;
  out.reserve(n);
  std::array<unsigned char, 64> pool{};
  while (out.size() < n) {
    fill_random(pool.data(), pool.size());
    for (unsigned char b : pool)
      if (b < limit && out.size() < n) out.push_back(alphabet[b % size]);
  }
  return out;
}

bool is_token_name(std::string_view name, std::size_t max) {
  return !name.empty() && name.size() <= max && std::ranges::all_of(name, [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch == ':';
  });
}

}  // namespace parley
