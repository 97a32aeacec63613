#pragma once

// RFC 8656 §11: channel bindings of one allocation. A channel number maps to
// exactly one peer transport address and back; a binding lasts 600 s unless
// refreshed. After it expires, neither the number nor the address may be
// bound to anything else for another 5 minutes (§11: the client waits
// before rebinding, and the server keeps the pair reserved meanwhile), so
// late packets of the old binding cannot reach a new peer.

#include <cstdint>
#include <optional>
#include <vector>

#include "net/ip.hpp"
#include "turn/turn_config.hpp"

namespace parley::turn {

struct PeerAddress {
  net::IpAddress ip;
  std::uint16_t port = 0;
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

class Channels {
 public:
  enum class Verdict { Ok, ChannelTaken, PeerTaken, Full };

  explicit Channels(std::size_t max_entries) : max_(max_entries) {}

  // Checks without changing anything (400 for Taken, 508 for Full).
  Verdict can_bind(std::uint16_t channel, const PeerAddress& peer, TimePoint now) const;
  // Binds or refreshes until `expires`.
  Verdict bind(std::uint16_t channel, const PeerAddress& peer, TimePoint expires, TimePoint now);

  // Active bindings only.
  const PeerAddress* peer_of(std::uint16_t channel, TimePoint now) const;
  std::optional<std::uint16_t> channel_of(const PeerAddress& peer, TimePoint now) const;

  // Drops bindings 5 minutes past their expiry.
  void expire(TimePoint now);
  std::size_t size() const { return entries_.size(); }

  static constexpr std::chrono::seconds kQuarantine{300};

 private:
  struct Entry {
    std::uint16_t channel;
    PeerAddress peer;
    TimePoint expires;
  };
  std::size_t max_;
  std::vector<Entry> entries_;
};

}  // namespace parley::turn
