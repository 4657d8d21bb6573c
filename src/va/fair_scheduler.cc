#include "va/fair_scheduler.h"

#include <algorithm>

namespace flint::va {

FairScheduler::FairScheduler(size_t max_in_flight) : max_in_flight_(std::max<size_t>(1, max_in_flight)) {}

void FairScheduler::Submit(const std::string& key, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_ >= max_in_flight_) {
      auto& queue = by_key_[key];
      if (queue.empty()) turn_.push_back(key);
      queue.push_back(std::move(task));
      ++queued_;
      return;
    }
    ++in_flight_;
  }
  task();
}

std::function<void()> FairScheduler::NextLocked() {
  std::string key = std::move(turn_.front());
  turn_.pop_front();
  auto it = by_key_.find(key);
  std::function<void()> task = std::move(it->second.front());
  it->second.pop_front();
  --queued_;
  if (it->second.empty()) {
    by_key_.erase(it);
  } else {
    turn_.push_back(std::move(key));  // its next task waits for every other key's turn
  }
  return task;
}

void FairScheduler::Finished() {
  std::function<void()> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (turn_.empty()) {
      if (in_flight_ > 0) --in_flight_;
      return;
    }
    next = NextLocked();  // the freed slot passes straight to it: in_flight_ is unchanged
  }
  next();
}

size_t FairScheduler::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

size_t FairScheduler::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_;
}

}  // namespace flint::va
