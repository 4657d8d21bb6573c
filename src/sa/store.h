#pragma once
// The storage authority's contract. Methods name intents, not tables; each state transition is
// atomic (a compare-and-set in the backend's own SQL). Every method that reports success for a
// write has committed it before it returns: it survives kill -9 of the process. Surviving power
// loss may come later (a backend that syncs in the background, SqliteStore's deferred mode):
// what a response reports is held back until core::DurabilityBarrier says it is on stable
// storage.
//
// All methods are thread-safe and blocking: callers (the RA) run them on worker threads, never on
// the HTTP I/O threads.
//
// Errors: kNotFound for an unknown id, kConflict when a compare-and-set loses or a uniqueness rule
// is violated, kInternal for backend failures (details logged, never sent to clients).
//
// Times are stored with one-second precision (values read back are truncated to whole seconds).
// An object is expired from the instant `now >= expires`.

#include <chrono>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "sa/records.h"
#include "sa/revocation_records.h"

namespace flint::sa {

using core::Result;

// Leases: work one instance owns for a while (a validation in flight, a finalize between
// SetOrderProcessing and FinalizeOrder) is marked in the database with the time its lease ends,
// so that another instance takes it over once the owner has died (ClaimAbandonedValidations,
// FailAbandonedFinalizations) and nobody touches what a live instance still owns. A lease is
// longer than the work it covers ever takes: a validation's lookups and fetches, a finalize's
// CAA recheck and signing. Should one overrun anyway, the compare-and-set transitions keep the
// outcome single: a re-run validation's second FinishValidation gets kConflict.
inline constexpr std::chrono::seconds kValidationLease{180};
inline constexpr std::chrono::seconds kFinalizationLease{120};

// Read-only view, usable by the web front end for GETs that change nothing.
class StoreReader {
 public:
  virtual ~StoreReader() = default;

  virtual Result<core::Account> GetAccount(core::AccountId id) = 0;
  // Looks an account up by its key's RFC 7638 thumbprint (base64url). kNotFound if none.
  virtual Result<core::Account> GetAccountByThumbprint(const std::string& thumbprint) = 0;

  // The order's status is derived on read where it depends on others (RFC 8555 §7.1.6): a
  // stored `pending` order is reported `ready` when all its authorizations are valid, `invalid`
  // when one is invalid/deactivated/expired/revoked; an unfinished order past `expires` is
  // reported `invalid`. Authorizations past `expires` are reported `expired` likewise.
  virtual Result<core::Order> GetOrder(core::OrderId id) = 0;
  // Orders of `account`, newest first, ids strictly below `before` (0 = from the newest),
  // at most `limit` (RFC 8555 §7.1.2.1 pagination). An unknown account or limit <= 0 gives an
  // empty list.
  virtual Result<std::vector<core::OrderId>> ListOrderIds(core::AccountId account,
                                                          int64_t before, int limit) = 0;
  virtual Result<core::Authorization> GetAuthorization(core::AuthzId id) = 0;
  virtual Result<core::Challenge> GetChallenge(core::ChallengeId id) = 0;
  virtual Result<core::Certificate> GetCertificate(core::CertificateId id) = 0;
  virtual Result<core::Certificate> GetCertificateBySerial(const std::string& serial_hex) = 0;

  // --- External account binding keys and operator listings (RFC 8555 §7.3.4; flint admin) ---
  // kNotFound if no key has this id.
  virtual Result<EabKey> GetEabKey(const std::string& key_id) = 0;
  // Every EAB key, oldest first.
  virtual Result<std::vector<EabKey>> ListEabKeys() = 0;
  // The listings are newest first, at most `limit` (<= 0: an empty list); with `account` set,
  // only that account's orders or certificates.
  virtual Result<std::vector<core::Account>> ListAccounts(int limit) = 0;
  virtual Result<std::vector<core::Order>> ListOrders(std::optional<core::AccountId> account,
                                                      int limit) = 0;
  virtual Result<std::vector<core::Certificate>> ListCertificates(
      std::optional<core::AccountId> account, int limit) = 0;
  virtual Result<CertificateCounts> CountCertificates() = 0;
};

class Store : public StoreReader {
 public:
  // --- Accounts (RFC 8555 §7.3) ---

