#include "ice/udp_mux_router.hpp"

#include "ice/credentials.hpp"
#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace parley::ice {

std::size_t SocketAddressHash::operator()(const stun::SocketAddress& address) const noexcept {
  // FNV-1a over the bytes operator== compares.
  std::size_t hash = 14695981039346656037ull;
  const auto mix = [&hash](std::uint8_t byte) {
    hash ^= byte;
    hash *= 1099511628211ull;
  };
  mix(static_cast<std::uint8_t>(address.family));
  for (std::uint8_t b : address.ip_bytes()) mix(b);
  mix(static_cast<std::uint8_t>(address.port >> 8));
  mix(static_cast<std::uint8_t>(address.port));
  return hash;
}

std::optional<std::string_view> stun_local_ufrag(std::span<const std::uint8_t> packet) {
  if (!stun::looks_like_stun(packet)) return std::nullopt;
  const auto message = stun::Message::parse(packet);
  if (!message) return std::nullopt;
  // The codec bounds USERNAME at 512 bytes; the ufrag must be valid too.
  const auto username = message->get<stun::Username>();
  if (!username) return std::nullopt;
  const auto colon = username->value.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto ufrag = username->value.substr(0, colon);
  if (!is_valid_ufrag(ufrag)) return std::nullopt;
  return ufrag;
}

bool UdpMuxRouter::ufrag_free_for(std::string_view ufrag, TransportId id) const {
  const auto it = by_ufrag_.find(ufrag);
  return it == by_ufrag_.end() || it->second == id;
}

bool UdpMuxRouter::add_transport(TransportId id, std::string_view local_ufrag) {
  if (transports_.size() >= max_transports_ || transports_.contains(id)) return false;
  if (!is_valid_ufrag(local_ufrag) || by_ufrag_.find(local_ufrag) != by_ufrag_.end()) return false;
  transports_.emplace(id, Entry{std::string(local_ufrag), std::nullopt, std::nullopt});
  by_ufrag_.emplace(std::string(local_ufrag), id);
  return true;
}

bool UdpMuxRouter::set_local_ufrag(TransportId id, std::string_view new_ufrag) {
  const auto it = transports_.find(id);
  if (it == transports_.end() || !is_valid_ufrag(new_ufrag) || !ufrag_free_for(new_ufrag, id)) {
    return false;
  }
  Entry& entry = it->second;
  if (entry.ufrag == new_ufrag) return true;
  // Keep one previous ufrag: drop the one before it.
  if (entry.previous_ufrag && *entry.previous_ufrag != new_ufrag) {
    by_ufrag_.erase(*entry.previous_ufrag);
  }
  entry.previous_ufrag = std::move(entry.ufrag);
  entry.ufrag = std::string(new_ufrag);
  by_ufrag_.insert_or_assign(entry.ufrag, id);
  return true;
}

bool UdpMuxRouter::set_selected_address(TransportId id, const stun::SocketAddress& remote) {
  const auto it = transports_.find(id);
  if (it == transports_.end()) return false;
  Entry& entry = it->second;
  if (entry.address && *entry.address == remote) return true;
  if (entry.address) by_address_.erase(*entry.address);
  // Another transport that had this address loses it.
  if (const auto other = by_address_.find(remote); other != by_address_.end()) {
    if (const auto owner = transports_.find(other->second); owner != transports_.end()) {
      owner->second.address.reset();
    }
    by_address_.erase(other);
  }
  entry.address = remote;
  by_address_.emplace(remote, id);
  return true;
}

void UdpMuxRouter::remove_transport(TransportId id) {
  const auto it = transports_.find(id);
  if (it == transports_.end()) return;
  const Entry& entry = it->second;
  const auto erase_ufrag = [&](const std::string& ufrag) {
    if (const auto u = by_ufrag_.find(ufrag); u != by_ufrag_.end() && u->second == id) {
      by_ufrag_.erase(u);
    }
  };
  erase_ufrag(entry.ufrag);
  if (entry.previous_ufrag) erase_ufrag(*entry.previous_ufrag);
  if (entry.address) {
    if (const auto a = by_address_.find(*entry.address); a != by_address_.end() && a->second == id) {
      by_address_.erase(a);
    }
  }
  transports_.erase(it);
}

std::optional<TransportId> UdpMuxRouter::route_by_ufrag(std::string_view local_ufrag) const {
  const auto it = by_ufrag_.find(local_ufrag);
  if (it == by_ufrag_.end()) return std::nullopt;
  return it->second;
}

std::optional<TransportId> UdpMuxRouter::route_by_address(const stun::SocketAddress& from) const {
  const auto it = by_address_.find(from);
  if (it == by_address_.end()) return std::nullopt;
  return it->second;
}

std::optional<TransportId> UdpMuxRouter::route(std::span<const std::uint8_t> packet,
                                               const stun::SocketAddress& from) const {
  if (packet.empty()) return std::nullopt;
  // RFC 7983 §7: first byte 0-3 is STUN.
  if (packet[0] <= 3) {
    const auto ufrag = stun_local_ufrag(packet);
    if (!ufrag) return std::nullopt;
    return route_by_ufrag(*ufrag);
  }
  return route_by_address(from);
}

}  // namespace parley::ice
