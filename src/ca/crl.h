#pragma once
// Certificate revocation lists (RFC 5280 §5): one complete v2 CRL for the issuing CA, signed
// with the CA's own key (the issuer certificate carries keyUsage cRLSign).

#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ca/signer.h"
#include "core/clock.h"
#include "core/pki.h"
#include "core/result.h"

namespace flint::ca {

using core::CrlContents;
using core::CrlEntry;

// Thread-safe. Holds shared ownership of the signer and the issuer certificate.
class CrlIssuer {
 public:
  // The caller ensures `signer` holds the key of `issuer_cert`.
  CrlIssuer(std::shared_ptr<const Signer> signer, std::shared_ptr<X509> issuer_cert);

  // Builds and signs the DER CRL: version v2, issuer = the CA's subject, thisUpdate and
  // nextUpdate (one-second precision), the entries sorted by serial, each with its
  // revocationDate and a reasonCode extension unless the reason is unspecified (0), which
  // §5.3.1 says SHOULD be absent; CRL extensions authorityKeyIdentifier (§5.2.1) and cRLNumber
  // (§5.2.3). kInternal for a bad serial, a reason outside 0..10 or 7, a non-positive number,
  // nextUpdate not after thisUpdate, or an OpenSSL/signer failure.
  [[nodiscard]] core::Result<std::string> Issue(const CrlContents& contents) const;

  X509* issuer_cert() const { return issuer_cert_.get(); }

 private:
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<X509> issuer_cert_;
};

// The DER ASN1_INTEGER for a stored serial (hex of the INTEGER's content octets); nullptr if
// `serial_hex` is empty, longer than 20 octets (RFC 5280 §4.1.2.2) or not hex.
ASN1_INTEGER* SerialFromHex(std::string_view serial_hex);

}  // namespace flint::ca
