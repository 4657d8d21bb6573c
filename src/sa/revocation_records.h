#pragma once
// Storage records behind revocation status: what a CRL lists (RFC 5280 §5.1.2.6) and the keys
// refused after a keyCompromise revocation (RFC 8555 §7.6). Plain values, like core/types.h.

#include <cstdint>
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

// The CRL every instance on a database serves (RFC 5280 §5), as the last one to make it stored
// it, so that clients see one CRL and its numbers only go up, whichever instance answers.
struct StoredCrl {
  int64_t number = 0;  // cRLNumber; 0: no CRL stored yet
  core::TimePoint this_update;
  core::TimePoint next_update;
  int64_t revocations = 0;  // Store::RevocationCount when it was made
  std::string der;          // empty when the reader already holds this number (GetCurrentCrl)
};

// A public key flint refuses in CSRs and as an account key.
struct BlockedKey {
  // Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (ca::SpkiSha256Hex).
  std::string spki_sha256;
  core::TimePoint blocked_at;
  std::string source;  // why, for operators: "keyCompromise revocation of serial 01ab", "admin"
};

}  // namespace flint::sa
