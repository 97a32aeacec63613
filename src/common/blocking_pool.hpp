#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <type_traits>
#include <utility>

#include "common/error.hpp"
#include "common/log.hpp"

namespace parley {

// Threads for work that may block (disk, password hashing), so that no event
// loop ever waits. A pool of one thread runs its jobs in order, which is what
// the store relies on: writes land in the order they were asked for.
class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : pool_(threads) {}
  ~BlockingPool() { join(); }

  // Runs work() on the pool, then done(Result<R>) on `back` (the caller's loop).
  // An exception from work() becomes Error{"internal", ...}; it is logged
  // without its payload's secrets because work() never throws them.
  template <typename Work, typename Done>
  void run(boost::asio::any_io_executor back, Work work, Done done) {
    using R = std::invoke_result_t<Work&>;
    boost::asio::post(pool_, [back = std::move(back), work = std::move(work),
                              done = std::move(done)]() mutable {
      Result<R> result = [&]() -> Result<R> {
        try {
          if constexpr (std::is_void_v<R>) {
            work();
            return {};
          } else {
            return work();
          }
        } catch (const std::exception& e) {
          spdlog::error("blocking job failed: {}", e.what());
          return fail("internal", "internal error");
        }
      }();
      boost::asio::post(back, [done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    });
  }

  // Fire and forget, still in order on a one-thread pool.
  template <typename Work>
  void post(Work work) {
    boost::asio::post(pool_, [work = std::move(work)]() mutable {
      try {
        work();
      } catch (const std::exception& e) {
        spdlog::error("blocking job failed: {}", e.what());
      }
    });
  }

  void join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace parley