  // Inserts a new valid account; fills in id and created_at. kConflict (with no write) if an
  // account with the same thumbprint exists. A non-empty `eab_key_id` binds that EAB key to the
  // new account in the same transaction; kConflict (with no write) if the key is unknown,
  // revoked or already bound (RFC 8555 §7.3.4: one key, one account).
  virtual Result<core::Account> CreateAccount(core::Account account) = 0;
  // Replaces the contact list of a valid account. kConflict if the account is not valid.
  virtual Result<core::Account> UpdateAccountContacts(core::AccountId id,
                                                      std::vector<std::string> contacts) = 0;
  // valid -> deactivated. kConflict if the account is not valid.
  virtual Result<core::Account> DeactivateAccount(core::AccountId id) = 0;
  // Atomically moves a valid account to a new key, if `old_thumbprint` still matches. kConflict
  // if another account already has the new key (nothing changes).
  virtual Result<core::Account> ChangeAccountKey(core::AccountId id,
                                                 const std::string& old_thumbprint,
                                                 const std::string& new_jwk_json,
                                                 const std::string& new_thumbprint) = 0;

  // --- Orders, authorizations, challenges (RFC 8555 §7.4-7.5) ---

  // Inserts the order and its new authorizations (with their challenges) in one transaction.
  // `new_authzs` get ids; their ids are appended to order.authz_ids after `order.authz_ids`
  // (which may already hold reused authorizations). Returns the stored order. The order is
  // stored `pending`; new authorizations take order.account_id. kNotFound if the account does
  // not exist or a reused authorization does not exist or belongs to another account.
  // A non-empty `order.replaces` (RFC 9773 §5) is kConflict (with no write) when another order
  // that is not invalid (as derived) already replaces the same certificate.
  virtual Result<core::Order> CreateOrder(core::Order order,
                                          std::vector<core::Authorization> new_authzs) = 0;
  // RFC 8555 §7.4.1 pre-authorization: inserts one authorization of `authz.account_id` with its
  // challenges, outside any order, and returns it as stored.
  virtual Result<core::Authorization> CreateAuthorization(core::Authorization authz) = 0;
  // A valid, unexpired authorization of `account` for exactly this identifier/wildcard, to reuse.
  virtual Result<std::optional<core::Authorization>> FindReusableAuthorization(
      core::AccountId account, const core::Identifier& identifier, bool wildcard,
      core::TimePoint now) = 0;
  // Challenge pending -> processing, if its authorization is pending and unexpired and no other
  // challenge of that authorization is processing (one validation at a time). kConflict
  // otherwise. Returns the updated challenge. The caller now holds the validation's lease until
  // clock.Now() + kValidationLease (see "Leases" above).
  virtual Result<core::Challenge> SetChallengeProcessing(core::ChallengeId id) = 0;
  // Records a validation outcome: challenge processing -> valid/invalid, and its authorization
  // pending -> valid/invalid accordingly, in one transaction. kConflict if the challenge is not
  // processing. If the authorization already left `pending` (e.g. deactivated meanwhile), only
  // the challenge is updated. `validated_at` is recorded only for a valid outcome (RFC 8555
  // §7.1.5: "validated" is the time the server validated the challenge).
  virtual Result<void> FinishValidation(core::ChallengeId id, bool valid,
                                        std::optional<core::Error> error,
                                        core::TimePoint validated_at) = 0;
  // Claims the validations whose instance died or restarted: challenges still `processing`
  // whose lease ends at or before `leased_before`. Each one returned has its lease renewed to
  // clock.Now() + kValidationLease in the same statement, so a concurrent caller (another
  // instance) never gets it too, and a live instance's validation is never re-run while its
  // lease holds. `leased_before`: clock.Now() where instances share the database; the far
  // future at the start of an instance that owns its database alone (every processing
  // challenge is then its own, left by its previous run).
  virtual Result<std::vector<core::Challenge>> ClaimAbandonedValidations(
      core::TimePoint leased_before) = 0;
  // authz pending|valid (and unexpired) -> deactivated (RFC 8555 §7.5.2). kConflict otherwise.
  virtual Result<core::Authorization> DeactivateAuthorization(core::AuthzId id) = 0;
  // Order ready -> processing (ready as derived above, checked inside the same statement or
  // transaction). kConflict if it was not ready, e.g. a concurrent finalize won. Atomic but not
  // necessarily durable on return: a backend may leave it to the FinalizeOrder or
  // SetOrderInvalid that follows (a power loss before then only leaves the order ready). The
  // caller holds the finalization's lease until clock.Now() + kFinalizationLease.
  virtual Result<void> SetOrderProcessing(core::OrderId id) = 0;
  // Order processing -> invalid with `error`.
  virtual Result<void> SetOrderInvalid(core::OrderId id, const core::Error& error) = 0;
  // Orders still `processing` whose lease ends at or before `leased_before` -> invalid with
  // `error`: a finalize interrupted between the ready -> processing step and the certificate's
  // commit by the death or restart of its instance, so that its client sees a final state
  // (RFC 8555 §7.1.6) instead of polling forever. An order whose lease holds belongs to a live
  // instance's finalize and is left alone. `leased_before` as for ClaimAbandonedValidations.
  // Returns how many orders it changed.
  virtual Result<int64_t> FailAbandonedFinalizations(const core::Error& error,
                                                     core::TimePoint leased_before) = 0;
  // Stores the certificate (unique serial) and sets the order processing -> valid, atomically.
  // The certificate's account_id and order_id are taken from the order. kConflict if the order
  // is not processing or the serial is taken (nothing is written). The order's expiry is not
  // checked here: a certificate already signed is kept.
  virtual Result<core::Certificate> FinalizeOrder(core::OrderId id, core::Certificate cert) = 0;

