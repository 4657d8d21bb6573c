#pragma once
// External account binding (RFC 8555 §7.3.4): checking a newAccount's binding, and minting the
// keys an operator hands out (flint admin eab create).

#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "sa/store.h"

namespace flint::ra {

// Checks the inner JWS `eab` (already parsed by jose::ParseEabJws, its url already compared
// with the outer url) for a new account with key `account_key`, and returns the EAB key id to
// bind. Errors, in the order checked:
//   kUnauthorized  the key id is unknown, revoked or already bound to an account; the MAC does
//                  not verify (jose::VerifyHs256);
//   kMalformed     a MAC of the wrong length; the payload is not a JWK, or not the same key
//                  as `account_key` (compared by RFC 7638 thumbprint).
core::Result<std::string> VerifyExternalAccountBinding(sa::StoreReader& store,
                                                       const jose::PublicKey& account_key,
                                                       const jose::Jws& eab);

// A new EAB key: a random key id ("eab-" + 16 random octets, base64url) and a 32-octet HMAC
// key, stored unbound with `note`. The caller shows the MAC key once (base64url); flint keeps
// it only to verify bindings.
core::Result<sa::EabKey> CreateEabKey(sa::Store& store, core::Random& random,
                                      const core::Clock& clock, const std::string& note);

}  // namespace flint::ra
