#pragma once
// Issues end-entity TLS server certificates (RFC 5280 profile, CA/Browser Forum BR §7.1 shape)
// from one issuing CA certificate and its Signer.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "ca/signer.h"
#include "core/clock.h"
#include "core/pki.h"
#include "core/random.h"
#include "core/result.h"
#include "core/types.h"

namespace flint::ca {

struct IssueRequest {
  // dns: lowercase ASCII A-labels, at most 253 characters, optional "*." first label (RFC 8555
  // §7.1.4); ip: an IPv4 or IPv6 literal (RFC 8738). Placed in the SAN in this order.
  std::vector<core::Identifier> identifiers;
  EVP_PKEY* public_key = nullptr;  // borrowed for the call; the CSR's key
  // Optional, borrowed for the call: the DER SubjectPublicKeyInfo of `public_key` (the CSR's,
  // ParsedCsr::spki_der), copied into the certificate as it is. Without it the key is
  // re-encoded from `public_key`, which OpenSSL 3 does through its encoder machinery at several
  // times the cost of the signature.
  std::string_view spki_der;
  // Encoded at one-second precision. Backdating is the caller's business.
  core::TimePoint not_before;
  core::TimePoint not_after;
  // Subject CN = the first dns identifier, if it fits the 64-character ub-common-name
  // (RFC 5280 Appendix A); otherwise (or for IP-only requests) the subject is empty and the SAN
  // is critical (RFC 5280 §4.2.1.6).
  bool include_cn = true;
  bool include_client_auth = false;  // EKU clientAuth besides serverAuth
  // KeyUsage bits wanted; the certificate carries those the subject key's algorithm can do:
  // RSA (RFC 3279 §2.3.1) all but keyAgreement; EC (RFC 5480 §3, RFC 8813 §3) all but
  // keyEncipherment and dataEncipherment; any other key (Ed25519 and Ed448, RFC 8410 §5)
  // digitalSignature and nonRepudiation only. The default is therefore digitalSignature, plus
  // keyEncipherment for RSA keys (CA/Browser Forum BR §7.1.2.7.11).
  std::vector<core::KeyUsage> key_usages = {core::KeyUsage::kDigitalSignature,
                                            core::KeyUsage::kKeyEncipherment};
  std::string aia_issuer_url;        // caIssuers; omitted if empty
  std::string ocsp_url;              // AIA id-ad-ocsp; omitted if empty
  std::string crl_url;               // cRLDistributionPoints; omitted if empty
};

using core::IssuedCertificate;

// Thread-safe: Issue may be called concurrently. Holds shared ownership of the issuer
// certificate and signer; `random` must outlive the Issuer and be thread-safe.
class Issuer {
 public:
  // `issuer_cert` is the CA certificate that signs (its subject becomes the issuer name, its SKI
  // the AKI); `issuer_chain_pem` is appended to every leaf in chain_pem (the issuer certificate,
  // without the root). The caller ensures `signer` holds the key of `issuer_cert`.
  Issuer(std::shared_ptr<const Signer> signer, std::shared_ptr<X509> issuer_cert,
         std::string issuer_chain_pem, core::Random& random);

  // Builds and signs one X.509 v3 certificate: a fresh 128-bit random positive serial (RFC 5280
  // §4.1.2.2; the caller retries on a store conflict), SAN from `identifiers`, keyUsage
  // critical (`key_usages` as the key allows), basicConstraints CA:FALSE critical, EKU
  // serverAuth (+clientAuth), SKI, AKI keyid, AIA, CRL DP.
  // Errors: kRejectedIdentifier for an identifier that is not a well-formed lowercase DNS name or
  // IP literal; kInternal for a malformed request (no identifiers, no key, no key usage the key
  // can do, empty or inverted validity, notAfter beyond the issuer's) or an OpenSSL/signer
  // failure.
  [[nodiscard]] core::Result<IssuedCertificate> Issue(const IssueRequest& request) const;

  X509* issuer_cert() const { return issuer_cert_.get(); }

 private:
  core::Result<std::string> NewSerial(ASN1_INTEGER* serial) const;
  core::Result<void> SetNamesAndExtensions(X509* cert, const IssueRequest& request) const;

  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<X509> issuer_cert_;
  std::string issuer_chain_pem_;
  core::Random& random_;
  core::TimePoint issuer_not_after_;
};

// True if `name` is a DNS name the issuer will put in a certificate: lowercase LDH labels of
// 1-63 characters, no leading/trailing hyphen, at most 253 characters, optional "*." prefix.
bool IsIssuableDnsName(std::string_view name);

}  // namespace flint::ca
