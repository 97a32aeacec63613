#include "rtp/transport_cc.hpp"

#include <algorithm>
#include <optional>

#include "rtp/detail/byte_io.hpp"
#include "rtp/detail/rtcp_writer.hpp"
#include "rtp/rtcp_feedback.hpp"

namespace parley::rtp {

using detail::load_u16;
using detail::store_u16;

namespace {

constexpr std::size_t kFeedbackHeaderSize = kRtcpHeaderSize + 8;
constexpr std::size_t kFixedFciSize = 8;  // base seq, status count, reference time, fb count

// §3.1.3, §3.1.4: how many symbols a chunk holds.
std::uint16_t chunk_length(std::uint16_t chunk) {
  if ((chunk & 0x8000) == 0) return chunk & 0x1FFF;  // run length
  return (chunk & 0x4000) == 0 ? 14 : 7;             // 1-bit or 2-bit vector
}

// Symbol i of a chunk, i < chunk_length(chunk); 3 is the reserved value.
std::uint8_t chunk_symbol(std::uint16_t chunk, unsigned i) {
  if ((chunk & 0x8000) == 0) return static_cast<std::uint8_t>((chunk >> 13) & 0x3);
  if ((chunk & 0x4000) == 0) return static_cast<std::uint8_t>((chunk >> (13 - i)) & 0x1);
  return static_cast<std::uint8_t>((chunk >> (12 - 2 * i)) & 0x3);
}

}  // namespace

TwccPacketIterator::TwccPacketIterator(std::span<const std::uint8_t> chunks,
                                       std::span<const std::uint8_t> deltas,
                                       std::uint16_t base_sequence, std::size_t count,
                                       std::int64_t reference_us)
    : chunks_(chunks),
      deltas_(deltas),
      remaining_(count),
      next_sequence_(base_sequence),
      clock_us_(reference_us),
      done_(false) {
  load();
}

void TwccPacketIterator::load() {
  if (remaining_ == 0) {
    done_ = true;
    return;
  }
  while (chunk_index_ >= chunk_length_) {
    if (chunks_.size() < 2) {  // cannot happen after parse(); stop safely
      done_ = true;
      return;
    }
    chunk_ = load_u16(chunks_.data());
    chunks_ = chunks_.subspan(2);
    chunk_length_ = chunk_length(chunk_);
    chunk_index_ = 0;
  }
  const std::uint8_t symbol = chunk_symbol(chunk_, chunk_index_++);
  --remaining_;
  TwccPacket packet;
  packet.sequence_number = next_sequence_++;
  packet.symbol = static_cast<TwccSymbol>(symbol);
  if (symbol == 1 && !deltas_.empty()) {
    packet.delta = deltas_[0];
    deltas_ = deltas_.subspan(1);
  } else if (symbol == 2 && deltas_.size() >= 2) {
    packet.delta = static_cast<std::int16_t>(load_u16(deltas_.data()));
    deltas_ = deltas_.subspan(2);
  } else if (symbol != 0) {  // reserved symbol or missing delta: not after parse()
    done_ = true;
    return;
  }
  if (symbol != 0) {
    clock_us_ += packet.delta * kTwccDeltaTickUs;
    packet.arrival_us = clock_us_;
  }
  current_ = packet;
}

std::expected<TransportFeedback, Error> TransportFeedback::parse(const RtcpPacket& packet) {
  if (packet.type() != rtcp_type::kRtpFeedback || packet.format() != rtpfb_format::kTransportCc) {
    return std::unexpected(Error::WrongType);
  }
  const auto fb = Feedback::parse(packet);
  if (!fb) return std::unexpected(fb.error());
  const auto fci = fb->fci;
  if (fci.size() < kFixedFciSize) return std::unexpected(Error::Truncated);

  TransportFeedback result;
  result.sender_ssrc_ = fb->sender_ssrc;
  result.media_ssrc_ = fb->media_ssrc;
  result.base_sequence_ = load_u16(fci.data());
  result.status_count_ = load_u16(fci.data() + 2);
  result.reference_time_ = detail::sign_extend(detail::load_u24(fci.data() + 4), 24);
  result.feedback_count_ = fci[7];

  // Walk the chunks until they cover the status count, adding up the delta
  // bytes the symbols call for.
  std::size_t at = kFixedFciSize;
  std::size_t covered = 0;
  std::size_t delta_bytes = 0;
  std::size_t received = 0;
  while (covered < result.status_count_) {
    if (fci.size() - at < 2) return std::unexpected(Error::Truncated);
    const std::uint16_t chunk = load_u16(fci.data() + at);
    at += 2;
    const std::size_t used =
        std::min<std::size_t>(chunk_length(chunk), result.status_count_ - covered);
    if ((chunk & 0x8000) == 0) {
      const std::uint8_t symbol = chunk_symbol(chunk, 0);
      if (symbol == 3 && used > 0) return std::unexpected(Error::Malformed);
      if (symbol != 0) received += used;
      delta_bytes += used * symbol;  // symbol 1: one byte each, 2: two bytes
    } else {
      for (unsigned i = 0; i < used; ++i) {
        const std::uint8_t symbol = chunk_symbol(chunk, i);
        if (symbol == 3) return std::unexpected(Error::Malformed);
        if (symbol != 0) ++received;
        delta_bytes += symbol;
      }
    }
    covered += used;
  }
  if (fci.size() - at < delta_bytes) return std::unexpected(Error::Truncated);
  result.chunks_ = fci.subspan(kFixedFciSize, at - kFixedFciSize);
  result.deltas_ = fci.subspan(at, delta_bytes);
  result.received_count_ = received;
  return result;
}

// --- Building ------------------------------------------------------------------------

namespace {

// §3.1.1: the symbol for a status, or nullopt if its delta does not fit.
std::optional<std::uint8_t> symbol_of(const TwccStatus& status) {
  if (!status.received) return 0;
  if (status.delta >= 0 && status.delta <= 0xFF) return 1;
  if (status.delta >= -0x8000 && status.delta <= 0x7FFF) return 2;
  return std::nullopt;
}

// Chooses the chunks greedily (§3.1.2 leaves the choice to the sender):
//   a run of 14 or more equal symbols     -> run-length chunk (up to 8191)
//   no large delta in the next 14         -> 1-bit status vector (14 symbols)
//   a run of 7 or more, or the whole rest -> run-length chunk
//   otherwise                             -> 2-bit status vector (7 symbols)
// Calls emit(chunk) for each chunk; vector slots past the end are 0. The
// statuses must all have a symbol (checked before).
template <typename Emit>
void encode_chunks(std::span<const TwccStatus> packets, Emit&& emit) {
  auto symbol = [&](std::size_t i) { return symbol_of(packets[i]).value_or(0); };
  const std::size_t n = packets.size();
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t s = symbol(i);
    std::size_t run = 1;
    while (i + run < n && run < kTwccMaxRunLength && symbol(i + run) == s) ++run;
    const std::size_t window = std::min<std::size_t>(14, n - i);
    bool any_large = false;
    for (std::size_t k = 0; k < window && !any_large; ++k) any_large = symbol(i + k) == 2;
    if (run >= 14 || (any_large && run >= 7) || run == n - i) {
      emit(static_cast<std::uint16_t>((s << 13) | run));
      i += run;
    } else if (!any_large) {
      std::uint16_t chunk = 0x8000;
      for (std::size_t k = 0; k < window; ++k) {
        chunk = static_cast<std::uint16_t>(chunk | (symbol(i + k) << (13 - k)));
      }
      emit(chunk);
      i += window;
    } else {
      const std::size_t count = std::min<std::size_t>(7, n - i);
      std::uint16_t chunk = 0xC000;
      for (std::size_t k = 0; k < count; ++k) {
        chunk = static_cast<std::uint16_t>(chunk | (symbol(i + k) << (12 - 2 * k)));
      }
      emit(chunk);
      i += count;
    }
  }
}

struct Sizes {
  std::size_t chunks = 0;
  std::size_t deltas = 0;
  std::size_t total = 0;
};

std::expected<Sizes, Error> sizes_of(const TransportFeedbackSpec& spec) {
  if (spec.packets.empty() || spec.packets.size() > 0xFFFF) {
    return std::unexpected(Error::ValueOutOfRange);
  }
  Sizes sizes;
  for (const auto& p : spec.packets) {
    const auto symbol = symbol_of(p);
    if (!symbol) return std::unexpected(Error::ValueOutOfRange);
    sizes.deltas += *symbol;  // 1 or 2 bytes, none when not received
  }
  encode_chunks(spec.packets, [&](std::uint16_t) { ++sizes.chunks; });
  const std::size_t fci = kFixedFciSize + 2 * sizes.chunks + sizes.deltas;
  sizes.total = kFeedbackHeaderSize + ((fci + 3) & ~std::size_t{3});
  if (sizes.total > detail::kMaxRtcpSize) return std::unexpected(Error::ValueOutOfRange);
  return sizes;
}

}  // namespace

