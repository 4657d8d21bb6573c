#pragma once
// Facts read back from a DER certificate that a client presents, e.g. in a revokeCert request
// (RFC 8555 §7.6), and the key fingerprint used to block compromised keys.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace flint::ca {

// Largest certificate accepted from a client.
inline constexpr size_t kMaxCertificateBytes = 16 * 1024;

struct CertificateFacts {
  std::string serial_hex;  // as SerialToHex, so it matches core::Certificate::serial_hex
  // The subjectAltName entries flint issues: dNSName (ASCII-lowercased) and iPAddress
  // (canonical text), in certificate order. Other name types are skipped.
  std::vector<core::Identifier> identifiers;
  std::shared_ptr<EVP_PKEY> public_key;
  std::string spki_sha256;  // SpkiSha256Hex(public_key)
};

// Parses exactly one DER certificate (no trailing bytes). No signature or chain check: callers
// compare the DER with what flint stored. kMalformed when it is not a certificate or too large.
[[nodiscard]] core::Result<CertificateFacts> ParseCertificateDer(std::string_view der);

// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo of `key` (its public part), the form in
// which blocked keys are stored. kInternal if the key cannot be encoded.
[[nodiscard]] core::Result<std::string> SpkiSha256Hex(EVP_PKEY* key);

// The same hash from the DER SubjectPublicKeyInfo itself. Prefer this when the encoding is at
// hand (a CSR, a certificate): re-encoding an EVP_PKEY goes through OpenSSL 3's encoder
// machinery, which costs about as much as a signature verification.
[[nodiscard]] std::string SpkiSha256HexOfDer(std::string_view spki_der);

// The DER encoding of a parsed SubjectPublicKeyInfo, as it was decoded (no key re-encoding).
// kInternal if it cannot be encoded.
[[nodiscard]] core::Result<std::string> SpkiDer(const X509_PUBKEY* spki);

}  // namespace flint::ca
