#include "store/store_thread.hpp"

#include "common/log.hpp"

namespace parley::store {

StoreThread::StoreThread(Store& store, std::size_t max_batch)
    : store_(store), max_batch_(max_batch), thread_([this] { loop(); }) {}

StoreThread::~StoreThread() { join(); }

void StoreThread::join() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void StoreThread::enqueue(std::move_only_function<void(Store&)> work,
                          std::move_only_function<void()> after_commit) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{std::move(work), std::move(after_commit)});
  }
  wake_.notify_one();
}

void StoreThread::log_failure(const char* what) { spdlog::error("store job failed: {}", what); }

void StoreThread::loop() {
  std::deque<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything is done
      const std::size_t n = std::min(queue_.size(), max_batch_);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    bool in_transaction = false;
    try {
      store_.begin();
      in_transaction = true;
    } catch (const std::exception& e) {
      log_failure(e.what());
    }
    for (auto& job : batch) job.work(store_);
    if (in_transaction) {
      try {
        store_.commit();
      } catch (const std::exception& e) {
        log_failure(e.what());
        store_.rollback();
      }
    }
    for (auto& job : batch)
      if (job.after_commit) job.after_commit();
    batch.clear();
  }
}

}  // namespace parley::store
