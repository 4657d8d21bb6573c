#pragma once
// Plain values of issuance and revocation status that the CA produces and the RA consumes:
// one definition for both sides of ra::CertificateAuthority, so the adapter passes them through
// instead of copying them field by field. No OpenSSL types.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace flint::core {

struct IssuedCertificate {
  std::string serial_hex;  // lowercase hex of the DER INTEGER content octets
  std::string der;         // the leaf, DER
  std::string chain_pem;   // leaf then the issuer chain, PEM (application/pem-certificate-chain)
  TimePoint not_before;
  TimePoint not_after;
};

// RFC 5280 §5: one complete CRL of the issuing CA.
struct CrlEntry {
  std::string serial_hex;  // as core::Certificate::serial_hex
  TimePoint revocation_date;
  int reason = 0;  // RFC 5280 §5.3.1 CRLReason
};
struct CrlContents {
  int64_t number = 0;  // cRLNumber (§5.2.3): positive, strictly increasing per issuer
  TimePoint this_update;
  TimePoint next_update;
  std::vector<CrlEntry> entries;
};

// RFC 6960: the status of one certificate, as storage says.
enum class OcspCertStatus { kGood, kRevoked, kUnknown };
struct OcspStatus {
  OcspCertStatus status = OcspCertStatus::kUnknown;
  TimePoint revoked_at;  // kRevoked only
  int reason = 0;        // kRevoked only: RFC 5280 §5.3.1 CRLReason
};
// Status of the certificate with this serial (lowercase hex, as the CA's SerialToHex). kUnknown
// for a serial the CA never issued; an error fails the whole response (internalError).
using OcspLookup = std::function<Result<OcspStatus>(const std::string& serial_hex)>;

struct OcspAnswer {
  std::string der;          // always a complete DER OCSPResponse (RFC 6960 §4.2.1)
  bool successful = false;  // responseStatus successful; else malformedRequest/internalError/
                            // unauthorized
  bool has_nonce = false;   // the request had a nonce, echoed in the response (§4.4.1)
  TimePoint this_update;    // successful only
  TimePoint next_update;    // successful only
  std::string error;        // unsuccessful: why, for logs (never sent)
};

}  // namespace flint::core
