#pragma once
// Fair admission of validations: at most `max_in_flight` run at once, and when that bound is
// reached the next to start is picked round-robin across keys (account URLs), not in arrival
// order. One account with hundreds of validations queued against a slow target therefore delays
// another account's validation by at most one turn, not by the whole queue ahead of it.
//
// Thread-safe. Tasks are started outside the internal lock, on the thread that calls Submit (a
// free slot) or Finished (a slot freed), so they must only start work, not do it.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace flint::va {

class FairScheduler {
 public:
  explicit FairScheduler(size_t max_in_flight);

  // Starts `task` now if fewer than max_in_flight are running, else queues it under `key`.
  // Every started task must be matched by exactly one Finished() once its work is done.
  void Submit(const std::string& key, std::function<void()> task);
  // A started task's work is done: frees its slot and starts the next queued task, if any:
  // the first task of the key after the last one served, in round-robin order.
  void Finished();

  size_t in_flight() const;
  size_t queued() const;
  size_t max_in_flight() const { return max_in_flight_; }

 private:
  // Takes the next task in round-robin order; requires mu_ held and a queued task.
  std::function<void()> NextLocked();

  const size_t max_in_flight_;
  mutable std::mutex mu_;
  size_t in_flight_ = 0;                                                    // guarded by mu_
  size_t queued_ = 0;                                                       // guarded by mu_
  std::unordered_map<std::string, std::deque<std::function<void()>>> by_key_;  // guarded by mu_
  std::deque<std::string> turn_;  // keys with queued tasks, next to serve first; guarded by mu_
};

}  // namespace flint::va
