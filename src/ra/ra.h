#pragma once
// The registration authority: every ACME decision (RFC 8555 §7.3-7.6) is made here. The web
// front end authenticates requests and decodes payloads into the typed requests below; the RA
// applies policy, talks to storage (sa), and reaches validation and signing only through the
// interfaces it declares (ra::Validator, ra::CertificateAuthority), and returns values or a
// core::Error with the exact RFC 8555 §6.7 type.
//
// Thread-safe; every method may block on storage, so callers run it on worker threads.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <chrono>

#include "core/audit.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/random.h"
#include "core/result.h"
#include "core/types.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "policy/identifier_policy.h"
#include "ra/ari.h"
#include "ra/certificate_authority.h"
#include "ra/profiles.h"
#include "ra/rate_limits.h"
#include "ra/revocation.h"
#include "ra/pending_validations.h"
#include "ra/validator.h"
#include "sa/store.h"

namespace flint::ra {

using core::Result;

struct RaOptions {
  std::string terms_of_service;  // non-empty: newAccount requires termsOfServiceAgreed
  int max_contacts = 10;
  bool external_account_required = false;
  std::chrono::seconds order_lifetime = std::chrono::hours(168);
  std::chrono::seconds authz_lifetime = std::chrono::hours(720);
  std::chrono::seconds cert_validity = std::chrono::hours(24 * 90);
  // CAA is rechecked at finalize when the validation is older than this (RFC 8659 §3 allows
  // reuse of a CAA check for up to 8 hours).
  std::chrono::seconds caa_recheck_age = std::chrono::hours(8);
  int validation_workers = 16;
  // Validations one account may have pending (started, outcome not yet recorded); beyond,
  // RespondToChallenge answers kRateLimited with Retry-After (pending_validations.h).
  int max_pending_validations_per_account = 100;
  // Other instances share the store (PostgreSQL, or SQLite with --shared-nonces): abandoned
  // work is taken over only once its lease has run out (RecoverAbandonedWork).
  bool shared_database = false;
  std::string account_url_prefix;  // "<base>/acme/acct/", for CAA accounturi (RFC 8657)
  std::string issuer_url;          // AIA caIssuers URL written into certificates
  std::string crl_url;   // cRLDistributionPoints URL written into certificates; empty: none
  std::string ocsp_url;  // AIA id-ad-ocsp URL written into certificates; empty: none
  // draft-aaron-acme-profiles. Empty: one profile named `default_profile` with cert_validity,
  // a CN, serverAuth and every challenge type.
  std::vector<Profile> profiles;
  std::string default_profile = "default";  // used when newOrder names none; must be listed
  // RFC 8555 §7.4: the chance, in percent, that newOrder reuses a valid authorization of the
  // account rather than making a new one (Pebble's PEBBLE_AUTHZREUSE; 100 outside tests).
  int authz_reuse_percent = 100;
  // RFC 9773 §4.2: how long a client should wait before asking for renewal info again.
  std::chrono::seconds renewal_info_retry_after = std::chrono::hours(6);
};

struct NewOrderRequest {
  std::vector<core::Identifier> identifiers;
  std::optional<core::TimePoint> not_before;
  std::optional<core::TimePoint> not_after;
  std::string profile;   // draft-aaron-acme-profiles; empty: the default profile
  std::string replaces;  // RFC 9773 §5 ARI CertID of the certificate replaced; empty: none
};

struct NewAccountRequest {
  std::vector<std::string> contacts;
  bool terms_of_service_agreed = false;
  bool only_return_existing = false;
  // RFC 8555 §7.3.4: the parsed inner JWS (jose::ParseEabJws), its url already checked
  // against the outer url by the caller.
  std::optional<jose::Jws> external_account_binding;
  // The client's IP address (from the connection, or PROXY protocol behind a balancer), for
  // the new-accounts-per-ip rate limit; empty: not counted.
  std::string client_address;
};

struct NewAccountResult {
  core::Account account;
  bool created = false;  // false: an account with this key already existed (RFC 8555 §7.3.1)
};

// RFC 8555 §7.3.5: the checked content of a keyChange request.
struct KeyChangeRequest {
  core::AccountId account;
  jose::PublicKey new_key;   // from the inner JWS's jwk, which verified the inner signature
  jose::PublicKey old_key;   // the inner payload's oldKey
};

class RegistrationAuthority {
 public:
  // All references must outlive the RA. `validator` proves control and checks CAA
  // (ra::SkipValidator for --skip-validation); `ca` signs.
  RegistrationAuthority(RaOptions options, sa::Store& store, const core::Clock& clock,
                        core::Random& random, const policy::IdentifierPolicy& policy,
                        const Validator& validator, const CertificateAuthority& ca);
  // Stops the validation workers; validations still queued stay `processing` in storage and
  // resume at the next start (RecoverAbandonedWork).
  ~RegistrationAuthority();

