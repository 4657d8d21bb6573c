#pragma once
// Certificate signing requests as an ACME client sends them to finalize (RFC 8555 §7.4): a fresh
// P-256 key per request, PKCS#10 (RFC 2986) with the names as a subjectAltName extension and the
// first name as the common name, signed with ECDSA-SHA256.

#include <string>
#include <vector>

namespace flint::bench {

// The DER encoding of a new CSR for `dns_names` (not empty). Aborts if OpenSSL fails (a broken
// OpenSSL installation, not an input error).
std::string MakeP256CsrDer(const std::vector<std::string>& dns_names);

}  // namespace flint::bench
