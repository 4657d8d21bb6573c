#pragma once
// The bound on validations one account may have pending in this RA (issue 14, DESIGN.md
// "Resource limits are derived"): a validation counts from the moment RespondToChallenge starts
// it until its outcome is recorded, queued or running. Beyond the bound, RespondToChallenge
// answers rateLimited with Retry-After and leaves the challenge pending, so the account's flood
// neither grows the validator's queue nor costs the challenge. Counted in this process: each
// instance sharing a database bounds its own.
//
// Thread-safe.

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "core/types.h"

namespace flint::ra {

class PendingValidations {
 public:
  explicit PendingValidations(int max_per_account) : max_(max_per_account) {}

  // Counts one more for `account` unless it already has max_per_account: false then.
  bool TryAcquire(core::AccountId account) {
    std::lock_guard<std::mutex> lock(mu_);
    int& n = counts_[account.value];
    if (n >= max_) return false;
    ++n;
    return true;
  }
  // Counts one more regardless of the bound (validations resumed after a restart).
  void Acquire(core::AccountId account) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[account.value];
  }
  void Release(core::AccountId account) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(account.value);
    if (it == counts_.end()) return;
    if (--it->second <= 0) counts_.erase(it);
  }
  int pending(core::AccountId account) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(account.value);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  const int max_;
  mutable std::mutex mu_;
  std::unordered_map<int64_t, int> counts_;  // guarded by mu_; no zero entries
};

}  // namespace flint::ra
