#pragma once
// Key policy for the public key a certificate will certify: the CSR's key at finalize
// (RFC 8555 §7.4). The JWS account-key allow-list lives in jose, not here.
//
// Allowed:
//   RSA (rsaEncryption, not RSA-PSS): 2048-4096 bits and a multiple of 8 (CA/Browser Forum
//     Baseline Requirements §6.1.5), public exponent exactly 65537, no prime factor below 1000,
//     and prime factors not so close that 100 rounds of Fermat factorization find them;
//   ECDSA on the named curves P-256 or P-384 with a valid public point.
// Everything else (other sizes and exponents, P-521, explicit curve parameters, Ed25519, Ed448,
// DSA, ...) is refused with kBadCsr and a detail that says what is allowed. Pure computation,
// thread-safe; leaves the OpenSSL error queue clear.

#include <openssl/evp.h>

#include "core/result.h"

namespace flint::policy {

[[nodiscard]] core::Result<void> CheckCertificateKey(EVP_PKEY* key);

// An ACME account key (RFC 8555 §7.3, §7.3.5), after jose's JWK allow-list: an RSA key must
// also meet the RSA rules above (2048-4096 bits, a multiple of 8, exponent 65537, no small
// factor, not Fermat-factorable), refused with kBadPublicKey. EC and Ed25519 keys are already
// fully checked by jose (curve allow-list, point on the curve, no small-order Ed25519 point).
[[nodiscard]] core::Result<void> CheckAccountKey(EVP_PKEY* key);

}  // namespace flint::policy