  // --- Certificates (RFC 8555 §7.6) ---
  // Marks the certificate revoked with `reason` (RFC 5280 §5.3.1) at `at`. kConflict if it is
  // already revoked (the RA answers alreadyRevoked).
  virtual Result<void> RevokeCertificate(core::CertificateId id, int reason,
                                         core::TimePoint at) = 0;

  // --- Revocation status: CRLs, OCSP, blocked keys (RFC 5280 §5, RFC 6960, RFC 8555 §7.6) ---
  // Revoked certificates whose notAfter is after `not_after_after` (expired ones may leave the
  // CRL, RFC 5280 §3.3), ordered by revocation time then id.
  virtual Result<std::vector<RevokedCertificate>> ListRevokedCertificates(
      core::TimePoint not_after_after) = 0;
  // Atomically takes the next CRL number (RFC 5280 §5.2.3), shared by every instance on this
  // database: max(last + 1, at_least). Passing the current Unix time as `at_least` keeps the
  // numbers increasing even if the database is ever replaced by an older or empty one.
  virtual Result<int64_t> NextCrlNumber(int64_t at_least) = 0;
  // The last number NextCrlNumber returned; 0 if none yet.
  virtual Result<int64_t> LastCrlNumber() = 0;
  // How many revocations RevokeCertificate has made on this database, by any process or
  // instance sharing it; 0 if none. One cheap read: the CRL compares it with the count it was
  // made at on every fetch, so a revocation made elsewhere (`flint admin`) is listed at once.
  virtual Result<int64_t> RevocationCount() = 0;
  // The current CRL (StoredCrl::number 0 if none yet). When its number is `known_number`, the
  // DER is left out: a reader that holds it already pays for one small row, not the whole CRL.
  virtual Result<StoredCrl> GetCurrentCrl(int64_t known_number) = 0;
  // Makes `crl` the current CRL if its number is higher than the current one's (a compare-and-
  // set: of two instances regenerating at once, the higher number stays). Returns the current
  // CRL afterwards, with its DER: `crl`, or the newer one another instance stored first.
  virtual Result<StoredCrl> PublishCrl(const StoredCrl& crl) = 0;
  // Records `key` as blocked. Idempotent: a key already blocked keeps its first record.
  virtual Result<void> BlockKey(const BlockedKey& key) = 0;
  // The record for a blocked key, or std::nullopt when the key is not blocked.
  virtual Result<std::optional<BlockedKey>> GetBlockedKey(const std::string& spki_sha256) = 0;
  // The valid, unexpired authorizations of `account` for any of `identifiers` (matched on type
  // and value; wildcard and non-wildcard alike), each at most once, ordered by id.
  virtual Result<std::vector<core::Authorization>> ListValidAuthorizations(
      core::AccountId account, const std::vector<core::Identifier>& identifiers,
      core::TimePoint now) = 0;

