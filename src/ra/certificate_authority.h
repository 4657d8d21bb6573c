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
#include "core/pki.h"
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

// The values the CA hands back (core/pki.h), shared with the ca module so they pass through.
using core::CrlContents;
using core::CrlEntry;
using core::IssuedCertificate;
using core::OcspAnswer;
using core::OcspCertStatus;
using core::OcspLookup;
using core::OcspStatus;

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
