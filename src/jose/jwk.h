#pragma once
// JSON Web Keys for ACME account keys: RFC 7517 (JWK), RFC 7518 §6 (RSA and EC members),
// RFC 8037 (OKP / Ed25519) and RFC 7638 (thumbprints). Public keys only: a JWK that carries
// private members is refused, because a client that sends its private key has made a mistake
// the server must not reward.

#include <openssl/types.h>

#include <boost/json/fwd.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace flint::jose {

// JWS algorithms (RFC 7518 §3.1). The account-key signature algorithms flint accepts are
// RS256, ES256, ES384, ES512 and EdDSA (RFC 8037, Ed25519 only). kHS256 exists only for the
// MAC of an external account binding (RFC 8555 §7.3.4): ParseAlgorithm never returns it, no
// PublicKey fits it, and only ParseEabJws produces it.
enum class Algorithm { kRS256, kES256, kES384, kES512, kEdDSA, kHS256 };

// The signature algorithm named `name` ("RS256", ...), or nullopt for anything else, including
// "none", "HS256" and the algorithms flint does not implement (PS256, RS512, ...).
std::optional<Algorithm> ParseAlgorithm(std::string_view name);

// The JOSE name of `alg`, e.g. "ES256".
std::string_view AlgorithmName(Algorithm alg);

// The names ParseAlgorithm accepts, for the `algorithms` field of a badSignatureAlgorithm
// problem (RFC 8555 §6.2).
const std::vector<std::string>& SupportedAlgorithmNames();

// An immutable public key together with its RFC 7638 canonical JWK and thumbprint.
// Cheap to copy (shares one EVP_PKEY); safe to use for verification from many threads at once.
class PublicKey {
 public:
  // The OpenSSL key, public part only. Owned by this object (and its copies); do not free or
  // modify it.
  EVP_PKEY* pkey() const;

  // RFC 7638 §3.2 form: only the required members, in lexicographic order, no whitespace, with
  // EC coordinates at full field size and RSA integers without leading zero octets, e.g.
  // {"crv":"P-256","kty":"EC","x":"...","y":"..."}. This is the form flint stores.
  const std::string& canonical_json() const;

  // base64url(SHA-256(canonical_json())) (RFC 7638 §3.1), as used in key authorizations
  // (RFC 8555 §8.1).
  const std::string& thumbprint() const;

  // True if this key can verify `alg`: RSA for RS256, P-256 for ES256, P-384 for ES384, P-521
  // for ES512, Ed25519 for EdDSA. Never true for kHS256.
  bool Fits(Algorithm alg) const;

  // Same key material (compares the canonical JWKs).
  bool Equals(const PublicKey& other) const;

  struct Rep;  // Defined in jwk.cc.

 private:
  friend class PublicKeyFactory;  // Defined in jwk.cc; the only way to make a PublicKey.
  explicit PublicKey(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

  std::shared_ptr<const Rep> rep_;
};

// Parses a public JWK (RFC 7517 §4, RFC 7518 §6.2.1/§6.3.1, RFC 8037 §2). Members other than
// the required ones ("alg", "kid", "use", ...) are ignored. Accepted keys:
//   kty "RSA": n, e; modulus of 2048..8192 bits and odd; e odd, >= 3 and at most 64 bits.
//   kty "EC":  crv P-256 / P-384 / P-521; x and y exactly the field size; point on the curve.
//   kty "OKP": crv Ed25519; x exactly 32 octets.
// Errors:
//   kMalformed    not an object; kty/crv/n/e/x/y missing or not strings; bad base64url; EC or
//                 OKP coordinates of the wrong length; any private member (d, p, q, dp, dq, qi,
//                 oth, k).
//   kBadPublicKey unknown kty; unsupported curve (secp256k1, Ed448, X25519, ...); RSA modulus
//                 too short or too long or even; bad exponent; EC point not on the curve.
[[nodiscard]] core::Result<PublicKey> ParseJwk(const boost::json::value& jwk);

// ParseJwk on JSON text (strictly parsed), e.g. a canonical_json() loaded from storage.
[[nodiscard]] core::Result<PublicKey> ParseJwkJson(std::string_view json);

// The public part of `pkey` (RSA, EC P-256/384/521, or Ed25519; it may hold a private key,
// which is not copied), subject to the same key rules as ParseJwk. Used to compare a CSR's or a
// certificate's key with an account key. Errors: kBadPublicKey.
[[nodiscard]] core::Result<PublicKey> PublicKeyFromPkey(EVP_PKEY* pkey);

}  // namespace flint::jose
