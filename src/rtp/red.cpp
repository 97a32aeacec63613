#include "rtp/red.hpp"

#include "rtp/detail/byte_io.hpp"

namespace parley::rtp {

namespace {

constexpr std::uint8_t kFollowsBit = 0x80;  // F (§3): another header follows
constexpr std::uint8_t kPayloadTypeMask = 0x7F;

// The 10-bit block length at the end of a redundant block header (§3).
std::size_t block_length(const std::uint8_t* header) {
  return detail::load_u16(header + 2) & 0x03FF;
}

}  // namespace

std::expected<RedPayload, Error> parse_red(std::span<const std::uint8_t> payload) {
  RedPayload out;
  std::size_t at = 0;  // the header being read
  std::size_t redundant_bytes = 0;
  std::uint8_t first_payload_type = 0;
  for (;;) {
    if (at >= payload.size()) return std::unexpected(Error::Truncated);
    const std::uint8_t first = payload[at];
    const std::uint8_t payload_type = first & kPayloadTypeMask;
    if ((first & kFollowsBit) == 0) {  // the primary's 1-byte header ends the list
      out.primary_payload_type = payload_type;
      at += kRedPrimaryHeaderSize;
      break;
    }
    if (payload.size() - at < kRedBlockHeaderSize) return std::unexpected(Error::Truncated);
    if (out.redundant_blocks == 0)
      first_payload_type = payload_type;
    else if (payload_type != first_payload_type)
      out.single_payload_type = false;
    redundant_bytes += block_length(payload.data() + at);
    ++out.redundant_blocks;
    at += kRedBlockHeaderSize;
  }
  if (payload.size() - at < redundant_bytes) return std::unexpected(Error::Truncated);
  if (out.redundant_blocks > 0 && first_payload_type != out.primary_payload_type) out.single_payload_type = false;
  out.primary = payload.subspan(at + redundant_bytes);
  return out;
}

std::expected<void, Error> set_red_payload_types(std::span<std::uint8_t> payload, std::uint8_t payload_type) {
  if (payload_type > kPayloadTypeMask) return std::unexpected(Error::ValueOutOfRange);
  const auto parsed = parse_red(payload);
  if (!parsed) return std::unexpected(parsed.error());
  // parse_red found redundant_blocks 4-byte headers and then the 1-byte one.
  for (std::size_t i = 0; i <= parsed->redundant_blocks; ++i) {
    auto& first = payload[i * kRedBlockHeaderSize];
    first = static_cast<std::uint8_t>((first & kFollowsBit) | payload_type);
  }
  return {};
}

}  // namespace parley::rtp
