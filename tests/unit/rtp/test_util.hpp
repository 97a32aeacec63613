#pragma once

// Helpers shared by the rtp unit tests.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace parley::rtp::test {

using Bytes = std::vector<std::uint8_t>;

// "80 60 12 34" (spaces and line breaks ignored) to bytes.
inline Bytes hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  int high = -1;
  for (char c : text) {
    const int v = nibble(c);
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

// A heap copy of exactly `size` bytes of `bytes`, so that AddressSanitizer
// catches a read one past the end of a truncated input.
class ExactCopy {
 public:
  ExactCopy(std::span<const std::uint8_t> bytes, std::size_t size)
      : data_(std::make_unique<std::uint8_t[]>(size == 0 ? 1 : size)), size_(size) {
    for (std::size_t i = 0; i < size; ++i) data_[i] = bytes[i];
  }
  std::span<std::uint8_t> span() { return {data_.get(), size_}; }
  std::span<const std::uint8_t> cspan() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_;
};

// Calls f(prefix) for every proper prefix of `bytes` (as an exact-size copy).
template <typename F>
void for_each_prefix(std::span<const std::uint8_t> bytes, F&& f) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ExactCopy copy(bytes, n);
    f(copy.span());
  }
}

}  // namespace parley::rtp::test
