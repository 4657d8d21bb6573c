#pragma once
// What the RA consumes from the certificate authority, declared here by its consumer: signing a
// certificate for a checked request, and the signed status answers (CRL, OCSP) that
// StatusAuthority serves. `cmd` wires in an adapter over the local ca::Issuer, ca::CrlIssuer and
// ca::OcspResponder; an HSM-backed or remote CA, or a test fake, fits the same seam. Only
// flint's own types cross it (no OpenSSL types).
//
// Implementations are thread-safe: every method may be called concurrently.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/types.h"
#include "jose/jwk.h"

namespace flint::ra {

// A certificate request the RA has checked (names against the order, key policy, CAA).
struct IssueRequest {
  // dns: lowercase ASCII A-labels, optional "*." first label (RFC 8555 §7.1.4); ip: an IPv4 or
  // IPv6 literal (RFC 8738). Placed in the SAN in this order.
  std::vector<core::Identifier> identifiers;
  std::optional<jose::PublicKey> public_key;  // the CSR's key; required
  // The CSR's DER SubjectPublicKeyInfo as decoded, copied into the certificate as it is (saves
  // re-encoding the key). Borrowed for the call; empty: encoded from `public_key`.
  std::string_view spki_der;
  core::TimePoint not_before;  // one-second precision; backdating is the caller's business
  core::TimePoint not_after;
  bool include_cn = true;            // subject CN = the first dns identifier, if it fits
  bool include_client_auth = false;  // EKU clientAuth besides serverAuth
  // The profile's KeyUsage; the CA keeps those the key's algorithm can do (keyEncipherment
  // only for RSA), so the default is digitalSignature, plus keyEncipherment for RSA keys.
  std::vector<core::KeyUsage> key_usages = {core::KeyUsage::kDigitalSignature,
                                            core::KeyUsage::kKeyEncipherment};
  std::string aia_issuer_url;        // caIssuers; omitted if empty
  std::string ocsp_url;              // AIA id-ad-ocsp; omitted if empty
  std::string crl_url;               // cRLDistributionPoints; omitted if empty
};

struct IssuedCertificate {
  std::string serial_hex;  // lowercase hex of the DER INTEGER content octets
  std::string der;         // the leaf, DER
  std::string chain_pem;   // leaf then the issuer chain, PEM (application/pem-certificate-chain)
  core::TimePoint not_before;
  core::TimePoint not_after;
};

// RFC 5280 §5: one complete CRL of the issuing CA.
struct CrlEntry {
  std::string serial_hex;  // as core::Certificate::serial_hex
  core::TimePoint revocation_date;
  int reason = 0;  // RFC 5280 §5.3.1 CRLReason
};
struct CrlContents {
  int64_t number = 0;  // cRLNumber (§5.2.3): positive, strictly increasing
  core::TimePoint this_update;
  core::TimePoint next_update;
  std::vector<CrlEntry> entries;
};

// RFC 6960: the status of one certificate, as storage says.
enum class OcspCertStatus { kGood, kRevoked, kUnknown };
struct OcspStatus {
  OcspCertStatus status = OcspCertStatus::kUnknown;
  core::TimePoint revoked_at;  // kRevoked only
  int reason = 0;              // kRevoked only: RFC 5280 §5.3.1 CRLReason
};
// Status of the certificate with this serial (lowercase hex). kUnknown for a serial the CA
// never issued; an error fails the whole response (internalError).
using OcspLookup = std::function<core::Result<OcspStatus>(const std::string& serial_hex)>;

struct OcspAnswer {
  std::string der;          // always a complete DER OCSPResponse (RFC 6960 §4.2.1)
  bool successful = false;  // responseStatus successful; else malformedRequest/internalError/
                            // unauthorized
  bool has_nonce = false;   // the request had a nonce, echoed in the response (§4.4.1)
  core::TimePoint this_update;  // successful only
  core::TimePoint next_update;  // successful only
  std::string error;            // unsuccessful: why, for logs (never sent)
};

class CertificateAuthority {
 public:
  virtual ~CertificateAuthority() = default;

  // Signs one end-entity certificate with a fresh random serial (the caller stores it and
  // re-asks on a serial conflict). Errors: kRejectedIdentifier for an identifier the CA will
  // not put in a certificate; kInternal for a malformed request (no identifiers, no key,
  // inverted validity, notAfter beyond the issuer's) or a signing failure.
  [[nodiscard]] virtual core::Result<IssuedCertificate> Issue(const IssueRequest& request) const = 0;

  // The raw octets of the issuing certificate's subject key identifier (RFC 5280 §4.2.1.2): the
  // keyIdentifier of every certificate it issues, and the first half of an ARI CertID
  // (RFC 9773 §4.1).
  virtual const std::string& IssuerKeyIdentifier() const = 0;

  // Builds and signs the DER CRL for `contents` (RFC 5280 §5). kInternal on a bad entry or a
  // signing failure.
  [[nodiscard]] virtual core::Result<std::string> SignCrl(const CrlContents& contents) const = 0;

  // Answers one DER OCSPRequest (RFC 6960) with each certificate's status from `lookup`,
  // produced at `now`. Never fails: a bad request or a failure is an unsuccessful answer.
  virtual OcspAnswer RespondOcsp(std::string_view request_der, const OcspLookup& lookup,
                                 core::TimePoint now) const = 0;
};

}  // namespace flint::ra
