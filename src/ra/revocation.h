#pragma once
// Certificate revocation (RFC 8555 §7.6) as a reusable unit: the subscriber path behind the
// revokeCert resource and the operator path behind `flint admin revoke` share the same rules,
// storage transitions and key blocking. RegistrationAuthority::RevokeCertificate (ra.h) wraps
// RevokeCertificate below and then notifies its revocation listener (CRL regeneration).

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "core/types.h"
#include "jose/jwk.h"
#include "sa/store.h"

namespace flint::ra {

using core::Result;

// RFC 5280 §5.3.1 CRLReason values.
enum RevocationReason : int {
  kReasonUnspecified = 0,
  kReasonKeyCompromise = 1,
  kReasonCaCompromise = 2,
  kReasonAffiliationChanged = 3,
  kReasonSuperseded = 4,
  kReasonCessationOfOperation = 5,
  kReasonCertificateHold = 6,
  // 7 is unused; 8 (removeFromCRL) only has a meaning in delta CRLs, which flint does not make.
  kReasonPrivilegeWithdrawn = 9,
  kReasonAaCompromise = 10,
};

// The reasons a subscriber may give (RFC 8555 §7.6 leaves the choice to the CA; flint follows
// the CA/Browser Forum BR §4.9.1.1 set): unspecified, keyCompromise, affiliationChanged,
// superseded, cessationOfOperation.
bool IsSubscriberRevocationReason(int reason);
// The reasons an operator may give: every RFC 5280 reason a full CRL can carry (0-6, 9, 10).
bool IsOperatorRevocationReason(int reason);

struct RevocationRequest {
  // The certificate: its DER as a client sent it (compared byte for byte with the stored one),
  // or, on the operator path only, just its serial (lowercase hex, as stored) when der is empty.
  std::string certificate_der;
  std::string serial_hex;
  std::optional<int> reason;  // absent: unspecified (0)

  // Who asks. Subscriber path: exactly one of `account` (a kid-signed JWS, account valid) or
  // `jwk` (a jwk-signed JWS whose signature verified with this key).
  std::optional<core::Account> account;
  std::optional<jose::PublicKey> jwk;
  // Operator path: no authorization check, any IsOperatorRevocationReason reason.
  bool admin = false;
  std::string admin_note;  // recorded as the blocked key's source for keyCompromise
};

// Revokes the certificate and returns it as stored afterwards. Steps and errors, in order:
//   reason not allowed for the path               kBadRevocationReason
//   DER that is not a certificate                 kMalformed
//   not a certificate flint issued (unknown serial,
//     or stored DER differs)                      kNotFound ("unable to find the certificate")
//   not authorized (subscriber path): the JWS is
//     neither signed by the issuing account, nor by
//     an account holding valid, unexpired
//     authorizations for every name in the
//     certificate, nor with the certificate's key  kUnauthorized
//   already revoked                               kAlreadyRevoked
// Authorizations: a name "*.example.com" is covered by any valid authorization for
// "example.com" (wildcard or not). keyCompromise: the certificate's key (SPKI SHA-256) is
// blocked before the certificate is revoked, so that CSRs (kBadCsr) and account keys
// (kBadPublicKey) with it are refused from then on.
[[nodiscard]] Result<core::Certificate> RevokeCertificate(sa::Store& store,
                                                          const core::Clock& clock,
                                                          const RevocationRequest& request);

// kOk unless `key` is blocked; then an error of type `type_if_blocked` (kBadCsr for CSR keys,
// kBadPublicKey for account keys). Storage errors pass through.
[[nodiscard]] Result<void> CheckKeyNotBlocked(sa::Store& store, const jose::PublicKey& key,
                                              core::ErrorType type_if_blocked);
// The same, given the key's SPKI SHA-256 (ca::SpkiSha256HexOfDer).
[[nodiscard]] Result<void> CheckSpkiNotBlocked(sa::Store& store, const std::string& spki_sha256,
                                               core::ErrorType type_if_blocked);

}  // namespace flint::ra
