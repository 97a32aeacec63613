#pragma once
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "state/ephemeral_state.hpp"

namespace parley::state {

class MemoryState final : public EphemeralState {
 public:
  void device_online(const std::string& user_id, const std::string& device_id) override;
  void device_offline(const std::string& user_id, const std::string& device_id) override;
  bool user_online(const std::string& user_id) const override;
  std::size_t devices_online() const override;
  std::optional<std::string> claim_key(const std::string& key, const std::string& value,
                                       std::chrono::seconds ttl) override;
  void release_key(const std::string& key) override;

 private:
  using Clock = std::chrono::steady_clock;
  void expire_keys(Clock::time_point now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::set<std::string>> online_;
  std::size_t devices_ = 0;
  struct Claim {
    std::string value;
    Clock::time_point expires;
  };
  std::unordered_map<std::string, Claim> keys_;
  std::multimap<Clock::time_point, std::string> expiry_order_;
};

}  // namespace parley::state
