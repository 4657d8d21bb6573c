// RFC 8555 §7.6 revocation: who may revoke, with which reason, and blocking compromised keys.
#include "ra/revocation.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "ca/cert_info.h"
#include "policy/identifier_policy.h"
#include "ra/audit_records.h"
#include "ra/ra.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {

// The stored certificate the request names, and the facts read from its DER.
struct Target {
  core::Certificate cert;
  ca::CertificateFacts facts;
};

core::Error NotIssuedHere() {
  return Err(ErrorType::kNotFound,
             "unable to find the certificate: it was not issued by this CA");
}

Result<Target> FindTarget(sa::Store& store, const RevocationRequest& req) {
  Target t;
  std::string serial = req.serial_hex;
  if (!req.certificate_der.empty()) {
    FLINT_ASSIGN_OR_RETURN(t.facts, ca::ParseCertificateDer(req.certificate_der));
    serial = t.facts.serial_hex;
  } else if (!req.admin || serial.empty()) {
    return Err(ErrorType::kMalformed, "no certificate given");
  }
  std::transform(serial.begin(), serial.end(), serial.begin(), ::tolower);
  auto cert = store.GetCertificateBySerial(serial);
  if (!cert.ok()) {
    if (cert.error().type == ErrorType::kNotFound) return NotIssuedHere();
    return std::move(cert).error();
  }
  t.cert = std::move(cert).value();
  if (!req.certificate_der.empty()) {
    // Same serial but other bytes: not a certificate this CA signed.
    if (t.cert.der != req.certificate_der) return NotIssuedHere();
  } else {
    auto facts = ca::ParseCertificateDer(t.cert.der);
    if (!facts.ok()) return Err(ErrorType::kInternal, "stored certificate: " + facts.error().detail);
    t.facts = std::move(facts).value();
  }
  return t;
}

// True if `account` holds valid, unexpired authorizations covering every name of the
// certificate (RFC 8555 §7.6, second bullet).
Result<bool> AccountControlsAllNames(sa::Store& store, const core::Clock& clock,
                                     core::AccountId account,
                                     const std::vector<core::Identifier>& names) {
  if (names.empty()) return false;
  std::vector<core::Identifier> bases;
  for (const core::Identifier& n : names) bases.push_back(policy::AuthorizationIdentifier(n));
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Authorization> authzs,
                         store.ListValidAuthorizations(account, bases, clock.Now()));
  std::set<std::pair<core::IdentifierType, std::string>> held;
  for (const core::Authorization& a : authzs) {
    if (a.status == core::AuthzStatus::kValid && a.account_id == account)
      held.emplace(a.identifier.type, a.identifier.value);
  }
  return std::all_of(bases.begin(), bases.end(), [&](const core::Identifier& b) {
    return held.count({b.type, b.value}) > 0;
  });
}

// Who may revoke a certificate (RFC 8555 §7.6), in the order they are recognized.
enum class Requester {
  kCertificateKey,  // the request is signed by the certificate's own key
  kSubscriber,      // the account that ordered the certificate
  kNameHolder,      // another account holding authorizations for every name
};

Result<Requester> CheckAuthorized(sa::Store& store, const core::Clock& clock,
                                  const RevocationRequest& req, const Target& t) {
  if (req.jwk) {
    // §7.6: "the public key in the certificate" signed the request.
    if (EVP_PKEY_eq(req.jwk->pkey(), t.facts.public_key.get()) == 1)
      return Requester::kCertificateKey;
    return Err(ErrorType::kUnauthorized,
               "the JWS key (jwk) is not the public key of the certificate");
  }
  if (!req.account) return Err(ErrorType::kUnauthorized, "no requester");
  if (req.account->id == t.cert.account_id) return Requester::kSubscriber;
  FLINT_ASSIGN_OR_RETURN(bool controls,
                         AccountControlsAllNames(store, clock, req.account->id, t.facts.identifiers));
  if (controls) return Requester::kNameHolder;
  return Err(ErrorType::kUnauthorized,
             "this account did not order the certificate and does not hold valid authorizations "
             "for all of its names");
}

std::string ReasonList(bool admin) {
  return admin ? "0-6, 9 or 10" : "0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged), "
                                  "4 (superseded) or 5 (cessationOfOperation)";
}

}  // namespace

bool IsSubscriberRevocationReason(int reason) {
  return reason == kReasonUnspecified || reason == kReasonKeyCompromise ||
         reason == kReasonAffiliationChanged || reason == kReasonSuperseded ||
         reason == kReasonCessationOfOperation;
}

