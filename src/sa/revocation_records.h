#pragma once
// Storage records behind revocation status: what a CRL lists (RFC 5280 §5.1.2.6) and the keys
// refused after a keyCompromise revocation (RFC 8555 §7.6). Plain values, like core/types.h.

#include <string>

#include "core/clock.h"

namespace flint::sa {

// One revoked certificate as a CRL entry needs it.
struct RevokedCertificate {
  std::string serial_hex;  // as core::Certificate::serial_hex
  core::TimePoint revoked_at;
  int reason = 0;  // RFC 5280 §5.3.1 CRLReason
  core::TimePoint not_after;
};

// A public key flint refuses in CSRs and as an account key.
struct BlockedKey {
  // Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (ca::SpkiSha256Hex).
  std::string spki_sha256;
  core::TimePoint blocked_at;
  std::string source;  // why, for operators: "keyCompromise revocation of serial 01ab", "admin"
};

}  // namespace flint::sa
