#pragma once
// JWS request authentication for ACME POSTs (RFC 8555 §6.2-6.5).

#include "wfe/acme_context.h"

namespace flint::wfe {

enum class KeyMode {
  kJwk,  // newAccount, revokeCert by certificate key: the key is in the header
  kKid,  // everything else: the key of the account named by "kid"
  kAny,  // revokeCert: either
};

// Checks, in order: Content-Type application/jose+json (kUnsupportedMediaType); the flattened
// JWS (jose::ParseJws errors); `url` equal to the request URL (kUnauthorized); jwk/kid as `mode`
// requires (kMalformed); for kid, the account exists (kAccountDoesNotExist) and is valid
// (kUnauthorized); the signature (kMalformed); then redeems the nonce (kBadNonce). A non-empty
// payload must be a JSON object (kMalformed).
core::Result<AuthedPost> Authenticate(Services& services, const HttpRequest& request,
                                      KeyMode mode);

}  // namespace flint::wfe
