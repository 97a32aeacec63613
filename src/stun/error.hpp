#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace parley::stun {

// Every way the codec can refuse input or an encoding request. Decoders never
// throw: a datagram from the network is untrusted, and a bad one is routine.
enum class Error : std::uint8_t {
  // Message framing (RFC 8489 §5, §14).
  Truncated,         // fewer bytes than the header or the declared length needs
  NotStun,           // the two most significant bits of the message are not zero
  BadMagicCookie,    // the cookie is not 0x2112A442
  BadLength,         // length not a multiple of 4, or bytes beyond the declared length
  AttributeOverrun,  // an attribute claims more bytes than the message has left

  // Attribute values.
  MissingAttribute,          // asked for an attribute that the message does not carry
  BadAttributeValue,         // wrong size or out-of-range content for its type
  UnsupportedAddressFamily,  // address family other than IPv4 (0x01) or IPv6 (0x02)

  // Integrity and fingerprint (RFC 8489 §9, §14.5-§14.7).
  MissingIntegrity,
  IntegrityMismatch,
  MissingFingerprint,
  FingerprintMismatch,
  CryptoFailure,  // OpenSSL refused an operation (should not happen)

  // Encoding.
  ValueTooLong,    // attribute value or whole message exceeds its 16-bit length field
  AttributeOrder,  // attribute added after MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT
  BufferTooSmall,  // caller-provided output buffer cannot hold the encoding

  // ChannelData (RFC 8656 §12).
  NotChannelData,    // first two bits are not 0b01
  BadChannelNumber,  // outside 0x4000-0x4FFF
};

// A short English sentence for logs and test failures.
std::string_view to_string(Error error);

std::ostream& operator<<(std::ostream& out, Error error);

}  // namespace parley::stun
