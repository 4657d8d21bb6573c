#include "sa/pg_nonce_store.h"

#include <utility>

#include "core/random.h"
#include "sa/pg_database.h"

namespace flint::sa {

using core::Result;
using core::ToUnixSeconds;
using pg::Connection;
using pg::Params;
using pg::Rows;

namespace {

constexpr size_t kNonceSecretBytes = 32;

constexpr char kInsertNonceSecret[] =
    "INSERT INTO secrets (name, value) VALUES ('nonce', $1) ON CONFLICT (name) DO NOTHING";
constexpr char kSelectNonceSecret[] = "SELECT value FROM secrets WHERE name = 'nonce'";
constexpr char kInsertRedeemedNonce[] = "INSERT INTO redeemed_nonces (id, expires) VALUES ($1, $2)";
constexpr char kPruneRedeemedNonces[] = "DELETE FROM redeemed_nonces WHERE expires < $1";

core::Error Internal(std::string detail) {
  return core::Err(core::ErrorType::kInternal, std::move(detail));
}

}  // namespace

Result<std::string> PgNonceStore::LoadOrCreateSecret(Connection& c) {
  core::SecureRandom random;
  FLINT_TRY(c.Exec(kInsertNonceSecret, Params().Bytes(random.Bytes(kNonceSecretBytes))));
  FLINT_ASSIGN_OR_RETURN(Rows rows, c.Exec(kSelectNonceSecret));
  if (rows.empty()) return Internal("postgres: nonce secret missing");
  std::string secret = rows.Bytes(0, 0);
  if (secret.size() != kNonceSecretBytes) return Internal("postgres: nonce secret has wrong size");
  return secret;
}

// One statement each: READ COMMITTED suffices, and the primary key makes redemption a
// compare-and-set across instances.
Result<void> PgNonceStore::RecordNonceRedemption(std::string_view id, core::TimePoint expires) {
  return db_.Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<void> {
    FLINT_TRY(c.Exec(kInsertRedeemedNonce, Params().Bytes(id).Int(ToUnixSeconds(expires))));
    return core::Ok();  // a unique violation (already redeemed) is kConflict
  });
}

Result<void> PgNonceStore::PruneRedeemedNonces(core::TimePoint cutoff) {
  return db_.Write(pg::Isolation::kReadCommitted, [&](Connection& c) -> Result<void> {
    FLINT_TRY(c.Exec(kPruneRedeemedNonces, Params().Int(ToUnixSeconds(cutoff))));
    return core::Ok();
  });
}

}  // namespace flint::sa
