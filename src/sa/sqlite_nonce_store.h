#pragma once
// SqliteNonceStore: the NonceStore (nonce_store.h) of a SQLite database, for SqlNonceService
// when several flint instances share the database (--shared-nonces). Its own object, made and
// owned by the SqliteStore of the same database (SqliteStore::nonces()), because a redemption
// record is a write like any other: it joins that store's group commit, as a write that needs
// no fsync of its own (it only guards against replay, so surviving kill -9 is enough).
//
// Thread-safe; `db` (the store's sqlite::Database) must outlive it.

#include <string>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/result.h"
#include "sa/nonce_store.h"

namespace flint::sa {

namespace sqlite {
class Connection;
class Database;
}  // namespace sqlite

class SqliteNonceStore final : public NonceStore {
 public:
  // The database's nonce MAC key: created by the first open (the first instance wins the insert;
  // everyone then reads the same row). For SqliteStore::Open.
  static core::Result<std::string> LoadOrCreateSecret(sqlite::Connection& c);

  SqliteNonceStore(sqlite::Database& db, std::string secret)
      : db_(db), secret_(std::move(secret)) {}

  const std::string& NonceSecret() const override { return secret_; }
  core::Result<void> RecordNonceRedemption(std::string_view id, core::TimePoint expires) override;
  core::Result<void> PruneRedeemedNonces(core::TimePoint cutoff) override;

 private:
  sqlite::Database& db_;
  const std::string secret_;
};

}  // namespace flint::sa
