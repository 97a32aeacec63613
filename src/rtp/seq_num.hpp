#pragma once

// Wrap-aware arithmetic on RTP sequence numbers (16 bits, RFC 3550 §5.1) and
// timestamps (32 bits): serial-number comparison in the manner of RFC 1982
// and unwrapping to a monotonic 64-bit counter (the "extended highest sequence
// number" of RFC 3550 §6.4.1 and Appendix A.1 generalised).

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace parley::rtp {

// a - b as the signed distance on the circle: the shortest way round, in
// [-2^(N-1), 2^(N-1)). Works for std::uint16_t (sequence numbers), std::uint32_t
// (timestamps) and std::uint8_t (VP8 TL0PICIDX).
template <std::unsigned_integral T>
constexpr std::make_signed_t<T> serial_diff(T a, T b) {
  return static_cast<std::make_signed_t<T>>(static_cast<T>(a - b));
}

// true if `a` comes after `b`. When the two are exactly half the circle apart
// the larger value counts as newer, so that is_newer(a, b) and is_newer(b, a)
// are never both true.
template <std::unsigned_integral T>
constexpr bool is_newer(T a, T b) {
  constexpr T kHalf = T{1} << (std::numeric_limits<T>::digits - 1);
  const T d = static_cast<T>(a - b);
  if (d == kHalf) return a > b;
  return d != 0 && d < kHalf;
}

template <std::unsigned_integral T>
constexpr bool is_newer_or_equal(T a, T b) {
  return a == b || is_newer(a, b);
}

// The newer of two values.
template <std::unsigned_integral T>
constexpr T newest(T a, T b) {
  return is_newer(b, a) ? b : a;
}

// Sequence-number spellings of the above.
constexpr std::int16_t seq_diff(std::uint16_t a, std::uint16_t b) {
  return serial_diff(a, b);
}
constexpr bool seq_newer(std::uint16_t a, std::uint16_t b) {
  return is_newer(a, b);
}

// Turns wrapping N-bit values into a 64-bit counter: each value is placed at
// the point nearest to the last value seen. The first value unwraps to
// itself; later values may be below it (reordering right at the start gives
// small negative results rather than a jump of 2^N).
template <std::unsigned_integral T>
class Unwrapper {
 public:
  // Unwraps `value` and remembers it as the reference for the next call.
  constexpr std::int64_t unwrap(T value) {
    const std::int64_t result = peek(value);
    last_ = result;
    return result;
  }

  // Unwraps `value` without moving the reference.
  constexpr std::int64_t peek(T value) const {
    if (!last_) return static_cast<std::int64_t>(value);
    return *last_ + serial_diff(value, static_cast<T>(*last_));
  }

  // The last unwrapped value, if any.
  constexpr std::optional<std::int64_t> last() const { return last_; }

  constexpr void reset() { last_.reset(); }

 private:
  std::optional<std::int64_t> last_;
};

using SeqUnwrapper = Unwrapper<std::uint16_t>;
using TimestampUnwrapper = Unwrapper<std::uint32_t>;

}  // namespace parley::rtp