bool IsOperatorRevocationReason(int reason) {
  return (reason >= kReasonUnspecified && reason <= kReasonCertificateHold) ||
         reason == kReasonPrivilegeWithdrawn || reason == kReasonAaCompromise;
}

Result<void> CheckKeyNotBlocked(sa::Store& store, const jose::PublicKey& key,
                                ErrorType type_if_blocked) {
  FLINT_ASSIGN_OR_RETURN(std::string spki, ca::SpkiSha256Hex(key.pkey()));
  return CheckSpkiNotBlocked(store, spki, type_if_blocked);
}

Result<void> CheckSpkiNotBlocked(sa::Store& store, const std::string& spki_sha256,
                                 ErrorType type_if_blocked) {
  FLINT_ASSIGN_OR_RETURN(std::optional<sa::BlockedKey> blocked, store.GetBlockedKey(spki_sha256));
  if (!blocked) return core::Ok();
  return Err(type_if_blocked, "this public key is blocked (" + blocked->source +
                                  "); use a new key");
}

Result<core::Certificate> RevokeCertificate(sa::Store& store, const core::Clock& clock,
                                            const RevocationRequest& req) {
  // Step 1: the reason (RFC 8555 §7.6: badRevocationReason).
  int reason = req.reason.value_or(kReasonUnspecified);
  bool allowed = req.admin ? IsOperatorRevocationReason(reason) : IsSubscriberRevocationReason(reason);
  if (!allowed) {
    return Err(ErrorType::kBadRevocationReason, "revocation reason " + std::to_string(reason) +
                                                    " is not allowed; use " + ReasonList(req.admin));
  }
  // Step 2: the certificate, then the requester's right to revoke it.
  FLINT_ASSIGN_OR_RETURN(Target t, FindTarget(store, req));
  if (!req.admin) {
    FLINT_ASSIGN_OR_RETURN(Requester who, CheckAuthorized(store, clock, req, t));
    // An account that merely controls the names (not the subscriber, not the key holder) can
    // say that the certificate is no longer needed for them, nothing about its key: its
    // revocation is recorded as cessationOfOperation (as Boulder does), so it can neither
    // block the subscriber's key nor assert a reason it cannot know.
    if (who == Requester::kNameHolder) reason = kReasonCessationOfOperation;
  }
  if (t.cert.revoked) return Err(ErrorType::kAlreadyRevoked, "the certificate is already revoked");

  // Step 3: keyCompromise blocks the key first, so that no new certificate or account can use
  // it even if the revocation below were to fail.
  const core::TimePoint now = clock.Now();
  if (reason == kReasonKeyCompromise) {
    sa::BlockedKey blocked{t.facts.spki_sha256, now,
                           "keyCompromise revocation of serial " + t.cert.serial_hex};
    if (req.admin && !req.admin_note.empty()) blocked.source += " by " + req.admin_note;
    FLINT_TRY(store.BlockKey(blocked));
  }

  // Step 4: the transition; a concurrent revocation wins cleanly.
  auto revoked = store.RevokeCertificate(t.cert.id, reason, now);
  if (!revoked.ok()) {
    if (revoked.error().type == ErrorType::kConflict)
      return Err(ErrorType::kAlreadyRevoked, "the certificate is already revoked");
    return std::move(revoked).error();
  }
  spdlog::info("revoked certificate serial={} reason={} by={}", t.cert.serial_hex, reason,
               req.admin ? "admin" : (req.jwk ? "certificate-key" : "account"));
  return store.GetCertificate(t.cert.id);
}

Result<void> RegistrationAuthority::CheckAccountKeyNotBlocked(const jose::PublicKey& key) {
  auto checked = CheckKeyNotBlocked(store_, key, ErrorType::kUnauthorized);
  if (checked.ok() || checked.error().type != ErrorType::kUnauthorized) return checked;
  return Err(ErrorType::kUnauthorized,
             "this account's key is blocked after a keyCompromise revocation; move the account "
             "to a new key with keyChange");
}

Result<core::Certificate> RegistrationAuthority::RevokeCertificate(
    const RevocationRequest& request) {
  FLINT_ASSIGN_OR_RETURN(core::Certificate cert, ra::RevokeCertificate(store_, clock_, request));
  metrics_->CertificateRevoked(cert.revocation_reason);
  audit_->Record("revocation", RevocationAuditRecord(cert, request, AccountUrl(cert.account_id)));
  if (revocation_listener_) revocation_listener_(cert);
  return cert;
}

void RegistrationAuthority::SetRevocationListener(
    std::function<void(const core::Certificate&)> listener) {
  revocation_listener_ = std::move(listener);
}

}  // namespace flint::ra