std::expected<std::size_t, Error> transport_feedback_size(const TransportFeedbackSpec& spec) {
  const auto sizes = sizes_of(spec);
  if (!sizes) return std::unexpected(sizes.error());
  return sizes->total;
}

std::expected<std::size_t, Error> write_transport_feedback(std::span<std::uint8_t> out,
                                                           const TransportFeedbackSpec& spec) {
  const auto sizes = sizes_of(spec);
  if (!sizes) return std::unexpected(sizes.error());
  auto start =
      detail::begin_rtcp(out, sizes->total, rtcp_type::kRtpFeedback, rtpfb_format::kTransportCc);
  if (!start) return std::unexpected(start.error());
  std::uint8_t* p = *start;
  detail::store_u32(p + 4, spec.sender_ssrc);
  detail::store_u32(p + 8, spec.media_ssrc);
  std::uint8_t* fci = p + kFeedbackHeaderSize;
  store_u16(fci, spec.base_sequence);
  store_u16(fci + 2, static_cast<std::uint16_t>(spec.packets.size()));
  detail::store_u24(fci + 4, static_cast<std::uint32_t>(spec.reference_time) & 0xFFFFFF);
  fci[7] = spec.feedback_count;
  std::uint8_t* chunk = fci + kFixedFciSize;
  encode_chunks(spec.packets, [&](std::uint16_t c) {
    store_u16(chunk, c);
    chunk += 2;
  });
  std::uint8_t* delta = chunk;
  for (const auto& packet : spec.packets) {
    if (!packet.received) continue;
    if (packet.delta >= 0 && packet.delta <= 0xFF) {
      *delta++ = static_cast<std::uint8_t>(packet.delta);
    } else {
      store_u16(delta, static_cast<std::uint16_t>(static_cast<std::int16_t>(packet.delta)));
      delta += 2;
    }
  }
  std::fill(delta, p + sizes->total, std::uint8_t{0});
  return sizes->total;
}

