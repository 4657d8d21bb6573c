#pragma once
// AccountCache: accounts by id, kept in memory so that authenticating a kid-signed request
// (RFC 8555 §6.2) does not need a database read every time.
//
// Coherence contract. The cache is only correct when every change to the accounts table goes
// through the same process's store, which calls Invalidate(id) after each account write has
// committed. A reader that missed takes Generation() *before* its database read and offers the
// row with InsertIfCurrent(); the row is dropped if any invalidation happened meanwhile, since
// the read may have seen the state from before that write. So once Invalidate(id) has returned,
// no Find(id) returns the state from before the write.
//
// Bounded: when it holds kMaxEntries accounts (a few MiB: an entry is the account row, mostly its
// JWK, and the map's node) it is emptied and refills from the database. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/types.h"

namespace flint::sa {

class AccountCache {
 public:
  static constexpr size_t kMaxEntries = 8192;

  std::optional<core::Account> Find(core::AccountId id) const;
  uint64_t Generation() const;
  // Stores `account` if no Invalidate happened since `generation` was taken.
  void InsertIfCurrent(const core::Account& account, uint64_t generation);
  void Invalidate(core::AccountId id);
  // Drops every entry (as Invalidate for each).
  void Clear();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  uint64_t generation_ = 0;                              // guarded by mu_
  std::unordered_map<int64_t, core::Account> accounts_;  // guarded by mu_
};

}  // namespace flint::sa
