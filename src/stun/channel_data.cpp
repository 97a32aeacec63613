#include "stun/channel_data.hpp"

#include <algorithm>
#include <cstring>

#include "stun/detail/bytes.hpp"

namespace parley::stun {

std::expected<std::size_t, Error> channel_data_size(std::span<const std::uint8_t> prefix,
                                                    Framing framing) {
  if (prefix.size() < kChannelDataHeaderSize) return std::unexpected(Error::Truncated);
  if (!looks_like_channel_data(prefix)) return std::unexpected(Error::NotChannelData);
  if (!is_valid_channel_number(detail::load_u16(prefix, 0))) {
    return std::unexpected(Error::BadChannelNumber);
  }
  // RFC 8656 §12.4: the length counts the application data only.
  return channel_data_encoded_size(detail::load_u16(prefix, 2), framing);
}

std::expected<ChannelData, Error> parse_channel_data(std::span<const std::uint8_t> bytes,
                                                     Framing framing) {
  const auto size = channel_data_size(bytes, framing);
  if (!size) return std::unexpected(size.error());
  // RFC 8656 §12.6: a datagram too short for the declared length is dropped.
  if (bytes.size() < *size) return std::unexpected(Error::Truncated);
  return ChannelData{.channel = detail::load_u16(bytes, 0),
                     .data = bytes.subspan(kChannelDataHeaderSize, detail::load_u16(bytes, 2))};
}

std::expected<std::size_t, Error> encode_channel_data(std::span<std::uint8_t> out,
                                                      std::uint16_t channel,
                                                      std::span<const std::uint8_t> data,
                                                      Framing framing) {
  if (!is_valid_channel_number(channel)) return std::unexpected(Error::BadChannelNumber);
  if (data.size() > 0xFFFF) return std::unexpected(Error::ValueTooLong);
  const std::size_t size = channel_data_encoded_size(data.size(), framing);
  if (out.size() < size) return std::unexpected(Error::BufferTooSmall);

  detail::store_u16(out, 0, channel);
  detail::store_u16(out, 2, static_cast<std::uint16_t>(data.size()));
  // memcpy: g++ 12 turns ranges::copy of a byte span into a byte loop, and
  // this is the per-packet relay path.
  if (!data.empty()) std::memcpy(out.data() + kChannelDataHeaderSize, data.data(), data.size());
  std::ranges::fill(out.subspan(kChannelDataHeaderSize + data.size(),
                                size - kChannelDataHeaderSize - data.size()),
                    0);
  return size;
}

}  // namespace parley::stun