std::expected<std::int32_t, Error> twcc_statuses_from_arrivals(
    std::span<const std::int64_t> arrival_us, std::span<TwccStatus> out) {
  if (out.size() < arrival_us.size()) return std::unexpected(Error::BufferTooSmall);
  const auto first =
      std::find_if(arrival_us.begin(), arrival_us.end(), [](std::int64_t t) { return t >= 0; });
  const std::int64_t reference = first == arrival_us.end() ? 0 : *first / kTwccReferenceTickUs;
  constexpr std::int64_t kTicksPerReference = kTwccReferenceTickUs / kTwccDeltaTickUs;
  std::int64_t previous_ticks = reference * kTicksPerReference;
  for (std::size_t i = 0; i < arrival_us.size(); ++i) {
    if (arrival_us[i] < 0) {
      out[i] = TwccStatus{};
      continue;
    }
    const std::int64_t ticks = (arrival_us[i] + kTwccDeltaTickUs / 2) / kTwccDeltaTickUs;
    const std::int64_t delta = ticks - previous_ticks;
    if (delta < -0x8000 || delta > 0x7FFF) return std::unexpected(Error::ValueOutOfRange);
    out[i] = TwccStatus{true, static_cast<std::int32_t>(delta)};
    previous_ticks = ticks;
  }
  return detail::sign_extend(static_cast<std::uint32_t>(reference & 0xFFFFFF), 24);
}

}  // namespace parley::rtp
