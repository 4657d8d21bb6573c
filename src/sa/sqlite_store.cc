// SqliteStore: opening, accounts and certificates. Orders, authorizations
// and challenges are in sqlite_store_orders.cc.

#include "sa/sqlite_store.h"

#include <utility>

#include "sa/codec.h"
#include "sa/sqlite_store_internal.h"

namespace flint::sa {

using core::ToUnixSeconds;
using sqlite::Connection;
using sqlite::Statement;

namespace {

constexpr char kInsertAccount[] =
    "INSERT INTO accounts (status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, "
    "created_at) VALUES ('valid', ?1, ?2, ?3, ?4, ?5, ?6)";
// RFC 8555 §7.3.4: an EAB key binds one account, once, and only while it is not revoked.
constexpr char kBindEabKey[] =
    "UPDATE eab_keys SET account_id = ?2 "
    "WHERE key_id = ?1 AND account_id IS NULL AND revoked_at IS NULL";
constexpr char kUpdateContacts[] =
    "UPDATE accounts SET contacts = ?2 WHERE id = ?1 AND status = 'valid'";
constexpr char kDeactivateAccount[] =
    "UPDATE accounts SET status = 'deactivated' WHERE id = ?1 AND status = 'valid'";
constexpr char kChangeAccountKey[] =
    "UPDATE accounts SET jwk = ?2, thumbprint = ?3 "
    "WHERE id = ?1 AND status = 'valid' AND thumbprint = ?4";

constexpr char kRevokeCertificate[] =
    "UPDATE certificates SET revoked = 1, reason = ?2, revoked_at = ?3 "
    "WHERE id = ?1 AND revoked = 0";
// In the revocation's own transaction, so the count never runs ahead of or behind the rows.
constexpr char kCountRevocation[] =
    "INSERT INTO counters (name, value) VALUES ('revocations', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1";

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const core::Clock& clock,
                                                       SqliteStoreOptions options) {
  sqlite::DatabaseOptions db_options;
  db_options.deferred_sync = options.deferred_sync;
  db_options.sync_wal = std::move(options.sync_wal);
  db_options.reader_connections = kReaderConnections;
  std::string secret;
  FLINT_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::Database> db,
      sqlite::Database::Open(path, std::move(db_options), [&](Connection& c) -> Result<void> {
        FLINT_ASSIGN_OR_RETURN(secret, SqliteNonceStore::LoadOrCreateSecret(c));
        return core::Ok();
      }));
  return std::unique_ptr<SqliteStore>(new SqliteStore(clock, std::move(db), std::move(secret)));
}

SqliteStore::SqliteStore(const core::Clock& clock, std::unique_ptr<sqlite::Database> db,
                         std::string nonce_secret)
    : clock_(clock),
      db_(std::move(db)),
      nonces_(std::make_unique<SqliteNonceStore>(*db_, std::move(nonce_secret))) {}

SqliteStore::~SqliteStore() = default;

core::DurabilityBarrier& SqliteStore::durability() { return db_->durability(); }

// --- Accounts ---

Result<core::Account> SqliteStore::GetAccount(core::AccountId id) {
  return Read([&](Connection& c) { return sqlite::LoadAccount(c, id); });
}

Result<core::Account> SqliteStore::GetAccountByThumbprint(const std::string& thumbprint) {
  return Read([&](Connection& c) { return sqlite::LoadAccountByThumbprint(c, thumbprint); });
}

Result<core::Account> SqliteStore::CreateAccount(core::Account account) {
  int64_t now = ToUnixSeconds(clock_.Now());
  return Write([&](Connection& c) -> Result<core::Account> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertAccount));
    s.Bind(1, EncodeStrings(account.contacts))
        .Bind(2, account.jwk_json)
        .Bind(3, account.jwk_thumbprint)
        .Bind(4, int64_t{account.terms_of_service_agreed ? 1 : 0})
        .Bind(5, account.eab_key_id)
        .Bind(6, now);
    FLINT_TRY(s.Run());
    core::AccountId id(c.LastInsertRowId());
    if (!account.eab_key_id.empty()) {
      FLINT_ASSIGN_OR_RETURN(Statement bind, c.Prepare(kBindEabKey));
      bind.Bind(1, account.eab_key_id).Bind(2, id.value);
      FLINT_TRY(bind.Run());
      if (c.Changes() == 0) {  // the transaction rolls back the account too
        return core::Err(core::ErrorType::kConflict,
                         "EAB key is unknown, revoked or already bound");
      }
    }
    return sqlite::LoadAccount(c, id);
  });
}

Result<core::Account> SqliteStore::UpdateAccountContacts(core::AccountId id,
                                                         std::vector<std::string> contacts) {
  return Write([&](Connection& c) -> Result<core::Account> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateContacts));
    s.Bind(1, id.value).Bind(2, EncodeStrings(contacts));
    FLINT_TRY(
        sqlite::RunCompareAndSet(c, std::move(s), sqlite::kAccountExists, id.value, "account"));
    return sqlite::LoadAccount(c, id);
  });
}

Result<core::Account> SqliteStore::DeactivateAccount(core::AccountId id) {
  return Write([&](Connection& c) -> Result<core::Account> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeactivateAccount));
    s.Bind(1, id.value);
    FLINT_TRY(
        sqlite::RunCompareAndSet(c, std::move(s), sqlite::kAccountExists, id.value, "account"));
    return sqlite::LoadAccount(c, id);
  });
}

Result<core::Account> SqliteStore::ChangeAccountKey(core::AccountId id,
                                                    const std::string& old_thumbprint,
                                                    const std::string& new_jwk_json,
                                                    const std::string& new_thumbprint) {
  return Write([&](Connection& c) -> Result<core::Account> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kChangeAccountKey));
    s.Bind(1, id.value).Bind(2, new_jwk_json).Bind(3, new_thumbprint).Bind(4, old_thumbprint);
    // A UNIQUE violation on thumbprint (the new key belongs to another account) is kConflict.
    FLINT_TRY(
        sqlite::RunCompareAndSet(c, std::move(s), sqlite::kAccountExists, id.value, "account"));
    return sqlite::LoadAccount(c, id);
  });
}

// --- Certificates ---

Result<core::Certificate> SqliteStore::GetCertificate(core::CertificateId id) {
  return Read([&](Connection& c) { return sqlite::LoadCertificate(c, id); });
}

Result<core::Certificate> SqliteStore::GetCertificateBySerial(const std::string& serial_hex) {
  return Read([&](Connection& c) { return sqlite::LoadCertificateBySerial(c, serial_hex); });
}

Result<void> SqliteStore::RevokeCertificate(core::CertificateId id, int reason,
                                            core::TimePoint at) {
  return Write([&](Connection& c) -> Result<void> {
    FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(kRevokeCertificate));
    s.Bind(1, id.value).Bind(2, int64_t{reason}).Bind(3, ToUnixSeconds(at));
    FLINT_TRY(sqlite::RunCompareAndSet(c, std::move(s), sqlite::kCertificateExists, id.value,
                                       "certificate"));
    return c.Run(kCountRevocation);
  });
}

}  // namespace flint::sa
