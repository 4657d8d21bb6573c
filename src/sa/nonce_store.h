#pragma once
// What SqlNonceService needs from a shared database: one implementation per backend whose
// database several flint instances may share (SqliteNonceStore, from SqliteStore::nonces(), now;
// PostgreSQL later), separate from that backend's Store.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace flint::sa {

class NonceStore {
 public:
  virtual ~NonceStore() = default;

  // The 32-byte MAC key for nonces, created once in the database (at its first open) and read
  // at every open, so every instance sharing the database holds the same key. Never logged.
  virtual const std::string& NonceSecret() const = 0;

  // Records nonce `id` as redeemed; the record is kept at least until `expires`. Durable on
  // success. kConflict if `id` was already recorded: the compare-and-set that makes a nonce
  // single-use across instances. Thread-safe.
  virtual core::Result<void> RecordNonceRedemption(std::string_view id,
                                                   core::TimePoint expires) = 0;

  // Forgets redemptions whose `expires` is before `cutoff`. Thread-safe.
  virtual core::Result<void> PruneRedeemedNonces(core::TimePoint cutoff) = 0;
};

}  // namespace flint::sa
