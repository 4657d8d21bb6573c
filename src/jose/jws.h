#pragma once
// JWS for ACME requests: RFC 7515 flattened JSON serialization, restricted as RFC 8555 §6.2
// demands, and verified with the RFC 7518 §3 algorithms listed in jwk.h.
//
// The flow in the web front end: ParseJws (pure parsing, no crypto except the JWK import for
// "jwk" headers), then nonce redemption (also when parsing failed after the nonce, or any later
// check fails), url comparison and account lookup for "kid", then
// VerifyJws against the account's (cached) PublicKey. Nothing is parsed twice.

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "jose/jwk.h"

namespace flint::jose {

// The protected header members flint uses (RFC 8555 §6.2). Exactly one of `kid` (non-empty)
// and `jwk` is set.
struct ProtectedHeader {
  Algorithm alg = Algorithm::kRS256;
  std::string nonce;  // base64url, non-empty; empty only in an EAB JWS (RFC 8555 §7.3.4)
  std::string url;
  std::string kid;
  std::optional<PublicKey> jwk;
};

struct Jws {
  ProtectedHeader header;
  std::string protected_b64;  // as received; part of the signing input
  std::string payload_b64;    // as received; part of the signing input
  std::string payload;        // decoded; valid UTF-8 (JSON text for the caller to parse)
  std::string signature;      // decoded

  // RFC 8555 §6.3: a POST-as-GET request has an empty payload.
  bool post_as_get() const { return payload_b64.empty(); }
};

// Parses an ACME request body. Rules (RFC 8555 §6.2, RFC 7515):
//  - a JSON object (strict: duplicate keys anywhere, bad UTF-8 -> kMalformed) with exactly the
//    string members "protected", "payload", "signature"; an unprotected "header", a
//    "signatures" array (general serialization), any other member, or a compact serialization
//    -> kMalformed;
//  - protected header: base64url of a strict JSON object;
//    "alg" missing or not a string -> kMalformed; "alg" not in SupportedAlgorithmNames()
//    ("none", HS256, PS256, RS512, ...) -> kBadSignatureAlgorithm with Error::algorithms set;
//    "crit" or "b64" present -> kMalformed (flint understands no extensions, RFC 7515 §4.1.11);
//    "nonce" missing, not a string, empty or not base64url -> kBadNonce;
//    "url" missing or not a string -> kMalformed;
//    both or neither of "jwk" and "kid", or "kid" not a non-empty string -> kMalformed;
//    "jwk" is parsed with ParseJwk (its errors pass through) and must fit "alg", else
//    kBadPublicKey;
//  - payload: base64url; if non-empty, valid UTF-8 -> else kMalformed;
//  - signature: base64url -> else kMalformed.
// When `seen_nonce` is given, it receives the header's nonce as soon as that nonce has parsed,
// even if a later rule then fails: RFC 8555 §6.5 makes a nonce invalid once it has appeared
// in a request, so the caller redeems it whether or not the rest of the request is accepted.
[[nodiscard]] core::Result<Jws> ParseJws(std::string_view body,
                                         std::string* seen_nonce = nullptr);

// Verifies `jws` with `key` over ASCII(protected_b64 || '.' || payload_b64) (RFC 7515 §5.2).
// ES256/384/512 signatures are the raw R || S of exactly twice the field size (RFC 7518 §3.4).
// Errors: kBadPublicKey if `key` does not fit the header's alg; kMalformed for a signature of
// the wrong length or one that does not verify (detail "JWS verification error"; RFC 8555 has
// no better type, and Boulder uses malformed too). Thread-safe; allocates no OpenSSL key.
[[nodiscard]] core::Result<void> VerifyJws(const Jws& jws, const PublicKey& key);

// Parses the inner JWS of an external account binding (RFC 8555 §7.3.4), already parsed as
// JSON by the caller (the "externalAccountBinding" member of a newAccount payload). Same
// flattened-serialization rules as ParseJws, but: "alg" must be "HS256", "kid" (the EAB key
// id) and "url" are required, "nonce" and "jwk" must be absent; every violation is kMalformed.
// header.alg is Algorithm::kHS256 and header.nonce is empty. The caller checks that url equals
// the outer url and that the payload is the outer JWS's jwk.
[[nodiscard]] core::Result<Jws> ParseEabJws(const boost::json::value& eab);

// Parses the inner JWS of a keyChange request (RFC 8555 §7.3.5), already parsed as JSON: the
// ParseJws rules, except that "nonce" must be absent (§7.3.5: the inner JWS MUST omit it) and
// "jwk" is required; both violations are kMalformed.
[[nodiscard]] core::Result<Jws> ParseKeyChangeInnerJws(const boost::json::value& inner);

// Checks the HMAC-SHA256 of an EAB JWS (RFC 7518 §3.2) with the raw MAC key octets
// `hmac_key`, in constant time. Errors: kMalformed if header.alg is not kHS256 or the MAC is
// not 32 octets; kUnauthorized if the MAC does not match.
[[nodiscard]] core::Result<void> VerifyHs256(const Jws& jws, std::string_view hmac_key);

}  // namespace flint::jose
