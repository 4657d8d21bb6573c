#pragma once
// ACME Renewal Information (RFC 9773): certificate identifiers and suggested renewal windows.

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/types.h"

namespace flint::ra {

// RFC 9773 §4.1: a certificate named by its issuer's key identifier and its serial.
struct CertId {
  std::string key_identifier;  // raw octets of the AKI keyIdentifier
  std::string serial;          // raw DER INTEGER content octets of the serial number
};

// Parses "base64url(keyIdentifier) '.' base64url(serial)". kMalformed unless both parts are
// non-empty, unpadded, canonical base64url (jose::Base64UrlDecode) and the serial is a
// minimally encoded positive INTEGER (RFC 5280 §4.1.2.2).
core::Result<CertId> ParseCertId(std::string_view text);

// The canonical text form of `id`.
std::string FormatCertId(const CertId& id);

// The CertID of a DER certificate: its AKI keyIdentifier and serial. kMalformed if the DER does
// not parse or the certificate has no AKI keyIdentifier.
core::Result<CertId> CertIdOf(std::string_view der);

struct RenewalWindow {
  core::TimePoint start;
  core::TimePoint end;
};

struct RenewalInfo {
  RenewalWindow window;
  std::chrono::seconds retry_after{0};
};

// RFC 9773 §4.2: for a good certificate, the span from 2/3 to 3/4 of its validity, like the
// renewal point ACME clients use without ARI. For a revoked certificate (the CA wants it
// replaced now), a window that ended before `now`: start = now - 2h, end = now - 1h.
RenewalWindow SuggestedWindow(const core::Certificate& cert, core::TimePoint now);

}  // namespace flint::ra
