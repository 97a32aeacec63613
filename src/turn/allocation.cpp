#include "turn/allocation.hpp"

#include <algorithm>
#include <string_view>

namespace parley::turn {

std::size_t FiveTupleHash::operator()(const FiveTuple& t) const noexcept {
  std::size_t h = static_cast<std::size_t>(t.transport);
  const auto mix = [&](const PeerAddress& a) {
    h = h * 1099511628211ULL ^ std::hash<std::string_view>{}(std::string_view(
                                   reinterpret_cast<const char*>(a.ip.bytes.data()), a.ip.size()));
    h = h * 1099511628211ULL ^ a.port;
  };
  mix(t.client);
  mix(t.server);
  return h;
}

std::uint32_t allocate_lifetime(std::optional<std::uint32_t> requested, const TurnConfig& config) {
  if (!requested) return config.default_lifetime;
  const auto capped = std::min(*requested, config.max_lifetime);
  return std::max(capped, config.default_lifetime);
}

std::uint32_t refresh_lifetime(std::optional<std::uint32_t> requested, const TurnConfig& config) {
  if (!requested) return config.default_lifetime;
  return std::min(*requested, config.max_lifetime);
}

Allocation::Allocation(FiveTuple tuple, std::string username, std::string principal,
                       stun::LongTermKey key, stun::TransactionId created_by, PeerAddress relayed,
                       std::uint32_t lifetime, const TurnConfig& config, TimePoint now)
    : tuple_(std::move(tuple)),
      username_(std::move(username)),
      principal_(std::move(principal)),
      key_(key),
      created_by_(created_by),
      relayed_(relayed),
      expires_(now + std::chrono::seconds(lifetime)),
      permissions_(config.max_permissions),
      channels_(config.max_channels),
      // One second of traffic as burst.
      bandwidth_(static_cast<double>(config.bandwidth), static_cast<double>(config.bandwidth),
                 now) {}

std::uint32_t Allocation::seconds_left(TimePoint now) const {
  if (now >= expires_) return 0;
  return static_cast<std::uint32_t>(
      std::chrono::ceil<std::chrono::seconds>(expires_ - now).count());
}

void Allocation::set_lifetime(std::uint32_t seconds, TimePoint now) {
  expires_ = now + std::chrono::seconds(seconds);
}

}  // namespace parley::turn
