#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/metrics.hpp"

namespace parley::calls {

// Tells devices that are registered but not connected about an incoming call
// by POSTing JSON to a push gateway (the Matrix push-gateway pattern). Never
// blocks a call: it runs on the loop, asynchronously, and retries with
// exponential backoff while `still_wanted()` holds.
class PushNotifier {
 public:
  // `url` like http://127.0.0.1:9000/push; https is not supported yet.
  PushNotifier(boost::asio::any_io_executor exec, std::string url, metrics::Registry& metrics);

  void notify(boost::json::object body, std::function<bool()> still_wanted);

  // Delays between attempts; the first attempt is immediate.
  static constexpr std::chrono::milliseconds kBackoff[] = {
      std::chrono::milliseconds(500), std::chrono::milliseconds(1000),
      std::chrono::milliseconds(2000), std::chrono::milliseconds(4000)};

 private:
  struct Attempt;
  void attempt(std::shared_ptr<Attempt> a);

  boost::asio::any_io_executor exec_;
  std::string host_, port_, target_;
  bool valid_ = false;
  metrics::Family<metrics::Counter>& sent_;
};

}  // namespace parley::calls
