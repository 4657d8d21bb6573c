#pragma once
// CachingStore: a Store decorator that keeps accounts in memory (AccountCache), so that
// authenticating a kid-signed request (RFC 8555 §6.2) seldom reads the database. Works over any
// backend; every method but GetAccount forwards unchanged.
//
// Coherence: the account writes (UpdateAccountContacts, DeactivateAccount, ChangeAccountKey)
// go through this object, which invalidates the account's entry once the backend has returned
// (committed or not). So it is only correct where no one else changes accounts in the same
// database: one process per database (`flint serve` without --shared-nonces). Another
// instance's or `flint admin`'s key change or deactivation would go unseen here.
//
// Thread-safe if `backend` is. `backend` must outlive this object.

#include <optional>
#include <string>
#include <vector>

#include "sa/account_cache.h"
#include "sa/store.h"

namespace flint::sa {

class CachingStore final : public Store {
 public:
  explicit CachingStore(Store& backend) : backend_(backend) {}

  // Cached: answered from memory when present, else read from the backend and kept.
  Result<core::Account> GetAccount(core::AccountId id) override;
  // Forwarded, then the account's entry is dropped.
  Result<core::Account> UpdateAccountContacts(core::AccountId id,
                                              std::vector<std::string> contacts) override;
  Result<core::Account> DeactivateAccount(core::AccountId id) override;
  Result<core::Account> ChangeAccountKey(core::AccountId id, const std::string& old_thumbprint,
                                         const std::string& new_jwk_json,
                                         const std::string& new_thumbprint) override;

  // Drops every cached account, so that changes made by another process (`flint admin
  // accounts rekey`) are seen from the next request on (flint serve does this on SIGHUP).
  void ClearAccounts() { cache_.Clear(); }

  // Forwarded unchanged.
  Result<core::Account> GetAccountByThumbprint(const std::string& thumbprint) override {
    return backend_.GetAccountByThumbprint(thumbprint);
  }
  Result<core::Order> GetOrder(core::OrderId id) override { return backend_.GetOrder(id); }
  Result<std::vector<core::OrderId>> ListOrderIds(core::AccountId account, int64_t before,
                                                  int limit) override {
    return backend_.ListOrderIds(account, before, limit);
  }
  Result<core::Authorization> GetAuthorization(core::AuthzId id) override {
    return backend_.GetAuthorization(id);
  }
  Result<core::Challenge> GetChallenge(core::ChallengeId id) override {
    return backend_.GetChallenge(id);
  }
  Result<core::Certificate> GetCertificate(core::CertificateId id) override {
    return backend_.GetCertificate(id);
  }
  Result<core::Certificate> GetCertificateBySerial(const std::string& serial_hex) override {
    return backend_.GetCertificateBySerial(serial_hex);
  }
  Result<EabKey> GetEabKey(const std::string& key_id) override {
    return backend_.GetEabKey(key_id);
  }
  Result<std::vector<EabKey>> ListEabKeys() override { return backend_.ListEabKeys(); }
  Result<std::vector<core::Account>> ListAccounts(int limit) override {
    return backend_.ListAccounts(limit);
  }
  Result<std::vector<core::Order>> ListOrders(std::optional<core::AccountId> account,
                                              int limit) override {
    return backend_.ListOrders(account, limit);
  }
  Result<std::vector<core::Certificate>> ListCertificates(std::optional<core::AccountId> account,
                                                          int limit) override {
    return backend_.ListCertificates(account, limit);
  }
  Result<CertificateCounts> CountCertificates() override { return backend_.CountCertificates(); }