  // RFC 8555 §7.3, §7.3.1. Errors: kAccountDoesNotExist (onlyReturnExisting, unknown key),
  // kUnauthorized (the key's account is deactivated), kMalformed (terms not agreed),
  // kInvalidContact / kUnsupportedContact. External account binding (§7.3.4):
  // kExternalAccountRequired when required and absent; the errors of
  // VerifyExternalAccountBinding (eab.h) for a binding that is present; kUnauthorized when a
  // concurrent newAccount bound the key first.
  Result<NewAccountResult> NewAccount(const jose::PublicKey& key, const NewAccountRequest& req);

  // RFC 8555 §7.3.2: replaces the contacts. kInvalidContact / kUnsupportedContact.
  Result<core::Account> UpdateContacts(core::AccountId id, std::vector<std::string> contacts);

  // RFC 8555 §7.3.6.
  Result<core::Account> DeactivateAccount(core::AccountId id);

  // RFC 8555 §7.3.5: the caller has verified both signatures and the url/account match.
  // kMalformed when oldKey is not the account's key; kConflict with `location` set to the
  // other account's id (as decimal text) when the new key belongs to another account.
  Result<core::Account> ChangeKey(const KeyChangeRequest& req);

  // RFC 8555 §7.4: checks identifiers (policy), reuses valid authorizations of the account,
  // creates the rest with their challenges, and stores the order. Errors: those of
  // policy::IdentifierPolicy::CheckOrder; kMalformed for notBefore/notAfter outside the limits.
  // kInvalidProfile for a profile not configured. `replaces` (RFC 9773 §5): kMalformed for a
  // CertID that does not parse, names no certificate of this CA, or shares no identifier with
  // the order; kUnauthorized for another account's certificate; kAlreadyReplaced when another
  // order (not invalid) already replaces it.
  Result<core::Order> NewOrder(const core::Account& account, const NewOrderRequest& req);

  // RFC 8555 §7.4.1 pre-authorization (newAuthz): a new pending authorization of `account` for
  // `identifier`, outside any order, with a challenge of every type the identifier policy allows
  // (a later order reuses it only if it was validated by a type the order's profile allows).
  // The identifier passes the same policy as newOrder's (policy::IdentifierPolicy::CheckOrder
  // errors); a wildcard is kRejectedIdentifier (§7.4.1: pre-authorization cannot authorize one).
  Result<core::Authorization> NewPreAuthorization(const core::Account& account,
                                                  const core::Identifier& identifier);

  // RFC 8555 §7.5.1: starts validation of a pending challenge off the request path and returns it
  // as `processing`. A challenge that is not pending is returned as it is. kNotFound when it is
  // not the account's.
  Result<core::Challenge> RespondToChallenge(const core::Account& account, core::ChallengeId id);

  // RFC 8555 §7.5.2. kNotFound when not the account's; kMalformed when not pending or valid.
  Result<core::Authorization> DeactivateAuthorization(const core::Account& account,
                                                      core::AuthzId id);

  // RFC 8555 §7.4 finalize: kOrderNotReady unless the order is ready; kBadCsr for any CSR
  // problem (names, key, signature). Once the order is `processing`, a failure leaves it
  // `invalid` with the error recorded. When a CAA recheck is due (a validation older than
  // caa_recheck_age), it runs in the background under the validator's deadline and the order
  // is returned `processing`: it turns valid, or invalid with the kCaa/kDns error, once the
  // recheck is done. Otherwise issuance is synchronous and the order returned valid or invalid.
  Result<core::Order> Finalize(const core::Account& account, core::OrderId id,
                               std::string_view csr_der);

  // Takes over work left by an instance that died or restarted (sa/store.h "Leases"):
  // re-queues its validations still `processing`, and makes the orders its interrupted
  // finalizes left `processing` invalid (serverInternal), so that their clients stop polling
  // and create a new order. Alone on its database (RaOptions::shared_database false), all such
  // work is this process's own previous run's, taken over at once; on a shared database only
  // work whose lease has run out, so a live instance's is never touched. Call at start, before
  // serving, and (shared) periodically.
  void RecoverAbandonedWork();

  // An account key that has since been blocked (a keyCompromise revocation of a certificate
  // with the same key, RFC 8555 §7.6) no longer authenticates requests: kUnauthorized. The web
  // front end asks this for every kid-signed request except keyChange, which stays open so the
  // account can move to a new key. One indexed read per call.
  Result<void> CheckAccountKeyNotBlocked(const jose::PublicKey& key);

