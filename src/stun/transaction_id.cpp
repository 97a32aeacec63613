#include "stun/transaction_id.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace parley::stun {

TransactionId TransactionId::random() {
  TransactionId id;
  if (RAND_bytes(id.bytes.data(), static_cast<int>(id.bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: cannot draw a STUN transaction id");
  }
  return id;
}

TransactionId TransactionId::from(std::span<const std::uint8_t, kSize> bytes) {
  TransactionId id;
  std::ranges::copy(bytes, id.bytes.begin());
  return id;
}

std::string TransactionId::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(kSize * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

}  // namespace parley::stun

std::size_t std::hash<parley::stun::TransactionId>::operator()(
    const parley::stun::TransactionId& id) const noexcept {
  // The id is random (RFC 8489 §5), so any 64 bits of it are a good hash;
  // FNV-1a over all of it also spreads ids chosen by a careless peer.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : id.bytes) {
    h = (h ^ b) * 0x100000001b3ULL;
  }
  return static_cast<std::size_t>(h);
}