  // --- The CA this database belongs to ---
  // Records `root_sha256` (lowercase hex SHA-256 of the CA root certificate's DER) as the CA
  // of this database the first time, atomically; returns the fingerprint recorded, which
  // differs from `root_sha256` when another CA's instance came first. Instances share the CA
  // by copying the data directory (docs/SCALE-OUT.md); an instance started with a fresh one
  // would otherwise issue from a second CA into the same database.
  virtual Result<std::string> BindCa(const std::string& root_sha256) = 0;

  // --- External account binding keys (RFC 8555 §7.3.4) ---
  // Stores a new unbound, unrevoked key (created_at as given). kConflict if the id is taken.
  virtual Result<EabKey> CreateEabKey(EabKey key) = 0;
  // Marks the key revoked at `at`; a bound account stays bound. kNotFound for an unknown id,
  // kConflict if it is already revoked.
  virtual Result<EabKey> RevokeEabKey(const std::string& key_id, core::TimePoint at) = 0;

  // --- Rate limits (ra/rate_limits.h) ---

  // The stored GCRA theoretical arrival time of `key` (ms since the epoch); nullopt if none.
  virtual Result<std::optional<int64_t>> GetRateLimit(const std::string& key) = 0;
  // In one transaction: reads the stored time of `key` (nullopt if none), calls `admit` with it,
  // and stores what it returns, or nothing when it returns nullopt. Returns whether it stored.
  // `admit` may run more than once (a retried transaction): it must be a pure function of its
  // argument, apart from overwriting out-parameters.
  virtual Result<bool> UpdateRateLimit(
      const std::string& key,
      const std::function<std::optional<int64_t>(std::optional<int64_t>)>& admit) = 0;
  // The number of pending authorizations of `account` not expired at `now`, counting no
  // further than `at_most` (so the cost stays bounded).
  virtual Result<int64_t> CountPendingAuthorizations(core::AccountId account,
                                                     core::TimePoint now, int64_t at_most) = 0;

  // --- Retention (docs/OPERATIONS.md "Retention") ---

  // Deletes, in batches of at most request.batch_size rows per transaction (a short write lock
  // on SQLite; READ COMMITTED transactions on PostgreSQL, so live traffic interleaves):
  //   - orders that expired before orders_expired_before, unless a certificate was issued from
  //     them (certificates are kept for CRLs, OCSP and the CA's records, and reference their
  //     order) or they are `processing`; with their order_authorizations and
  //     order_replacements rows;
  //   - authorizations that expired before authorizations_expired_before and that no remaining
  //     order references and none of whose challenges is `processing`; with their challenges;
  //   - redeemed nonces and rate-limit states whose time is before `now` (they mean nothing
  //     once past).
  // A window that is nullopt purges nothing of its kind. Referential integrity holds after
  // every batch. Runs until nothing is left to delete, or max_batches batches ran (then
  // `complete` is false). Safe to run from several instances at once.
  virtual Result<PurgeCounts> PurgeExpired(const PurgeRequest& request) = 0;
};

// Nonces (RFC 8555 §6.5), implemented by SqlNonceService (nonce_service.h): issued here, redeemable exactly once by any flint instance that shares
// the backing database, until they expire.
class NonceService {
 public:
  virtual ~NonceService() = default;
  // A fresh nonce (base64url, no padding). Cheap; no blocking I/O.
  virtual std::string Issue() = 0;
  // Blocking. Returns kBadNonce if `nonce` was never issued, is malformed, expired or was
  // already redeemed.
  virtual Result<void> Redeem(std::string_view nonce) = 0;
};

}  // namespace flint::sa
