// libFuzzer target: a finalize request's CSR (ca::ParseCsr: DER PKCS#10, its self-signature,
// extensionRequest and subjectAltName, RFC 2986 / RFC 5280), then the checks the RA makes of
// its key (jose::PublicKeyFromPkey, policy::CheckCertificateKey).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ca/csr.h"
#include "jose/jwk.h"
#include "policy/key_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view der(reinterpret_cast<const char*>(data), size);
  auto csr = flint::ca::ParseCsr(der);
  if (!csr.ok()) return 0;
  // Invariants of a parsed CSR (csr.h): lowercase printable names, a key.
  for (const auto& name : csr->dns_names) {
    if (name.empty()) __builtin_trap();
    for (char c : name)
      if (c < 0x21 || c > 0x7e || (c >= 'A' && c <= 'Z')) __builtin_trap();
  }
  if (!csr->public_key) __builtin_trap();
  (void)flint::jose::PublicKeyFromPkey(csr->public_key.get());
  (void)flint::policy::CheckCertificateKey(csr->public_key.get());
  return 0;
}