  // RFC 8555 §7.6 revokeCert, and the operator's revocation (request.admin): see
  // ra::RevokeCertificate in revocation.h for the rules and errors. After a successful
  // revocation, calls the revocation listener (if any) with the revoked certificate.
  Result<core::Certificate> RevokeCertificate(const RevocationRequest& request);
  // Called on the revoking thread after each successful revocation, e.g. to regenerate the CRL
  // at once. Set it before the RA serves requests; it must be thread-safe.
  void SetRevocationListener(std::function<void(const core::Certificate&)> listener);
  // Where issuances, finished validations and revocations are counted (core/metrics.h); by
  // default nowhere. Set it before the RA serves requests; `metrics` must outlive the RA.
  void SetMetrics(core::Metrics& metrics) { metrics_ = &metrics; }
  // Where audit records go (core/audit.h, fields in audit_records.h): one per validation attempt
  // (with what each network perspective saw), issuance, revocation and account change (newAccount,
  // contact update, deactivation, keyChange). By default nowhere. Set it before the RA serves requests; `audit` must
  // outlive the RA.
  void SetAuditLog(core::AuditLog& audit) { audit_ = &audit; }
  // Rate limits (rate_limits.h); by default none. Set it before the RA serves requests;
  // `limiter` must outlive the RA.
  void SetRateLimiter(RateLimiter& limiter) { rate_limiter_ = &limiter; }

  // RFC 9773 §4: the suggested renewal window of the certificate named by `cert_id` (the ARI
  // CertID). kMalformed if `cert_id` does not parse; kNotFound if no certificate of this CA
  // has it.
  Result<RenewalInfo> GetRenewalInfo(std::string_view cert_id);

  // The profiles in effect (never empty), as configured; for the directory's meta.profiles.
  const std::vector<Profile>& profiles() const { return options_.profiles; }

 private:
  Result<core::Authorization> NewAuthorization(const core::Account& account,
                                               const core::Identifier& id, bool wildcard,
                                               core::TimePoint now, const Profile& profile);
  // The profile named `name` (empty: the default). kInvalidProfile if none is.
  Result<Profile> FindProfile(const std::string& name) const;
  // RFC 9773 §5 checks of newOrder's `replaces`; returns the CertID in canonical form.
  Result<std::string> CheckReplaces(const core::Account& account,
                                    const std::vector<core::Identifier>& identifiers,
                                    const std::string& replaces);
  // Starts the validation of `challenge` (already `processing` in storage): reads what it needs
  // on a worker, hands it to the validator, and records the outcome on a worker.
  // `counted`: the account whose pending_validations_ count this validation already holds
  // (RespondToChallenge); nullopt for a resumed one, counted once its account is known. The
  // count is released when the outcome is recorded.
  void QueueValidation(core::Challenge challenge, std::optional<core::AccountId> counted);
  void StartValidation(const core::Challenge& challenge, std::optional<core::AccountId> counted);
  void FinishValidation(const core::Challenge& challenge, core::AccountId account,
                        const ValidationRequest& request, const ValidationOutcome& outcome,
                        std::chrono::steady_clock::time_point started);
  std::string AccountUrl(core::AccountId id) const;
  // A CSR that passed every check: its key and DER SubjectPublicKeyInfo.
  struct CheckedCsr {
    jose::PublicKey key;
    std::string spki_der;
  };
  Result<CheckedCsr> CheckCsrAgainstOrder(const core::Account& account, const core::Order& order,
                                          std::string_view csr_der);
  // The CAA rechecks finalize owes (RFC 8659 §3): one per valid challenge older than
  // options_.caa_recheck_age.
  Result<std::vector<ValidationRequest>> CaaRechecks(const core::Account& account,
                                                     const core::Order& order);
  // Finalize's background half, for an order already `processing`: runs `rechecks` on the
  // validator, then issues, or makes the order invalid with the first CAA/DNS error.
  void StartCaaRechecks(const core::Account& account, const core::Order& order, CheckedCsr csr,
                        Profile profile, std::vector<ValidationRequest> rechecks);
  // Signs and stores the certificate of a `processing` order (valid), or records why not
  // (invalid).
  void IssueAndRecord(const core::Account& account, const core::Order& order,
                      const CheckedCsr& csr, const Profile& profile);
  Result<core::Certificate> Issue(const core::Account& account, const core::Order& order,
                                  const CheckedCsr& csr, const Profile& profile);

  Result<void> CheckContacts(const std::vector<std::string>& contacts) const;

  RaOptions options_;
  sa::Store& store_;
  const core::Clock& clock_;
  core::Random& random_;
  const policy::IdentifierPolicy& policy_;
  const Validator& validator_;
  const CertificateAuthority& ca_;
  std::function<void(const core::Certificate&)> revocation_listener_;
  core::Metrics* metrics_ = &core::NoMetrics();
  core::AuditLog* audit_ = &core::NoAuditLog();
  RateLimiter* rate_limiter_ = nullptr;
  PendingValidations pending_validations_{options_.max_pending_validations_per_account};
  // Where the validator's completions go; closed by the destructor, so that an outcome arriving
  // after the RA is gone is dropped instead of touching it.
  struct Completions {
    std::mutex mu;
    bool open = true;
  };
  std::shared_ptr<Completions> completions_ = std::make_shared<Completions>();
  boost::asio::thread_pool validation_pool_;  // last: joined first on destruction
};

// RFC 8555 §7.3: mailto: URIs only (else kUnsupportedContact), one address each, no hfields,
// a plausible addr-spec (else kInvalidContact). Exposed for tests.
Result<void> CheckContact(const std::string& contact);

}  // namespace flint::ra
