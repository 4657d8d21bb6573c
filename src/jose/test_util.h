#pragma once
// Test-only helpers shared by the jose tests (not part of flint_jose).

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "jose/base64url.h"
#include "jose/openssl_util.h"

namespace flint::jose::testing {

inline internal::UniquePkey GenerateKey(const char* type, const char* param = nullptr) {
  if (std::string_view(type) == "RSA") {
    return internal::UniquePkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  }
  if (param != nullptr) {
    return internal::UniquePkey(EVP_PKEY_Q_keygen(nullptr, nullptr, type, param));
  }
  return internal::UniquePkey(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
}

// {"e":...,"kty":"RSA","n":...} of a freshly generated 1024-bit RSA key.
inline std::string Rsa1024Jwk() {
  auto pkey = GenerateKey("RSA");
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e);
  internal::UniqueBn n_owner(n), e_owner(e);
  return "{\"e\":\"" + Base64UrlEncode(internal::BnToMinimal(e)) + "\",\"kty\":\"RSA\",\"n\":\"" +
         Base64UrlEncode(internal::BnToMinimal(n)) + "\"}";
}

// RFC 7515 Appendix A.3 P-256 key, public part.
inline constexpr std::string_view kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
inline constexpr std::string_view kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

inline std::string EcJwk(std::string_view crv, std::string_view x, std::string_view y) {
  return "{\"crv\":\"" + std::string(crv) + "\",\"kty\":\"EC\",\"x\":\"" + std::string(x) +
         "\",\"y\":\"" + std::string(y) + "\"}";
}

// The A.3 key with the last bit of y flipped: not on P-256.
inline std::string OffCurveP256Jwk() {
  std::string y = Base64UrlDecode(kA3Y).value();
  y.back() = static_cast<char>(y.back() ^ 1);
  return EcJwk("P-256", kA3X, Base64UrlEncode(y));
}

// A syntactically fine secp256k1 JWK (flint refuses the curve before looking at the point).
inline std::string Secp256k1Jwk() { return EcJwk("secp256k1", kA3X, kA3Y); }

}  // namespace flint::jose::testing
