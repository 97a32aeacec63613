#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace parley::state {

// Shared, short-lived state that a cluster keeps in Redis and a single node in
// memory: who is online and which idempotency keys were seen.
class EphemeralState {
 public:
  virtual ~EphemeralState() = default;

  virtual void device_online(const std::string& user_id, const std::string& device_id) = 0;
  virtual void device_offline(const std::string& user_id, const std::string& device_id) = 0;
  virtual bool user_online(const std::string& user_id) const = 0;
  virtual std::size_t devices_online() const = 0;

  // Atomically claims `key` for `value` for `ttl`; when the key is already
  // claimed and not expired, returns the value it holds instead.
  virtual std::optional<std::string> claim_key(const std::string& key, const std::string& value,
                                               std::chrono::seconds ttl) = 0;
  virtual void release_key(const std::string& key) = 0;
};

}  // namespace parley::state
