#pragma once

// A view of an array of fixed-size wire records (report blocks, NACK items,
// FIR entries, SSRC lists) decoded one at a time on access: no copy, no
// allocation. A record type T provides `static constexpr std::size_t kSize`
// and `static T read(const std::uint8_t*)`; RecordTraits adapts other types.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

template <typename T>
struct RecordTraits {
  static constexpr std::size_t kSize = T::kSize;
  static T read(const std::uint8_t* p) { return T::read(p); }
};

// SSRC lists (BYE, REMB): 32-bit big-endian values.
template <>
struct RecordTraits<std::uint32_t> {
  static constexpr std::size_t kSize = 4;
  static std::uint32_t read(const std::uint8_t* p) { return detail::load_u32(p); }
};

template <typename T>
class RecordRange {
  using Traits = RecordTraits<T>;

 public:
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;

    iterator() = default;
    explicit iterator(const std::uint8_t* p) : p_(p) {}
    T operator*() const { return Traits::read(p_); }
    iterator& operator++() {
      p_ += Traits::kSize;
      return *this;
    }
    iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const iterator&, const iterator&) = default;

   private:
    const std::uint8_t* p_ = nullptr;
  };

  RecordRange() = default;
  // Whole records only: a trailing partial record is not part of the range.
  explicit RecordRange(std::span<const std::uint8_t> bytes)
      : bytes_(bytes.first(bytes.size() / Traits::kSize * Traits::kSize)) {}

  std::size_t size() const { return bytes_.size() / Traits::kSize; }
  bool empty() const { return bytes_.empty(); }
  // i < size().
  T operator[](std::size_t i) const { return Traits::read(bytes_.data() + i * Traits::kSize); }
  iterator begin() const { return iterator(bytes_.data()); }
  iterator end() const { return iterator(bytes_.data() + bytes_.size()); }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  std::span<const std::uint8_t> bytes_;
};

}  // namespace parley::rtp
