#pragma once

// Demultiplexing for the one-UDP-port server (all WebRTC transports of a
// worker share one socket): which transport does a datagram belong to?
//
// - STUN (RFC 7983: first byte 0-3, and the RFC 8489 §5 cookie): by the local
//   ufrag, the part of USERNAME before ':' (RFC 8445 §7.2.2). This is how a
//   transport learns of a new remote address, so the source does not matter.
// - Anything else (DTLS, RTP, RTCP): by the source address, known once the
//   transport's agent has selected a pair (set_selected_address) and moved
//   when the browser moves (the next selected_pair_changed).
//
// route() is const: hostile datagrams (no USERNAME, unknown ufrag, oversized
// or malformed username, unknown address) are dropped without any state
// change. State grows only by add_transport, at most max_transports entries,
// each with at most two ufrags (current and, after an ICE restart, the
// previous one) and one address.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "stun/address.hpp"

namespace parley::ice {

using TransportId = std::uint64_t;

struct SocketAddressHash {
  std::size_t operator()(const stun::SocketAddress& address) const noexcept;
};

// The local ufrag a STUN packet is addressed to: the part of its USERNAME
// before ':' when that is 4-256 ice-chars (RFC 8445 §5.3). Nothing for
// anything else. The view points into `packet`.
std::optional<std::string_view> stun_local_ufrag(std::span<const std::uint8_t> packet);

class UdpMuxRouter {
 public:
  explicit UdpMuxRouter(std::size_t max_transports = 65536) : max_transports_(max_transports) {}

  // Registers a transport under its local ufrag. False if the id is taken,
  // the ufrag is invalid or used by another transport (generate a new one),
  // or the table is full.
  bool add_transport(TransportId id, std::string_view local_ufrag);

  // ICE restart: the transport is now reached under `new_ufrag`; the
  // previous one keeps routing to it (its agent decides whether the old
  // credentials are still good) until the next restart or removal. False if
  // the transport is unknown or the ufrag invalid or used by another one.
  bool set_local_ufrag(TransportId id, std::string_view new_ufrag);

  // The agent selected a pair with this remote address (selected_pair_changed):
  // non-STUN datagrams from it go to `id`; the transport's previous address
  // stops routing. If another transport had this address, it loses it (the
  // latest authenticated nomination wins: NATs reuse ports). False if the
  // transport is unknown.
  bool set_selected_address(TransportId id, const stun::SocketAddress& remote);

  // Forgets the transport, its ufrags and its address.
  void remove_transport(TransportId id);

  // The transport a datagram from `from` belongs to, or nothing to drop it.
  std::optional<TransportId> route(std::span<const std::uint8_t> packet,
                                   const stun::SocketAddress& from) const;
  std::optional<TransportId> route_by_ufrag(std::string_view local_ufrag) const;
  std::optional<TransportId> route_by_address(const stun::SocketAddress& from) const;

  std::size_t transport_count() const { return transports_.size(); }
  std::size_t ufrag_count() const { return by_ufrag_.size(); }
  std::size_t address_count() const { return by_address_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  struct Entry {
    std::string ufrag;
    std::optional<std::string> previous_ufrag;
    std::optional<stun::SocketAddress> address;
  };

  bool ufrag_free_for(std::string_view ufrag, TransportId id) const;

  std::size_t max_transports_;
  std::unordered_map<TransportId, Entry> transports_;
  std::unordered_map<std::string, TransportId, StringHash, std::equal_to<>> by_ufrag_;
  std::unordered_map<stun::SocketAddress, TransportId, SocketAddressHash> by_address_;
};

}  // namespace parley::ice
