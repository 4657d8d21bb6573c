#pragma once
// The plain-HTTP front end (`--http-listen`) for relying parties: certificate status and the
// issuer certificate. Everything it serves is signed, so it needs no TLS (RFC 5280 §4.2.1.13,
// RFC 6960 Appendix A, RFC 5019 §5). Routes:
//   GET|HEAD /crl            the CA's current CRL, DER, application/pkix-crl
//   GET|HEAD /issuer         the issuing CA certificate, DER, application/pkix-cert (AIA
//                            caIssuers, RFC 5280 §4.2.2.1)
//   POST /ocsp, POST /ocsp/  an OCSP request (application/ocsp-request) -> application/ocsp-response
//   GET /ocsp/<request>      the same, the DER request base64-encoded then percent-encoded
//                            (RFC 6960 Appendix A.1)
// The /ocsp routes answer 404 when OCSP is turned off. Other paths: 404; other methods: 405.
// Caching (RFC 5019 §6.2): CRL and successful OCSP answers carry Last-Modified (their
// thisUpdate) and Cache-Control "public, max-age=N, no-transform" with N = min(max_age, seconds
// until nextUpdate); OCSP answers that echo a nonce or are unsuccessful carry "no-store".

#include <chrono>
#include <optional>
#include <string>

#include "core/clock.h"
#include "ra/status_authority.h"
#include "wfe/http_types.h"

namespace flint::wfe {

struct StatusFrontEndOptions {
  std::string issuer_der;  // the intermediate certificate, DER
  bool ocsp = true;
  std::chrono::seconds max_age{300};
};

// Thread-safe (Handle may run on several workers at once).
class StatusFrontEnd {
 public:
  // `status` and `clock` must outlive this object.
  StatusFrontEnd(StatusFrontEndOptions options, ra::StatusAuthority& status,
                 const core::Clock& clock);

  HttpResponse Handle(HttpRequest& request);

 private:
  HttpResponse Crl();
  HttpResponse Issuer() const;
  HttpResponse Ocsp(std::string_view request_der);

  StatusFrontEndOptions options_;
  ra::StatusAuthority& status_;
  const core::Clock& clock_;
};

// Decodes the path segment of an OCSP GET (RFC 6960 Appendix A.1): percent-decoding, then
// standard base64 (padding optional; the URL-safe alphabet is accepted too). std::nullopt if
// either step fails.
std::optional<std::string> DecodeOcspGetPath(std::string_view encoded);

}  // namespace flint::wfe