  Result<core::Account> CreateAccount(core::Account account) override {
    return backend_.CreateAccount(std::move(account));
  }
  Result<std::optional<int64_t>> GetRateLimit(const std::string& key) override {
    return backend_.GetRateLimit(key);
  }
  Result<bool> UpdateRateLimit(
      const std::string& key,
      const std::function<std::optional<int64_t>(std::optional<int64_t>)>& admit) override {
    return backend_.UpdateRateLimit(key, admit);
  }
  Result<int64_t> CountPendingAuthorizations(core::AccountId account, core::TimePoint now,
                                             int64_t at_most) override {
    return backend_.CountPendingAuthorizations(account, now, at_most);
  }
  Result<core::Authorization> CreateAuthorization(core::Authorization authz) override {
    return backend_.CreateAuthorization(std::move(authz));
  }
  Result<core::Order> CreateOrder(core::Order order,
                                  std::vector<core::Authorization> new_authzs) override {
    return backend_.CreateOrder(std::move(order), std::move(new_authzs));
  }
  Result<std::optional<core::Authorization>> FindReusableAuthorization(
      core::AccountId account, const core::Identifier& identifier, bool wildcard,
      core::TimePoint now) override {
    return backend_.FindReusableAuthorization(account, identifier, wildcard, now);
  }
  Result<core::Challenge> SetChallengeProcessing(core::ChallengeId id) override {
    return backend_.SetChallengeProcessing(id);
  }
  Result<void> FinishValidation(core::ChallengeId id, bool valid, std::optional<core::Error> error,
                                core::TimePoint validated_at) override {
    return backend_.FinishValidation(id, valid, std::move(error), validated_at);
  }
  Result<std::vector<core::Challenge>> ClaimAbandonedValidations(
      core::TimePoint leased_before) override {
    return backend_.ClaimAbandonedValidations(leased_before);
  }
  Result<core::Authorization> DeactivateAuthorization(core::AuthzId id) override {
    return backend_.DeactivateAuthorization(id);
  }
  Result<void> SetOrderProcessing(core::OrderId id) override {
    return backend_.SetOrderProcessing(id);
  }
  Result<void> SetOrderInvalid(core::OrderId id, const core::Error& error) override {
    return backend_.SetOrderInvalid(id, error);
  }
  Result<StoredCrl> GetCurrentCrl(int64_t known_number) override {
    return backend_.GetCurrentCrl(known_number);
  }
  Result<StoredCrl> PublishCrl(const StoredCrl& crl) override {
    return backend_.PublishCrl(crl);
  }
  Result<std::string> BindCa(const std::string& root_sha256) override {
    return backend_.BindCa(root_sha256);
  }
  Result<int64_t> FailAbandonedFinalizations(const core::Error& error,
                                             core::TimePoint leased_before) override {
    return backend_.FailAbandonedFinalizations(error, leased_before);
  }
  Result<core::Certificate> FinalizeOrder(core::OrderId id, core::Certificate cert) override {
    return backend_.FinalizeOrder(id, std::move(cert));
  }
  Result<void> RevokeCertificate(core::CertificateId id, int reason, core::TimePoint at) override {
    return backend_.RevokeCertificate(id, reason, at);
  }
  Result<std::vector<RevokedCertificate>> ListRevokedCertificates(
      core::TimePoint not_after_after) override {
    return backend_.ListRevokedCertificates(not_after_after);
  }
  Result<int64_t> NextCrlNumber(int64_t at_least) override {
    return backend_.NextCrlNumber(at_least);
  }
  Result<int64_t> LastCrlNumber() override { return backend_.LastCrlNumber(); }
  Result<PurgeCounts> PurgeExpired(const PurgeRequest& request) override {
    return backend_.PurgeExpired(request);
  }
  Result<int64_t> RevocationCount() override { return backend_.RevocationCount(); }
  Result<void> BlockKey(const BlockedKey& key) override { return backend_.BlockKey(key); }
  Result<std::optional<BlockedKey>> GetBlockedKey(const std::string& spki_sha256) override {
    return backend_.GetBlockedKey(spki_sha256);
  }
  Result<std::vector<core::Authorization>> ListValidAuthorizations(
      core::AccountId account, const std::vector<core::Identifier>& identifiers,
      core::TimePoint now) override {
    return backend_.ListValidAuthorizations(account, identifiers, now);
  }
  Result<EabKey> CreateEabKey(EabKey key) override { return backend_.CreateEabKey(std::move(key)); }
  Result<EabKey> RevokeEabKey(const std::string& key_id, core::TimePoint at) override {
    return backend_.RevokeEabKey(key_id, at);
  }

  // Accounts held now (tests, metrics).
  size_t cached_accounts() const { return cache_.size(); }

 private:
  Store& backend_;
  AccountCache cache_;
};

}  // namespace flint::sa
