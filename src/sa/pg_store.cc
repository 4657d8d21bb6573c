// PgStore: opening, accounts and certificates. Orders, authorizations and challenges are in
// pg_store_orders.cc.

#include "sa/pg_store.h"

#include <utility>

#include "sa/codec.h"
#include "sa/pg_database.h"
#include "sa/pg_nonce_store.h"
#include "sa/pg_schema.h"
#include "sa/pg_store_internal.h"

namespace flint::sa {

using core::ToUnixSeconds;
using pg::Connection;
using pg::Params;
using pg::Rows;

namespace {

constexpr char kInsertAccount[] =
    "INSERT INTO accounts (status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, "
    "created_at) VALUES ('valid', $1, $2, $3, $4, $5, $6) RETURNING id";
// RFC 8555 §7.3.4: an EAB key binds one account, once, and only while it is not revoked.
constexpr char kBindEabKey[] =
    "UPDATE eab_keys SET account_id = $2 "
    "WHERE key_id = $1 AND account_id IS NULL AND revoked_at IS NULL";
constexpr char kUpdateContacts[] =
    "UPDATE accounts SET contacts = $2 WHERE id = $1 AND status = 'valid'";
constexpr char kDeactivateAccount[] =
    "UPDATE accounts SET status = 'deactivated' WHERE id = $1 AND status = 'valid'";
constexpr char kChangeAccountKey[] =
    "UPDATE accounts SET jwk = $2, thumbprint = $3 "
    "WHERE id = $1 AND status = 'valid' AND thumbprint = $4";

constexpr char kRevokeCertificate[] =
    "UPDATE certificates SET revoked = true, reason = $2, revoked_at = $3 "
    "WHERE id = $1 AND NOT revoked";
// In the revocation's own transaction, so the count never runs ahead of or behind the rows.
constexpr char kCountRevocation[] =
    "INSERT INTO counters (name, value) VALUES ('revocations', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1";

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& uri, const core::Clock& clock,
                                               PgStoreOptions options) {
  pg::DatabaseOptions db_options;
  db_options.connections = options.connections;
  db_options.connect_timeout = options.connect_timeout;
  FLINT_ASSIGN_OR_RETURN(std::unique_ptr<pg::Database> db, pg::Database::Open(uri, db_options));
  // Serialized with every other instance's by the migration lock.
  FLINT_ASSIGN_OR_RETURN(std::string secret, db->Write(pg::Isolation::kReadCommitted,
                                                       [](Connection& c) -> Result<std::string> {
                                                         FLINT_TRY(pg::Migrate(c));
                                                         return PgNonceStore::LoadOrCreateSecret(c);
                                                       }));
  return std::unique_ptr<PgStore>(new PgStore(clock, std::move(db), std::move(secret)));
}

PgStore::PgStore(const core::Clock& clock, std::unique_ptr<pg::Database> db,
                 std::string nonce_secret)
    : clock_(clock),
      db_(std::move(db)),
      nonces_(std::make_unique<PgNonceStore>(*db_, std::move(nonce_secret))) {}

PgStore::~PgStore() = default;

NonceStore& PgStore::nonces() { return *nonces_; }

// --- Accounts ---

Result<core::Account> PgStore::GetAccount(core::AccountId id) {
  return db_->ReadOne([&](Connection& c) { return pg::LoadAccount(c, id); });
}

Result<core::Account> PgStore::GetAccountByThumbprint(const std::string& thumbprint) {
  return db_->ReadOne([&](Connection& c) { return pg::LoadAccountByThumbprint(c, thumbprint); });
}

Result<core::Account> PgStore::CreateAccount(core::Account account) {
  const int64_t now = ToUnixSeconds(clock_.Now());
  return db_->Write([&](Connection& c) -> Result<core::Account> {
    // A taken thumbprint is a unique violation: kConflict, nothing written.
    FLINT_ASSIGN_OR_RETURN(Rows inserted,
                           c.Exec(kInsertAccount, Params()
                                                      .Text(EncodeStrings(account.contacts))
                                                      .Text(account.jwk_json)
                                                      .Text(account.jwk_thumbprint)
                                                      .Bool(account.terms_of_service_agreed)
                                                      .Text(account.eab_key_id)
                                                      .Int(now)));
    core::AccountId id(inserted.Int(0, 0));
    if (!account.eab_key_id.empty()) {
      FLINT_ASSIGN_OR_RETURN(Rows bound,
                             c.Exec(kBindEabKey, Params().Text(account.eab_key_id).Int(id.value)));
      if (bound.affected() == 0) {  // the transaction rolls back the account too
        return core::Err(core::ErrorType::kConflict,
                         "EAB key is unknown, revoked or already bound");
      }
    }
    return pg::LoadAccount(c, id);
  });
}

Result<core::Account> PgStore::UpdateAccountContacts(core::AccountId id,
                                                     std::vector<std::string> contacts) {
  return db_->Write([&](Connection& c) -> Result<core::Account> {
    FLINT_TRY(pg::RunCompareAndSet(c, kUpdateContacts,
                                   Params().Int(id.value).Text(EncodeStrings(contacts)),
                                   pg::kAccountExists, id.value, "account"));
    return pg::LoadAccount(c, id);
  });
}

Result<core::Account> PgStore::DeactivateAccount(core::AccountId id) {
  return db_->Write([&](Connection& c) -> Result<core::Account> {
    FLINT_TRY(pg::RunCompareAndSet(c, kDeactivateAccount, Params().Int(id.value),
                                   pg::kAccountExists, id.value, "account"));
    return pg::LoadAccount(c, id);
  });
}

Result<core::Account> PgStore::ChangeAccountKey(core::AccountId id,
                                                const std::string& old_thumbprint,
                                                const std::string& new_jwk_json,
                                                const std::string& new_thumbprint) {
  return db_->Write([&](Connection& c) -> Result<core::Account> {
    // A unique violation on thumbprint (the new key belongs to another account) is kConflict.
    FLINT_TRY(pg::RunCompareAndSet(
        c, kChangeAccountKey,
        Params().Int(id.value).Text(new_jwk_json).Text(new_thumbprint).Text(old_thumbprint),
        pg::kAccountExists, id.value, "account"));
    return pg::LoadAccount(c, id);
  });
}

// --- Certificates ---

Result<core::Certificate> PgStore::GetCertificate(core::CertificateId id) {
  return db_->ReadOne([&](Connection& c) { return pg::LoadCertificate(c, id); });
}

Result<core::Certificate> PgStore::GetCertificateBySerial(const std::string& serial_hex) {
  return db_->ReadOne([&](Connection& c) { return pg::LoadCertificateBySerial(c, serial_hex); });
}

Result<void> PgStore::RevokeCertificate(core::CertificateId id, int reason, core::TimePoint at) {
  return db_->Write([&](Connection& c) -> Result<void> {
    FLINT_TRY(pg::RunCompareAndSet(c, kRevokeCertificate,
                                   Params().Int(id.value).Int(reason).Int(ToUnixSeconds(at)),
                                   pg::kCertificateExists, id.value, "certificate"));
    FLINT_TRY(c.Exec(kCountRevocation));
    return core::Ok();
  });
}

}  // namespace flint::sa
