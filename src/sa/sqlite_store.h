#pragma once
// The embedded storage backend: one SQLite file in WAL mode.
//
// Durability, in one of two modes (SqliteStoreOptions::deferred_sync):
//   - immediate (default): synchronous=FULL, so each write's COMMIT has reached stable storage
//     before the method returns (survives kill -9 and power loss);
//   - deferred (`flint serve` with one process per database): commits are written to the WAL
//     (surviving kill -9 at once) and a WalSyncer (wal_syncer.h) fdatasyncs the WAL for every
//     commit so far, one fsync for however many commits arrived meanwhile. Callers hold back
//     anything that depends on storage until durability() says it is durable, so a response
//     still never reports a write that power loss could undo.
// Each intent is one transaction on a sqlite::Database (sqlite_database.h): writes use BEGIN
// IMMEDIATE on the single writer connection, in group commit (serialized within the process and
// by SQLite's write lock across processes); reads see a consistent snapshot without queueing
// behind writes. This class holds the SQL alone.
//
// Several SqliteStore objects (in one or several processes) may open the same file; all their
// transitions stay atomic, and nonce redemption stays exactly-once (nonces()).
//
// Open() applies pending schema migrations (sqlite_schema.h). `clock` decides derived statuses
// (expiry, store.h) and created_at; it must outlive the store.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/durability.h"
#include "sa/nonce_store.h"
#include "sa/sqlite_nonce_store.h"
#include "sa/store.h"

namespace flint::sa {

namespace sqlite {
class Connection;
class Database;
}  // namespace sqlite

struct SqliteStoreOptions {
  // See "Durability" above. Only for a database file that no other process writes or serves
  // from: another process's readers would see commits this process has not synced yet.
  bool deferred_sync = false;
  // Deferred sync: makes the WAL file (an open descriptor) durable, returning 0 or an errno.
  // Empty: fdatasync. Tests inject failures here.
  std::function<int(int fd)> sync_wal;
};

class SqliteStore final : public Store {
 public:
  // Read-only connections kept for StoreReader methods.
  static constexpr int kReaderConnections = 4;

  // Opens or creates the database at `path` (a file path; ":memory:" is not supported since
  // readers use separate connections). kInternal if it cannot be opened, is not a database,
  // has a newer schema than this flint knows, or WAL / synchronous=FULL cannot be set.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const core::Clock& clock,
                                                   SqliteStoreOptions options = {});
  // Syncs what is still unsynced (deferred mode), then closes.
  ~SqliteStore() override;

  // What a response must wait for before it reports this store's writes (core/durability.h):
  // in deferred mode the WalSyncer, whose failed fdatasync also makes every later write fail
  // with kInternal; in immediate mode every mark is already durable. Lives as long as the store.
  core::DurabilityBarrier& durability();

  // The database's nonce records (sqlite_nonce_store.h), for SqlNonceService. Lives as long as
  // the store.
  NonceStore& nonces() { return *nonces_; }

  // StoreReader
  Result<core::Account> GetAccount(core::AccountId id) override;
  Result<core::Account> GetAccountByThumbprint(const std::string& thumbprint) override;
  Result<core::Order> GetOrder(core::OrderId id) override;
  Result<std::vector<core::OrderId>> ListOrderIds(core::AccountId account, int64_t before,
                                                  int limit) override;
  Result<core::Authorization> GetAuthorization(core::AuthzId id) override;
  Result<core::Challenge> GetChallenge(core::ChallengeId id) override;
  Result<core::Certificate> GetCertificate(core::CertificateId id) override;
  Result<core::Certificate> GetCertificateBySerial(const std::string& serial_hex) override;
  Result<EabKey> GetEabKey(const std::string& key_id) override;
  Result<std::vector<EabKey>> ListEabKeys() override;
  Result<std::vector<core::Account>> ListAccounts(int limit) override;
  Result<std::vector<core::Order>> ListOrders(std::optional<core::AccountId> account,
                                              int limit) override;
  Result<std::vector<core::Certificate>> ListCertificates(std::optional<core::AccountId> account,
                                                          int limit) override;
  Result<CertificateCounts> CountCertificates() override;

