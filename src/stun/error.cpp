#include "stun/error.hpp"

#include <ostream>

namespace parley::stun {

std::string_view to_string(Error error) {
  switch (error) {
    case Error::Truncated: return "message is truncated";
    case Error::NotStun: return "first two bits are not zero: not a STUN message";
    case Error::BadMagicCookie: return "magic cookie is not 0x2112A442";
    case Error::BadLength:
      return "message length is not a multiple of 4 or does not match the data";
    case Error::AttributeOverrun: return "attribute runs past the end of the message";
    case Error::MissingAttribute: return "attribute is not present";
    case Error::BadAttributeValue: return "attribute value is malformed";
    case Error::UnsupportedAddressFamily: return "address family is neither IPv4 nor IPv6";
    case Error::MissingIntegrity: return "message has no MESSAGE-INTEGRITY attribute";
    case Error::IntegrityMismatch: return "MESSAGE-INTEGRITY does not match";
    case Error::MissingFingerprint: return "message has no FINGERPRINT attribute";
    case Error::FingerprintMismatch: return "FINGERPRINT does not match";
    case Error::CryptoFailure: return "cryptographic primitive failed";
    case Error::ValueTooLong: return "value does not fit its 16-bit length field";
    case Error::AttributeOrder: return "attribute added after MESSAGE-INTEGRITY or FINGERPRINT";
    case Error::BufferTooSmall: return "output buffer is too small";
    case Error::NotChannelData: return "not a ChannelData message";
    case Error::BadChannelNumber: return "channel number outside 0x4000-0x4FFF";
  }
  return "unknown STUN error";
}

std::ostream& operator<<(std::ostream& out, Error error) { return out << to_string(error); }

}  // namespace parley::stun
