// RFC 8555 §7.3.4 external account binding.
#include "ra/eab.h"

#include "core/json.h"
#include "jose/base64url.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {
constexpr size_t kKeyIdBytes = 16;
constexpr size_t kHmacKeyBytes = 32;  // RFC 7518 §3.2: at least the hash output size
}  // namespace

core::Result<std::string> VerifyExternalAccountBinding(sa::StoreReader& store,
                                                       const jose::PublicKey& account_key,
                                                       const jose::Jws& eab) {
  const std::string& kid = eab.header.kid;
  core::Error refused =
      Err(ErrorType::kUnauthorized, "external account binding key \"" + kid.substr(0, 64) +
                                        "\" is unknown, revoked or already used");
  auto key = store.GetEabKey(kid);
  if (!key.ok()) {
    if (key.error().type == ErrorType::kNotFound) return refused;
    return std::move(key).error();
  }
  if (key->revoked_at || key->account_id) return refused;
  FLINT_TRY(jose::VerifyHs256(eab, key->hmac_key));

  // The payload must be the account's own public key (§7.3.4: "the same as the jwk").
  core::Error mismatch =
      Err(ErrorType::kMalformed, "the external account binding's payload is not the account key");
  auto payload = core::ParseStrictJson(eab.payload);
  if (!payload.ok()) return mismatch;
  auto bound = jose::ParseJwk(*payload);
  if (!bound.ok() || bound->thumbprint() != account_key.thumbprint()) return mismatch;
  return kid;
}

core::Result<sa::EabKey> CreateEabKey(sa::Store& store, core::Random& random,
                                      const core::Clock& clock, const std::string& note) {
  sa::EabKey key;
  key.key_id = "eab-" + jose::Base64UrlEncode(random.Bytes(kKeyIdBytes));
  key.hmac_key = random.Bytes(kHmacKeyBytes);
  key.note = note;
  key.created_at = clock.Now();
  if (key.hmac_key.size() != kHmacKeyBytes)
    return Err(ErrorType::kInternal, "random source failed");
  return store.CreateEabKey(std::move(key));
}

}  // namespace flint::ra
