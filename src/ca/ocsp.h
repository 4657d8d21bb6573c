#pragma once
// An OCSP responder (RFC 6960) for certificates of one issuing CA, signing its answers with the
// CA's own key (§4.2.2.2: the CA that issued the certificate may sign directly), responderID
// byKey, no certificates included. Profile of RFC 5019 (lightweight OCSP): SHA-1 or SHA-256
// CertIDs, a few requests per message, no request signatures checked.

#include <openssl/x509.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ca/signer.h"
#include "core/clock.h"
#include "core/pki.h"
#include "core/result.h"

namespace flint::ca {

using core::OcspCertStatus;
using core::OcspLookup;
using core::OcspStatus;

struct OcspOptions {
  // nextUpdate = thisUpdate + validity (§4.2.2.1). thisUpdate is the time of the answer.
  std::chrono::seconds validity{std::chrono::hours(12)};
  size_t max_request_bytes = 8 * 1024;
  int max_certs_per_request = 8;  // RFC 5019 §2.1.1 clients send one
};

using core::OcspAnswer;

// Thread-safe. Holds shared ownership of the signer and the issuer certificate.
class OcspResponder {
 public:
  // The caller ensures `signer` holds the key of `issuer_cert`.
  OcspResponder(std::shared_ptr<const Signer> signer, std::shared_ptr<X509> issuer_cert,
                OcspOptions options = {});

  // Answers one DER OCSPRequest. A request that is not DER, too large, empty, asks about more
  // than max_certs_per_request certificates, or carries a nonce of 0 or more than 32 octets
  // (RFC 8954 §2.1) gets malformedRequest; a lookup or signing failure gets internalError. A
  // request with a CertID whose issuerNameHash/issuerKeyHash do not match this issuer (under
  // the CertID's own hash algorithm), or whose hash algorithm is unknown, gets `unauthorized`
  // (RFC 5019 §2.2.3, RFC 6960 §2.3: this responder cannot answer authoritatively for another
  // issuer, and a signed `unknown` would not verify for that issuer anyway). Otherwise each
  // certificate is answered as `lookup` says (`unknown` for a serial this CA never issued),
  // revoked ones with revocationTime and revocationReason.
  OcspAnswer Respond(std::string_view request_der, const OcspLookup& lookup,
                     core::TimePoint now) const;

 private:
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<X509> issuer_cert_;
  OcspOptions options_;
};

}  // namespace flint::ca
