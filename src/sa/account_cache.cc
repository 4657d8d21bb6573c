#include "sa/account_cache.h"

namespace flint::sa {

std::optional<core::Account> AccountCache::Find(core::AccountId id) const {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(id.value);
  if (it == accounts_.end()) return std::nullopt;
  return it->second;
}

uint64_t AccountCache::Generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void AccountCache::InsertIfCurrent(const core::Account& account, uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation != generation_) return;
  if (accounts_.size() >= kMaxEntries) accounts_.clear();
  accounts_.insert_or_assign(account.id.value, account);
}

void AccountCache::Invalidate(core::AccountId id) {
  std::lock_guard lock(mu_);
  accounts_.erase(id.value);
  ++generation_;
}

void AccountCache::Clear() {
  std::lock_guard lock(mu_);
  accounts_.clear();
  ++generation_;
}

size_t AccountCache::size() const {
  std::lock_guard lock(mu_);
  return accounts_.size();
}

}  // namespace flint::sa
