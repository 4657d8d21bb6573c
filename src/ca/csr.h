#pragma once
// PKCS#10 certificate signing requests (RFC 2986) as sent to an ACME finalize URL
// (RFC 8555 §7.4: base64url DER, no PEM).

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace flint::ca {

// Largest CSR accepted; real ones are a few hundred bytes to a few KiB.
inline constexpr size_t kMaxCsrBytes = 64 * 1024;

struct ParsedCsr {
  // From the extensionRequest's subjectAltName, ASCII-lowercased, duplicates removed, first-seen
  // order kept. Values are not policy-checked here (that is the RA's and policy's job).
  std::vector<std::string> dns_names;
  // Canonical text: dotted quad, or RFC 5952 IPv6; duplicates removed.
  std::vector<std::string> ip_addresses;
  // The subject commonName (UTF-8, ASCII-lowercased), empty if absent.
  std::string common_name;
  std::shared_ptr<EVP_PKEY> public_key;
  // DER of the request's SubjectPublicKeyInfo as decoded: the issuer copies it into the
  // certificate (IssueRequest::spki_der) and the blocked-key check hashes it.
  std::string spki_der;
};

// Parses one DER PKCS#10 request and verifies its self-signature (RFC 2986 §3). Thread-safe.
// Every failure is kBadCsr with a detail saying why: not DER / trailing data, too large, version
// not v1, signature invalid or made with MD5/SHA-1, malformed or repeated extensionRequest or
// subjectAltName, a SAN that is not a dNSName or iPAddress, a dNSName that is empty or not
// printable ASCII, an iPAddress that is not 4 or 16 bytes, more than one subject CN.
[[nodiscard]] core::Result<ParsedCsr> ParseCsr(std::string_view der);

}  // namespace flint::ca
