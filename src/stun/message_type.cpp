#include "stun/message_type.hpp"

#include <ios>
#include <ostream>

namespace parley::stun {

// Sanity of the bit interleaving, checked against RFC 8489 §6 examples:
// Binding request 0x0001, success response 0x0101, error response 0x0111,
// and RFC 8656 Data indication 0x0017.
static_assert(MessageType{Method::Binding, MessageClass::Request}.encode() == 0x0001);
static_assert(MessageType{Method::Binding, MessageClass::SuccessResponse}.encode() == 0x0101);
static_assert(MessageType{Method::Binding, MessageClass::ErrorResponse}.encode() == 0x0111);
static_assert(MessageType{Method::Data, MessageClass::Indication}.encode() == 0x0017);
static_assert(MessageType::decode(0x0113) ==
              MessageType{Method::Allocate, MessageClass::ErrorResponse});

std::string_view to_string(Method method) {
  switch (method) {
    case Method::Binding: return "Binding";
    case Method::Allocate: return "Allocate";
    case Method::Refresh: return "Refresh";
    case Method::Send: return "Send";
    case Method::Data: return "Data";
    case Method::CreatePermission: return "CreatePermission";
    case Method::ChannelBind: return "ChannelBind";
  }
  return "unknown";
}

std::string_view to_string(MessageClass message_class) {
  switch (message_class) {
    case MessageClass::Request: return "request";
    case MessageClass::Indication: return "indication";
    case MessageClass::SuccessResponse: return "success response";
    case MessageClass::ErrorResponse: return "error response";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, Method method) {
  const auto name = to_string(method);
  if (name != "unknown") return out << name;
  return out << "method 0x" << std::hex << static_cast<unsigned>(method) << std::dec;
}

std::ostream& operator<<(std::ostream& out, MessageClass message_class) {
  return out << to_string(message_class);
}

std::ostream& operator<<(std::ostream& out, MessageType type) {
  return out << type.method << ' ' << type.message_class;
}

}  // namespace parley::stun
