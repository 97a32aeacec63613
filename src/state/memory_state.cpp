#include "state/memory_state.hpp"

namespace parley::state {

void MemoryState::device_online(const std::string& user_id, const std::string& device_id) {
  std::lock_guard lock(mutex_);
  if (online_[user_id].insert(device_id).second) ++devices_;
}

void MemoryState::device_offline(const std::string& user_id, const std::string& device_id) {
  std::lock_guard lock(mutex_);
  auto it = online_.find(user_id);
  if (it == online_.end()) return;
  if (it->second.erase(device_id)) --devices_;
  if (it->second.empty()) online_.erase(it);
}

bool MemoryState::user_online(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return online_.contains(user_id);
}

std::size_t MemoryState::devices_online() const {
  std::lock_guard lock(mutex_);
  return devices_;
}

void MemoryState::expire_keys(Clock::time_point now) {
  while (!expiry_order_.empty() && expiry_order_.begin()->first <= now) {
    auto it = keys_.find(expiry_order_.begin()->second);
    if (it != keys_.end() && it->second.expires <= now) keys_.erase(it);
    expiry_order_.erase(expiry_order_.begin());
  }
}

std::optional<std::string> MemoryState::claim_key(const std::string& key,
                                                  const std::string& value,
                                                  std::chrono::seconds ttl) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  expire_keys(now);
  if (auto it = keys_.find(key); it != keys_.end()) return it->second.value;
  keys_[key] = Claim{value, now + ttl};
  expiry_order_.emplace(now + ttl, key);
  return std::nullopt;
}

void MemoryState::release_key(const std::string& key) {
  std::lock_guard lock(mutex_);
  keys_.erase(key);
}

}  // namespace parley::state
