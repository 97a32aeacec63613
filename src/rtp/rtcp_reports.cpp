#include "rtp/rtcp_reports.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "rtp/detail/byte_io.hpp"
#include "rtp/detail/rtcp_writer.hpp"

namespace parley::rtp {

std::uint64_t ntp_time(std::chrono::system_clock::time_point time) {
  constexpr std::uint64_t kNtpUnixOffset = 2'208'988'800ULL;  // 1900 to 1970
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  const std::uint64_t seconds = static_cast<std::uint64_t>(us / 1'000'000) + kNtpUnixOffset;
  const std::uint64_t fraction = (static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

using detail::load_u32;
using detail::store_u32;

// --- Report blocks (§6.4.1) ------------------------------------------------------

ReportBlock ReportBlock::read(const std::uint8_t* p) {
  ReportBlock b;
  b.ssrc = load_u32(p);
  b.fraction_lost = p[4];
  b.cumulative_lost = detail::sign_extend(detail::load_u24(p + 5), 24);
  b.extended_highest_sequence = load_u32(p + 8);
  b.jitter = load_u32(p + 12);
  b.last_sr = load_u32(p + 16);
  b.delay_since_last_sr = load_u32(p + 20);
  return b;
}

void ReportBlock::write(std::uint8_t* p) const {
  store_u32(p, ssrc);
  p[4] = fraction_lost;
  const std::int32_t lost = std::clamp(cumulative_lost, -0x800000, 0x7FFFFF);
  detail::store_u24(p + 5, static_cast<std::uint32_t>(lost) & 0xFFFFFF);
  store_u32(p + 8, extended_highest_sequence);
  store_u32(p + 12, jitter);
  store_u32(p + 16, last_sr);
  store_u32(p + 20, delay_since_last_sr);
}

namespace {

constexpr std::size_t kSenderInfoSize = 20;

}  // namespace

std::expected<SenderReport, Error> SenderReport::parse(const RtcpPacket& packet) {
  if (packet.type() != rtcp_type::kSenderReport) return std::unexpected(Error::WrongType);
  const auto body = packet.body();
  const std::size_t blocks = packet.count() * ReportBlock::kSize;
  if (body.size() < 4 + kSenderInfoSize + blocks) return std::unexpected(Error::Truncated);
  const std::uint8_t* p = body.data();
  SenderReport sr;
  sr.sender_ssrc = load_u32(p);
  sr.info.ntp_timestamp = detail::load_u64(p + 4);
  sr.info.rtp_timestamp = load_u32(p + 12);
  sr.info.packet_count = load_u32(p + 16);
  sr.info.octet_count = load_u32(p + 20);
  sr.report_blocks = RecordRange<ReportBlock>(body.subspan(4 + kSenderInfoSize, blocks));
  sr.profile_extension = body.subspan(4 + kSenderInfoSize + blocks);
  return sr;
}

std::expected<ReceiverReport, Error> ReceiverReport::parse(const RtcpPacket& packet) {
  if (packet.type() != rtcp_type::kReceiverReport) return std::unexpected(Error::WrongType);
  const auto body = packet.body();
  const std::size_t blocks = packet.count() * ReportBlock::kSize;
  if (body.size() < 4 + blocks) return std::unexpected(Error::Truncated);
  ReceiverReport rr;
  rr.sender_ssrc = load_u32(body.data());
  rr.report_blocks = RecordRange<ReportBlock>(body.subspan(4, blocks));
  rr.profile_extension = body.subspan(4 + blocks);
  return rr;
}

std::expected<std::size_t, Error> write_sender_report(std::span<std::uint8_t> out,
                                                      std::uint32_t sender_ssrc,
                                                      const SenderInfo& info,
                                                      std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t size =
      kRtcpHeaderSize + 4 + kSenderInfoSize + blocks.size() * ReportBlock::kSize;
  auto start = detail::begin_rtcp(out, size, rtcp_type::kSenderReport,
                                  static_cast<std::uint8_t>(blocks.size()));
  if (!start) return std::unexpected(start.error());
  std::uint8_t* p = *start + kRtcpHeaderSize;
  store_u32(p, sender_ssrc);
  detail::store_u64(p + 4, info.ntp_timestamp);
  store_u32(p + 12, info.rtp_timestamp);
  store_u32(p + 16, info.packet_count);
  store_u32(p + 20, info.octet_count);
  p += 4 + kSenderInfoSize;
  for (const auto& block : blocks) {
    block.write(p);
    p += ReportBlock::kSize;
  }
  return size;
}

std::expected<std::size_t, Error> write_receiver_report(std::span<std::uint8_t> out,
                                                        std::uint32_t sender_ssrc,
                                                        std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t size = kRtcpHeaderSize + 4 + blocks.size() * ReportBlock::kSize;
  auto start = detail::begin_rtcp(out, size, rtcp_type::kReceiverReport,
                                  static_cast<std::uint8_t>(blocks.size()));
  if (!start) return std::unexpected(start.error());
  std::uint8_t* p = *start + kRtcpHeaderSize;
  store_u32(p, sender_ssrc);
  p += 4;
  for (const auto& block : blocks) {
    block.write(p);
    p += ReportBlock::kSize;
  }
  return size;
}

// --- SDES (§6.5) -----------------------------------------------------------------

namespace {

struct ChunkRead {
  SdesChunk chunk;
  std::size_t consumed = 0;
};

// One chunk at the start of `bytes`: SSRC, items, null terminator, padding
// to the next 32-bit boundary (cut short at the end of the body).
std::expected<ChunkRead, Error> read_chunk(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 4) return std::unexpected(Error::Truncated);
  std::size_t at = 4;
  while (true) {
    if (at >= bytes.size()) return std::unexpected(Error::Truncated);  // no terminator
    if (bytes[at] == sdes_type::kEnd) break;
    if (bytes.size() - at < 2) return std::unexpected(Error::Truncated);
    const std::size_t length = bytes[at + 1];
    if (bytes.size() - at - 2 < length) return std::unexpected(Error::Truncated);
    at += 2 + length;
  }
  ChunkRead read;
  read.chunk.ssrc = load_u32(bytes.data());
  read.chunk.item_bytes = bytes.subspan(4, at - 4);
  read.consumed = std::min((at + 1 + 3) & ~std::size_t{3}, bytes.size());
  return read;
}

}  // namespace

void SdesItemIterator::load() {
  // The chunk was validated: each item header and value lies inside.
  if (rest_.size() < 2 || rest_.size() - 2 < rest_[1]) {
    done_ = true;
    return;
  }
  const std::size_t length = rest_[1];
  current_ =
      SdesItem{rest_[0], std::string_view(reinterpret_cast<const char*>(rest_.data() + 2), length)};
  rest_ = rest_.subspan(2 + length);
  done_ = false;
}

void SdesChunkIterator::load() {
  if (remaining_ == 0) {
    done_ = true;
    return;
  }
  auto read = read_chunk(rest_);
  if (!read) {
    done_ = true;
    return;
  }
  current_ = read->chunk;
  rest_ = rest_.subspan(read->consumed);
  --remaining_;
  done_ = false;
}

std::optional<std::string_view> SdesChunk::find(std::uint8_t type) const {
  for (const auto& item : items()) {
    if (item.type == type) return item.value;
  }
  return std::nullopt;
}

std::expected<Sdes, Error> Sdes::parse(const RtcpPacket& packet) {
  if (packet.type() != rtcp_type::kSdes) return std::unexpected(Error::WrongType);
  auto rest = packet.body();
  for (std::size_t i = 0; i < packet.count(); ++i) {
    auto read = read_chunk(rest);
    if (!read) return std::unexpected(read.error());
    rest = rest.subspan(read->consumed);
  }
  return Sdes(packet.body(), packet.count());
}

std::expected<std::size_t, Error> write_sdes(std::span<std::uint8_t> out,
                                             std::span<const SdesChunkSpec> chunks) {
  if (chunks.size() > 31) return std::unexpected(Error::ValueOutOfRange);
  std::size_t size = kRtcpHeaderSize;
  for (const auto& chunk : chunks) {
    std::size_t chunk_size = 4;
    for (const auto& item : chunk.items) {
      if (item.type == sdes_type::kEnd || item.value.size() > 255) {
        return std::unexpected(Error::ValueOutOfRange);
      }
      chunk_size += 2 + item.value.size();
    }
    size += (chunk_size + 1 + 3) & ~std::size_t{3};  // terminator and padding
  }
  auto start =
      detail::begin_rtcp(out, size, rtcp_type::kSdes, static_cast<std::uint8_t>(chunks.size()));
  if (!start) return std::unexpected(start.error());
  std::uint8_t* p = *start;
  std::size_t at = kRtcpHeaderSize;
  for (const auto& chunk : chunks) {
    const std::size_t chunk_start = at;
    store_u32(p + at, chunk.ssrc);
    at += 4;
    for (const auto& item : chunk.items) {
      p[at] = item.type;
      p[at + 1] = static_cast<std::uint8_t>(item.value.size());
      if (!item.value.empty()) std::memcpy(p + at + 2, item.value.data(), item.value.size());
      at += 2 + item.value.size();
    }
    const std::size_t end = chunk_start + ((at - chunk_start + 1 + 3) & ~std::size_t{3});
    std::fill(p + at, p + end, std::uint8_t{0});
    at = end;
  }
  return size;
}

std::expected<std::size_t, Error> write_sdes_cname(std::span<std::uint8_t> out, std::uint32_t ssrc,
                                                   std::string_view cname) {
  const SdesItem item{sdes_type::kCname, cname};
  const SdesChunkSpec chunk{ssrc, std::span(&item, 1)};
  return write_sdes(out, std::span(&chunk, 1));
}

// --- BYE (§6.6) ------------------------------------------------------------------

std::expected<Bye, Error> Bye::parse(const RtcpPacket& packet) {
  if (packet.type() != rtcp_type::kBye) return std::unexpected(Error::WrongType);
  const auto body = packet.body();
  const std::size_t ssrcs = 4 * std::size_t{packet.count()};
  if (body.size() < ssrcs) return std::unexpected(Error::Truncated);
  Bye bye;
  bye.ssrcs = RecordRange<std::uint32_t>(body.first(ssrcs));
  const auto rest = body.subspan(ssrcs);
  if (!rest.empty() && rest[0] != 0) {
    const std::size_t length = rest[0];
    if (rest.size() - 1 < length) return std::unexpected(Error::Truncated);
    bye.reason = std::string_view(reinterpret_cast<const char*>(rest.data() + 1), length);
  }
  return bye;
}

std::expected<std::size_t, Error> write_bye(std::span<std::uint8_t> out,
                                            std::span<const std::uint32_t> ssrcs,
                                            std::string_view reason) {
  if (ssrcs.size() > 31 || reason.size() > 255) return std::unexpected(Error::ValueOutOfRange);
  const std::size_t reason_size = reason.empty() ? 0 : ((1 + reason.size() + 3) & ~std::size_t{3});
  const std::size_t size = kRtcpHeaderSize + 4 * ssrcs.size() + reason_size;
  auto start =
      detail::begin_rtcp(out, size, rtcp_type::kBye, static_cast<std::uint8_t>(ssrcs.size()));
  if (!start) return std::unexpected(start.error());
  std::uint8_t* p = *start + kRtcpHeaderSize;
  for (const auto ssrc : ssrcs) {
    store_u32(p, ssrc);
    p += 4;
  }
  if (reason_size != 0) {
    std::fill(p, p + reason_size, std::uint8_t{0});
    p[0] = static_cast<std::uint8_t>(reason.size());
    std::memcpy(p + 1, reason.data(), reason.size());
  }
  return size;
}

}  // namespace parley::rtp
