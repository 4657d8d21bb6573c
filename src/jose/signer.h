#pragma once
// A JWS *client*: account key pairs that sign flattened JWS (RFC 7515 §7.2.2) the way ACME
// clients do (RFC 8555 §6.2). Used by unit and integration tests and by the benchmark load
// generator; the server never signs JWS.

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "jose/jwk.h"

namespace flint::jose {

// An account key pair. Cheap to copy (shares one EVP_PKEY); const methods are thread-safe.
class KeyPair {
 public:
  // A fresh key for `alg`: RSA 2048 for RS256, P-256/P-384/P-521 for ES256/384/512, Ed25519
  // for EdDSA. Aborts if OpenSSL cannot generate a key or `alg` is kHS256 (a programming error
  // in test code, not an input error).
  static KeyPair Generate(Algorithm alg);

  // Loads an unencrypted PEM private key (PKCS#8 or traditional) of a type flint accepts; the
  // algorithm follows from the key (RSA -> RS256, P-256 -> ES256, ..., Ed25519 -> EdDSA).
  // Errors: kMalformed for unparsable PEM, kBadPublicKey for an unsupported key.
  [[nodiscard]] static core::Result<KeyPair> FromPem(std::string_view pem);

  // The private key as unencrypted PKCS#8 PEM.
  std::string PrivateKeyPem() const;

  Algorithm algorithm() const { return alg_; }
  const PublicKey& public_key() const { return public_key_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

  // The raw JWS signature of `signing_input` (RSASSA-PKCS1-v1_5, R || S padded to the field
  // size for ECDSA per RFC 7518 §3.4, or Ed25519).
  std::string Sign(std::string_view signing_input) const;

  // {"protected":B64(protected_json),"payload":B64(payload),"signature":...}. An empty
  // `payload` gives the empty payload of a POST-as-GET (RFC 8555 §6.3).
  std::string SignFlattened(std::string_view protected_json, std::string_view payload) const;

  // The RFC 8555 §6.2 protected header for this key: {"alg","jwk","nonce","url"} when `kid` is
  // empty, else {"alg","kid","nonce","url"}.
  std::string ProtectedHeaderJson(std::string_view nonce, std::string_view url,
                                  std::string_view kid = {}) const;

 private:
  KeyPair(std::shared_ptr<EVP_PKEY> pkey, Algorithm alg, PublicKey public_key)
      : pkey_(std::move(pkey)), alg_(alg), public_key_(std::move(public_key)) {}

  std::shared_ptr<EVP_PKEY> pkey_;
  Algorithm alg_;
  PublicKey public_key_;
};

// A flattened JWS MACed with HS256 under the raw key octets `key`, as an external account
// binding (RFC 8555 §7.3.4) is.
std::string SignHs256Flattened(std::string_view protected_json, std::string_view payload,
                               std::string_view key);

}  // namespace flint::jose
