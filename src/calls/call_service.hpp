#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "calls/call_state_machine.hpp"
#include "calls/device_link.hpp"
#include "calls/push_notifier.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "state/ephemeral_state.hpp"
#include "store/store_thread.hpp"

namespace parley::calls {

struct CallServiceConfig {
  std::chrono::milliseconds ring_timeout{30'000};
  std::chrono::milliseconds reconnect_grace{20'000};
  std::chrono::seconds idempotency_ttl{300};
};

// Owns every live 1:1 call and every connected device. Runs on one event loop
// (the signaling loop): nothing here locks, and "first accept wins" is simply
// the first accept this loop handles. Persistence goes through the store's own
// thread; a call's end is durable before anyone is told it ended.
class CallService {
 public:
  CallService(boost::asio::any_io_executor exec, store::StoreThread& store,
              state::EphemeralState& state, PushNotifier* push, metrics::Registry& metrics,
              CallServiceConfig config);
  ~CallService();

  // A device said `register` on `link`. Answers `registered`, then the state
  // of any call this device is the chosen device of (reconnect), and rings it
  // for calls that are ringing for its user.
  void attach(const UserRef& user, const std::string& device_id, const std::string& device_name,
              const std::string& push_token, std::shared_ptr<DeviceLink> link);
  // The connection of a registered device closed. Ignored when `link` is not
  // the device's current connection (it was replaced).
  void detach(const std::string& user_id, const std::string& device_id, const DeviceLink* link);

  void invite(const Sender& from, const std::string& callee_username, const std::string& call_type,
              const std::string& idempotency_key, std::optional<std::string> sdp_offer);
  void accept(const Sender& from, const std::string& call_id,
              std::optional<std::string> sdp_answer);
  void decline(const Sender& from, const std::string& call_id);
  void cancel(const Sender& from, const std::string& call_id);
  void end(const Sender& from, const std::string& call_id);
  void handoff(const Sender& from, const std::string& call_id);

  enum class Relay { offer, answer, candidate };
  // sdp_offer / sdp_answer / ice_candidate to the other party's chosen device.
  void relay(const Sender& from, const std::string& call_id, Relay kind,
             boost::json::object message);

  std::size_t live_calls() const { return calls_.size(); }

  // Drops every call and device link without telling anyone; for process exit
  // (the store marks live calls failed on the next start).
  void shutdown();

 private:
  enum Side { kCaller = 0, kCallee = 1 };
  struct Call;
  struct Device {
    std::string name;
    std::shared_ptr<DeviceLink> link;
  };
  struct UserEntry {
    UserRef ref;
    std::map<std::string, Device> devices;  // connected devices only
    std::set<std::string> calls;            // live calls this user is a party of
  };

  Call* find_call(const Sender& from, const std::string& call_id);
  std::optional<Side> side_of(const Call& c, const std::string& user_id) const;
  bool is_busy(const std::string& callee_id, const Call& c) const;
  bool is_chosen_device(const Call& c, Side side, const std::string& device_id) const;
  DeviceLink* link_of(const std::string& user_id, const std::string& device_id) const;
  void send_to(const std::string& user_id, const std::string& device_id, boost::json::object msg);

  void resolve_callee(std::string call_id, std::string callee_username);
  void start_ringing(Call& c, std::vector<store::DeviceRecord> registered_devices);
  void merge_glare(Call& existing, const Sender& from, const std::string& idem_claim);
  void connect(Call& c, const std::string& device_id, std::optional<std::string> sdp_answer,
               bool glare);
  void end_by_party(const Sender& from, const std::string& call_id, Action action);
  void mark_away(Call& c, Side side);
  void mark_back(Call& c, Side side);
  void finish(Call& c, EndReason reason);
  store::CallRecord record_of(const Call& c) const;
  void save(const Call& c);
  UserEntry& user_entry(const UserRef& ref);
  void forget_user_if_idle(const std::string& user_id);
  boost::json::object incoming_call_message(const Call& c) const;

  boost::asio::any_io_executor exec_;
  store::StoreThread& store_;
  state::EphemeralState& state_;
  PushNotifier* push_;
  CallServiceConfig config_;

  std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
  std::unordered_map<std::string, UserEntry> users_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  metrics::Family<metrics::Counter>& calls_total_;
  metrics::Gauge& calls_live_;
  metrics::Gauge& devices_connected_;
  metrics::Histogram& setup_latency_;
};

}  // namespace parley::calls
