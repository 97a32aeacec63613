#include "turn/channels.hpp"

#include <algorithm>

namespace parley::turn {

Channels::Verdict Channels::can_bind(std::uint16_t channel, const PeerAddress& peer,
                                     TimePoint now) const {
  bool exists = false;
  for (const auto& e : entries_) {
    if (e.expires + kQuarantine <= now) continue;  // gone, awaiting expire()
    const bool same_channel = e.channel == channel;
    const bool same_peer = e.peer == peer;
    if (same_channel && same_peer) exists = true;
    else if (same_channel) return Verdict::ChannelTaken;
    else if (same_peer) return Verdict::PeerTaken;
  }
  if (!exists) {
    std::size_t live = 0;
    for (const auto& e : entries_)
      if (e.expires + kQuarantine > now) ++live;
    if (live >= max_) return Verdict::Full;
  }
  return Verdict::Ok;
}

Channels::Verdict Channels::bind(std::uint16_t channel, const PeerAddress& peer, TimePoint expires,
                                 TimePoint now) {
  const auto v = can_bind(channel, peer, now);
  if (v != Verdict::Ok) return v;
  for (auto& e : entries_) {
    if (e.channel == channel && e.peer == peer && e.expires + kQuarantine > now) {
      e.expires = expires;
      return Verdict::Ok;
    }
  }
  expire(now);
  entries_.push_back({channel, peer, expires});
  return Verdict::Ok;
}

const PeerAddress* Channels::peer_of(std::uint16_t channel, TimePoint now) const {
  for (const auto& e : entries_)
    if (e.channel == channel && e.expires > now) return &e.peer;
  return nullptr;
}

std::optional<std::uint16_t> Channels::channel_of(const PeerAddress& peer, TimePoint now) const {
  for (const auto& e : entries_)
    if (e.expires > now && e.peer == peer) return e.channel;
  return std::nullopt;
}

void Channels::expire(TimePoint now) {
  std::erase_if(entries_, [&](const Entry& e) { return e.expires + kQuarantine <= now; });
}

}  // namespace parley::turn
