#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "common/error.hpp"
#include "store/store.hpp"

namespace parley::store {

// The one thread that owns the store. Jobs that queue up while a batch runs
// are committed together in the next batch, one transaction and one fsync for
// all of them (group commit), and each job's completion is posted back only
// after its batch committed: whoever is told "done" can rely on the disk.
class StoreThread {
 public:
  explicit StoreThread(Store& store, std::size_t max_batch = 256);
  ~StoreThread();
  StoreThread(const StoreThread&) = delete;
  StoreThread& operator=(const StoreThread&) = delete;

  // Runs work(store) on the store thread, then done(Result<R>) on `back`.
  // An exception from work becomes Error{"internal", ...}.
  template <typename Work, typename Done>
  void run(boost::asio::any_io_executor back, Work work, Done done) {
    using R = std::invoke_result_t<Work&, Store&>;
    auto result = std::make_shared<std::optional<Result<R>>>();
    enqueue(
        [work = std::move(work), result](Store& s) mutable {
          try {
            if constexpr (std::is_void_v<R>) {
              work(s);
              *result = Result<void>{};
            } else {
              *result = Result<R>(work(s));
            }
          } catch (const std::exception& e) {
            *result = fail("internal", "internal error");
            log_failure(e.what());
          }
        },
        [back = std::move(back), done = std::move(done), result]() mutable {
          boost::asio::post(back, [done = std::move(done), result]() mutable {
            done(std::move(**result));
          });
        });
  }

  // A write nobody waits for; still ordered with every other job.
  template <typename Work>
  void post(Work work) {
    enqueue(
        [work = std::move(work)](Store& s) mutable {
          try {
            work(s);
          } catch (const std::exception& e) {
            log_failure(e.what());
          }
        },
        nullptr);
  }

  // Finishes every queued job, then stops the thread. Idempotent.
  void join();

 private:
  struct Job {
    std::move_only_function<void(Store&)> work;
    std::move_only_function<void()> after_commit;
  };
  void enqueue(std::move_only_function<void(Store&)> work,
               std::move_only_function<void()> after_commit);
  void loop();
  static void log_failure(const char* what);

  Store& store_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::store
