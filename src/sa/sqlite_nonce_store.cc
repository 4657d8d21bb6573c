#include "sa/sqlite_nonce_store.h"

#include <utility>

#include "core/random.h"
#include "sa/sqlite_database.h"

namespace flint::sa {

using core::Result;

using core::ToUnixSeconds;
using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

constexpr size_t kNonceSecretBytes = 32;

constexpr char kInsertNonceSecret[] =
    "INSERT INTO secrets (name, value) VALUES ('nonce', ?1) ON CONFLICT (name) DO NOTHING";
constexpr char kSelectNonceSecret[] = "SELECT value FROM secrets WHERE name = 'nonce'";
constexpr char kInsertRedeemedNonce[] = "INSERT INTO redeemed_nonces (id, expires) VALUES (?1, ?2)";
constexpr char kPruneRedeemedNonces[] = "DELETE FROM redeemed_nonces WHERE expires < ?1";

core::Error Internal(std::string detail) {
  return core::Err(core::ErrorType::kInternal, std::move(detail));
}

}  // namespace

Result<std::string> SqliteNonceStore::LoadOrCreateSecret(Connection& c) {
  core::SecureRandom random;
  FLINT_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(c, Transaction::Kind::kWrite));
  {
    FLINT_ASSIGN_OR_RETURN(Statement insert, c.Prepare(kInsertNonceSecret));
    insert.BindBlob(1, random.Bytes(kNonceSecretBytes));
    FLINT_TRY(insert.Run());
  }
  std::string secret;
  {
    FLINT_ASSIGN_OR_RETURN(Statement select, c.Prepare(kSelectNonceSecret));
    FLINT_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return Internal("sqlite: nonce secret missing");
    secret = select.Blob(0);
  }
  if (secret.size() != kNonceSecretBytes) return Internal("sqlite: nonce secret has wrong size");
  FLINT_TRY(txn.Commit());
  return secret;
}

// A redemption record only guards against replay; it needs to survive a crash of flint (kill -9),
// not power loss, so it commits without an fsync of its own (see Write's `durable`).
Result<void> SqliteNonceStore::RecordNonceRedemption(std::string_view id, core::TimePoint expires) {
  return db_.Write(/*durable=*/false, [&](Connection& c) -> Result<void> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertRedeemedNonce));
    s.BindBlob(1, id).Bind(2, ToUnixSeconds(expires));
    return s.Run();  // primary key violation: already redeemed, kConflict
  });
}

Result<void> SqliteNonceStore::PruneRedeemedNonces(core::TimePoint cutoff) {
  return db_.Write(/*durable=*/false, [&](Connection& c) -> Result<void> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kPruneRedeemedNonces));
    s.Bind(1, ToUnixSeconds(cutoff));
    return s.Run();
  });
}

}  // namespace flint::sa
