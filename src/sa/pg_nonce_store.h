#pragma once
// PgNonceStore: the NonceStore (nonce_store.h) of a PostgreSQL database, for SqlNonceService:
// every flint instance sharing the database holds the same MAC key and redeems each nonce once.
// Made and owned by the PgStore of the same database (PgStore::nonces()).
//
// Thread-safe; `db` (the store's pg::Database) must outlive it.

#include <string>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/result.h"
#include "sa/nonce_store.h"

namespace flint::sa {

namespace pg {
class Connection;
class Database;
}  // namespace pg

class PgNonceStore final : public NonceStore {
 public:
  // The database's nonce MAC key: created by the first open (the first instance wins the insert;
  // everyone then reads the same row). Runs inside the caller's transaction. For PgStore::Open.
  static core::Result<std::string> LoadOrCreateSecret(pg::Connection& c);

  PgNonceStore(pg::Database& db, std::string secret) : db_(db), secret_(std::move(secret)) {}

  const std::string& NonceSecret() const override { return secret_; }
  // kConflict if `id` was already recorded (its primary key).
  core::Result<void> RecordNonceRedemption(std::string_view id, core::TimePoint expires) override;
  core::Result<void> PruneRedeemedNonces(core::TimePoint cutoff) override;

 private:
  pg::Database& db_;
  const std::string secret_;
};

}  // namespace flint::sa
