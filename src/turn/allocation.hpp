#pragma once

// RFC 8656 §2.2, §7: the state of one allocation, without its socket: who
// owns it (5-tuple, username), when it expires, its permissions, channels
// and bandwidth bucket. Pure: time comes in as a parameter.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "net/ip.hpp"
#include "stun/integrity.hpp"
#include "stun/transaction_id.hpp"
#include "turn/channels.hpp"
#include "turn/permissions.hpp"
#include "turn/quota.hpp"
#include "turn/turn_config.hpp"

namespace parley::turn {

enum class Transport : std::uint8_t { Udp, Tcp, Tls };

// RFC 8656 §2.2: client address, server address and transport identify an
// allocation.
struct FiveTuple {
  Transport transport = Transport::Udp;
  PeerAddress client;
  PeerAddress server;
  friend bool operator==(const FiveTuple&, const FiveTuple&) = default;
};

struct FiveTupleHash {
  std::size_t operator()(const FiveTuple& t) const noexcept;
};

// RFC 8656 §7.2: the initial lifetime is the requested one capped at the
// maximum, but never below the default.
std::uint32_t allocate_lifetime(std::optional<std::uint32_t> requested, const TurnConfig& config);
// RFC 8656 §7.3: a Refresh may shorten it (0 deletes); absent means default.
std::uint32_t refresh_lifetime(std::optional<std::uint32_t> requested, const TurnConfig& config);

class Allocation {
 public:
  Allocation(FiveTuple tuple, std::string username, std::string principal, stun::LongTermKey key,
             stun::TransactionId created_by, PeerAddress relayed, std::uint32_t lifetime,
             const TurnConfig& config, TimePoint now);

  const FiveTuple& tuple() const { return tuple_; }
  const std::string& username() const { return username_; }
  const std::string& principal() const { return principal_; }
  const stun::LongTermKey& key() const { return key_; }
  const stun::TransactionId& created_by() const { return created_by_; }
  const PeerAddress& relayed() const { return relayed_; }

  TimePoint expires() const { return expires_; }
  bool expired(TimePoint now) const { return now >= expires_; }
  std::uint32_t seconds_left(TimePoint now) const;
  void set_lifetime(std::uint32_t seconds, TimePoint now);

  Permissions& permissions() { return permissions_; }
  const Permissions& permissions() const { return permissions_; }
  Channels& channels() { return channels_; }
  const Channels& channels() const { return channels_; }
  // Both directions draw from the same bucket.
  bool take_bandwidth(std::size_t bytes, TimePoint now) {
    return bandwidth_.take(static_cast<double>(bytes), now);
  }

  // Timers of §9 and §11.
  void expire_children(TimePoint now) {
    permissions_.expire(now);
    channels_.expire(now);
  }

 private:
  FiveTuple tuple_;
  std::string username_, principal_;
  stun::LongTermKey key_;
  stun::TransactionId created_by_;
  PeerAddress relayed_;
  TimePoint expires_;
  Permissions permissions_;
  Channels channels_;
  TokenBucket bandwidth_;
};

}  // namespace parley::turn
