#include "stun/attribute_type.hpp"

#include <ios>
#include <ostream>

namespace parley::stun {

std::string_view to_string(AttributeType type) {
  switch (type) {
    case AttributeType::MappedAddress: return "MAPPED-ADDRESS";
    case AttributeType::Username: return "USERNAME";
    case AttributeType::MessageIntegrity: return "MESSAGE-INTEGRITY";
    case AttributeType::ErrorCode: return "ERROR-CODE";
    case AttributeType::UnknownAttributes: return "UNKNOWN-ATTRIBUTES";
    case AttributeType::ChannelNumber: return "CHANNEL-NUMBER";
    case AttributeType::Lifetime: return "LIFETIME";
    case AttributeType::XorPeerAddress: return "XOR-PEER-ADDRESS";
    case AttributeType::Data: return "DATA";
    case AttributeType::Realm: return "REALM";
    case AttributeType::Nonce: return "NONCE";
    case AttributeType::XorRelayedAddress: return "XOR-RELAYED-ADDRESS";
    case AttributeType::RequestedAddressFamily: return "REQUESTED-ADDRESS-FAMILY";
    case AttributeType::EvenPort: return "EVEN-PORT";
    case AttributeType::RequestedTransport: return "REQUESTED-TRANSPORT";
    case AttributeType::DontFragment: return "DONT-FRAGMENT";
    case AttributeType::MessageIntegritySha256: return "MESSAGE-INTEGRITY-SHA256";
    case AttributeType::PasswordAlgorithm: return "PASSWORD-ALGORITHM";
    case AttributeType::UserHash: return "USERHASH";
    case AttributeType::XorMappedAddress: return "XOR-MAPPED-ADDRESS";
    case AttributeType::ReservationToken: return "RESERVATION-TOKEN";
    case AttributeType::Priority: return "PRIORITY";
    case AttributeType::UseCandidate: return "USE-CANDIDATE";
    case AttributeType::AdditionalAddressFamily: return "ADDITIONAL-ADDRESS-FAMILY";
    case AttributeType::AddressErrorCode: return "ADDRESS-ERROR-CODE";
    case AttributeType::PasswordAlgorithms: return "PASSWORD-ALGORITHMS";
    case AttributeType::AlternateDomain: return "ALTERNATE-DOMAIN";
    case AttributeType::Icmp: return "ICMP";
    case AttributeType::Software: return "SOFTWARE";
    case AttributeType::AlternateServer: return "ALTERNATE-SERVER";
    case AttributeType::Fingerprint: return "FINGERPRINT";
    case AttributeType::IceControlled: return "ICE-CONTROLLED";
    case AttributeType::IceControlling: return "ICE-CONTROLLING";
  }
  return "unknown";
}

bool is_known_attribute(AttributeType type) { return to_string(type) != "unknown"; }

std::ostream& operator<<(std::ostream& out, AttributeType type) {
  if (is_known_attribute(type)) return out << to_string(type);
  return out << "attribute 0x" << std::hex << std::to_underlying(type) << std::dec;
}

}  // namespace parley::stun
