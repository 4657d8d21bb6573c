#pragma once
// The scale-out storage backend: one PostgreSQL database shared by several flint instances
// (DESIGN.md "Storage"), through plain libpq.
//
// Each intent is one transaction on a pg::Database (pg_database.h), with the same
// compare-and-set statements as SqliteStore: at SERIALIZABLE where a condition over other
// tables must hold (SetOrderProcessing), at READ COMMITTED where the conditions that matter are
// on the rows written (compare-and-sets, unique keys, upserts, the lease claim with FOR UPDATE
// SKIP LOCKED: pg::Isolation; each method says why); retried as a whole on serialization
// failures and deadlocks. Multi-statement reads run in one REPEATABLE READ
// READ ONLY transaction, single-statement reads on their own. Every
// write has committed (and, with the server's default synchronous_commit, is durable) before the
// method returns, so responses need no core::DurabilityBarrier wait (core::AlwaysDurable). Nothing
// lives only in this process: nonce redemptions (nonces()), CRL numbers and leases are rows
// shared by every instance.
//
// Errors, in addition to store.h's: kUnavailable when the database cannot be reached, the
// connection was lost, or the server is read-only (a demoted primary); nothing was written then,
// except that a write whose COMMIT was lost in flight may or may not have committed (it is never
// retried blindly). The store reconnects by itself on the next call, e.g. after a failover.
//
// Thread-safe; at most options.connections queries run at once, further callers wait.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "sa/nonce_store.h"
#include "sa/store.h"

namespace flint::sa {

namespace pg {
class Connection;
class Database;
}  // namespace pg
class PgNonceStore;

struct PgStoreOptions {
  int connections = 8;                      // pool size: at most this many concurrent queries
  std::chrono::seconds connect_timeout{5};  // per connection attempt
};

class PgStore final : public Store {
 public:
  // `uri`: any libpq connection URI/string (postgresql://USER@HOST:PORT/DB?...). Connects, applies
  // pending migrations (under an advisory lock, so several instances starting at once are safe),
  // reads/creates the nonce secret. kUnavailable if the server cannot be reached, kInternal for
  // other failures (schema newer than this flint, ...). `clock` decides derived statuses (expiry,
  // store.h), created_at and leases; it must outlive the store.
  static Result<std::unique_ptr<PgStore>> Open(const std::string& uri, const core::Clock& clock,
                                               PgStoreOptions options = {});
  ~PgStore() override;

  // The database's nonce records (pg_nonce_store.h), for SqlNonceService. Lives as long as the
  // store.
  NonceStore& nonces();

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
  // Revocation status (pg_store_revocation.cc).
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
  // Retention (pg_store_retention.cc).
  Result<PurgeCounts> PurgeExpired(const PurgeRequest& request) override;

 private:
  PgStore(const core::Clock& clock, std::unique_ptr<pg::Database> db, std::string nonce_secret);

  const core::Clock& clock_;
  const std::unique_ptr<pg::Database> db_;
  const std::unique_ptr<PgNonceStore> nonces_;  // uses db_
};

}  // namespace flint::sa
