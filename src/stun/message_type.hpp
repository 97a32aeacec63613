#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace parley::stun {

// RFC 8489 §18.2 and RFC 8656 §17: the methods ICE and TURN use. A method is
// 12 bits; values not listed here still round-trip through the codec.
enum class Method : std::uint16_t {
  Binding = 0x001,
  Allocate = 0x003,
  Refresh = 0x004,
  Send = 0x006,
  Data = 0x007,
  CreatePermission = 0x008,
  ChannelBind = 0x009,
};

// RFC 8489 §5: the two class bits C1 C0.
enum class MessageClass : std::uint8_t {
  Request = 0b00,
  Indication = 0b01,
  SuccessResponse = 0b10,
  ErrorResponse = 0b11,
};

struct MessageType {
  Method method = Method::Binding;
  MessageClass message_class = MessageClass::Request;

  // RFC 8489 §5, Figure 3: the class bits sit between method bits, at
  // positions 4 (C0) and 8 (C1) of the 14-bit type:
  //   M11..M7 C1 M6..M4 C0 M3..M0
  constexpr std::uint16_t encode() const {
    const auto m = static_cast<std::uint16_t>(static_cast<std::uint16_t>(method) & 0x0FFF);
    const auto c = static_cast<std::uint16_t>(message_class);
    return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                      ((c & 0x1) << 4) | ((c & 0x2) << 7));
  }

  // Inverse of encode(); the two top bits of `field` are ignored here (the
  // parser rejects them before it gets this far).
  static constexpr MessageType decode(std::uint16_t field) {
    const auto m = static_cast<std::uint16_t>((field & 0x000F) | ((field >> 1) & 0x0070) |
                                              ((field >> 2) & 0x0F80));
    const auto c = static_cast<std::uint8_t>(((field >> 4) & 0x1) | ((field >> 7) & 0x2));
    return {static_cast<Method>(m), static_cast<MessageClass>(c)};
  }

  friend constexpr bool operator==(MessageType, MessageType) = default;
};

constexpr bool is_response(MessageClass c) {
  return c == MessageClass::SuccessResponse || c == MessageClass::ErrorResponse;
}

std::string_view to_string(Method method);  // "Binding", ..., "unknown"
std::string_view to_string(MessageClass message_class);

std::ostream& operator<<(std::ostream& out, Method method);
std::ostream& operator<<(std::ostream& out, MessageClass message_class);
std::ostream& operator<<(std::ostream& out, MessageType type);

}  // namespace parley::stun
