#pragma once

// One worker's allocations, by client 5-tuple (RFC 8656 §2.2). A worker
// owns the table outright: no lock. `Entry` is what the worker keeps per
// allocation (the pure Allocation plus its relay socket); it must expose
// `Allocation& state()`.

#include <memory>
#include <unordered_map>
#include <vector>

#include "turn/allocation.hpp"

namespace parley::turn {

template <class Entry>
class AllocationTable {
 public:
  Entry* find(const FiveTuple& tuple) const {
    const auto it = entries_.find(tuple);
    return it == entries_.end() ? nullptr : it->second.get();
  }

  // False if the 5-tuple already has one (437 for the caller).
  bool insert(std::shared_ptr<Entry> entry) {
    const auto tuple = entry->state().tuple();
    return entries_.emplace(tuple, std::move(entry)).second;
  }

  std::shared_ptr<Entry> erase(const FiveTuple& tuple) {
    const auto it = entries_.find(tuple);
    if (it == entries_.end()) return nullptr;
    auto entry = std::move(it->second);
    entries_.erase(it);
    return entry;
  }

  // The 5-tuples whose allocation has expired (RFC 8656 §7: deleted at
  // expiry); expires permissions and channels of the others on the way.
  std::vector<FiveTuple> sweep(TimePoint now) {
    std::vector<FiveTuple> dead;
    for (auto& [tuple, entry] : entries_) {
      if (entry->state().expired(now))
        dead.push_back(tuple);
      else
        entry->state().expire_children(now);
    }
    return dead;
  }

  template <class F>
  void for_each(F&& f) {
    for (auto& [tuple, entry] : entries_) f(*entry);
  }

  std::vector<FiveTuple> tuples() const {
    std::vector<FiveTuple> out;
    for (const auto& [tuple, entry] : entries_) out.push_back(tuple);
    return out;
  }

  std::size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<FiveTuple, std::shared_ptr<Entry>, FiveTupleHash> entries_;
};

}  // namespace parley::turn