  // Store
  Result<core::Account> CreateAccount(core::Account account) override;
  Result<core::Account> UpdateAccountContacts(core::AccountId id,
                                              std::vector<std::string> contacts) override;
  Result<core::Account> DeactivateAccount(core::AccountId id) override;
  Result<core::Account> ChangeAccountKey(core::AccountId id, const std::string& old_thumbprint,
                                         const std::string& new_jwk_json,
                                         const std::string& new_thumbprint) override;
  Result<core::Authorization> CreateAuthorization(core::Authorization authz) override;
  Result<std::optional<int64_t>> GetRateLimit(const std::string& key) override;
  Result<bool> UpdateRateLimit(
      const std::string& key,
      const std::function<std::optional<int64_t>(std::optional<int64_t>)>& admit) override;
  Result<int64_t> CountPendingAuthorizations(core::AccountId account, core::TimePoint now,
                                             int64_t at_most) override;

  Result<core::Order> CreateOrder(core::Order order,
                                  std::vector<core::Authorization> new_authzs) override;
  Result<std::optional<core::Authorization>> FindReusableAuthorization(
      core::AccountId account, const core::Identifier& identifier, bool wildcard,
      core::TimePoint now) override;
  Result<core::Challenge> SetChallengeProcessing(core::ChallengeId id) override;
  Result<void> FinishValidation(core::ChallengeId id, bool valid, std::optional<core::Error> error,
                                core::TimePoint validated_at) override;
  Result<std::vector<core::Challenge>> ClaimAbandonedValidations(
      core::TimePoint leased_before) override;
  Result<core::Authorization> DeactivateAuthorization(core::AuthzId id) override;
  Result<void> SetOrderProcessing(core::OrderId id) override;
  Result<void> SetOrderInvalid(core::OrderId id, const core::Error& error) override;
  Result<int64_t> FailAbandonedFinalizations(const core::Error& error,
                                             core::TimePoint leased_before) override;
  Result<core::Certificate> FinalizeOrder(core::OrderId id, core::Certificate cert) override;
  Result<void> RevokeCertificate(core::CertificateId id, int reason, core::TimePoint at) override;
  Result<std::string> BindCa(const std::string& root_sha256) override;
  Result<EabKey> CreateEabKey(EabKey key) override;
  Result<EabKey> RevokeEabKey(const std::string& key_id, core::TimePoint at) override;
  // Revocation status (sqlite_store_revocation.cc).
  Result<std::vector<RevokedCertificate>> ListRevokedCertificates(
      core::TimePoint not_after_after) override;
  Result<int64_t> NextCrlNumber(int64_t at_least) override;
  Result<int64_t> LastCrlNumber() override;
  Result<int64_t> RevocationCount() override;
  Result<StoredCrl> GetCurrentCrl(int64_t known_number) override;
  Result<StoredCrl> PublishCrl(const StoredCrl& crl) override;
  Result<void> BlockKey(const BlockedKey& key) override;
  Result<std::optional<BlockedKey>> GetBlockedKey(const std::string& spki_sha256) override;
  Result<std::vector<core::Authorization>> ListValidAuthorizations(
      core::AccountId account, const std::vector<core::Identifier>& identifiers,
      core::TimePoint now) override;
  // Retention (sqlite_store_retention.cc).
  Result<PurgeCounts> PurgeExpired(const PurgeRequest& request) override;

 private:
  SqliteStore(const core::Clock& clock, std::unique_ptr<sqlite::Database> db,
              std::string nonce_secret);

  // Run `fn(sqlite::Connection&)` atomically on the database (sqlite_database.h: group commit
  // for writes, the idle writer or a pooled reader for reads). In sqlite_store_internal.h.
  template <typename Fn>
  auto Write(Fn&& fn);
  template <typename Fn>
  auto Write(bool durable, Fn&& fn);
  template <typename Fn>
  auto Read(Fn&& fn);

  const core::Clock& clock_;
  const std::unique_ptr<sqlite::Database> db_;
  const std::unique_ptr<SqliteNonceStore> nonces_;  // uses db_
};

}  // namespace flint::sa
