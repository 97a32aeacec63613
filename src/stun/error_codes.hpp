#pragma once

#include <cstdint>
#include <string_view>

// The ERROR-CODE values ICE and TURN send (RFC 8489 §14.8, RFC 8445 §7.3.1.1,
// RFC 8656 §19), as plain numbers because the attribute carries any 300-699.
namespace parley::stun::error_codes {

inline constexpr std::uint16_t kTryAlternate = 300;                  // RFC 8489 §14.8
inline constexpr std::uint16_t kBadRequest = 400;                    // RFC 8489 §14.8
inline constexpr std::uint16_t kUnauthenticated = 401;               // RFC 8489 §14.8
inline constexpr std::uint16_t kForbidden = 403;                     // RFC 8656 §19
inline constexpr std::uint16_t kUnknownAttribute = 420;              // RFC 8489 §14.8
inline constexpr std::uint16_t kAllocationMismatch = 437;            // RFC 8656 §19
inline constexpr std::uint16_t kStaleNonce = 438;                    // RFC 8489 §14.8
inline constexpr std::uint16_t kAddressFamilyNotSupported = 440;     // RFC 8656 §19
inline constexpr std::uint16_t kWrongCredentials = 441;              // RFC 8656 §19
inline constexpr std::uint16_t kUnsupportedTransportProtocol = 442;  // RFC 8656 §19
inline constexpr std::uint16_t kPeerAddressFamilyMismatch = 443;     // RFC 8656 §19
inline constexpr std::uint16_t kAllocationQuotaReached = 486;        // RFC 8656 §19
inline constexpr std::uint16_t kRoleConflict = 487;                  // RFC 8445 §7.3.1.1
inline constexpr std::uint16_t kServerError = 500;                   // RFC 8489 §14.8
inline constexpr std::uint16_t kInsufficientCapacity = 508;          // RFC 8656 §19

// The RFCs' suggested reason phrase for `code`, or "" for codes not listed.
std::string_view reason_phrase(std::uint16_t code);

}  // namespace parley::stun::error_codes
