#include "stun/error_codes.hpp"

namespace parley::stun::error_codes {

std::string_view reason_phrase(std::uint16_t code) {
  switch (code) {
    case kTryAlternate: return "Try Alternate";
    case kBadRequest: return "Bad Request";
    case kUnauthenticated: return "Unauthenticated";
    case kForbidden: return "Forbidden";
    case kUnknownAttribute: return "Unknown Attribute";
    case kAllocationMismatch: return "Allocation Mismatch";
    case kStaleNonce: return "Stale Nonce";
    case kAddressFamilyNotSupported: return "Address Family not Supported";
    case kWrongCredentials: return "Wrong Credentials";
    case kUnsupportedTransportProtocol: return "Unsupported Transport Protocol";
    case kPeerAddressFamilyMismatch: return "Peer Address Family Mismatch";
    case kAllocationQuotaReached: return "Allocation Quota Reached";
    case kRoleConflict: return "Role Conflict";
    case kServerError: return "Server Error";
    case kInsufficientCapacity: return "Insufficient Capacity";
    default: return "";
  }
}

}  // namespace parley::stun::error_codes
