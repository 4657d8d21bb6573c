#include "wfe/auth.h"

#include "core/ascii.h"
#include "core/json.h"

namespace flint::wfe {

using core::Err;
using core::ErrorType;

core::Result<jose::PublicKey> KeyCache::Get(const std::string& jwk_json) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(jwk_json);
    if (it != keys_.end()) return it->second;
  }
  FLINT_ASSIGN_OR_RETURN(jose::PublicKey key, jose::ParseJwkJson(jwk_json));
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.size() >= kMaxEntries) keys_.clear();  // bounded: a full cache starts over
  keys_.emplace(jwk_json, key);
  return key;
}

size_t KeyCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

namespace {

bool IsJoseContentType(const std::string* ct) {
  if (ct == nullptr) return false;
  std::string_view v(*ct);
  auto semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(0, semi);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  constexpr std::string_view kJose = "application/jose+json";
  return core::IEquals(v, kJose);
}

// Resolves the account named by a kid URL ("<base>/acme/acct/<id>").
core::Result<core::Account> AccountForKid(Services& s, const std::string& kid) {
  std::string prefix = s.urls.base + "/acme/acct/";
  if (kid.compare(0, prefix.size(), prefix) != 0)
    return Err(ErrorType::kMalformed, "kid is not an account URL of this server");
  std::optional<int64_t> id = ParseId(std::string_view(kid).substr(prefix.size()));
  if (!id) return Err(ErrorType::kMalformed, "kid is not an account URL of this server");
  auto acct = s.store.GetAccount(core::AccountId(*id));
  if (!acct.ok()) {
    if (acct.error().type == ErrorType::kNotFound)
      return Err(ErrorType::kAccountDoesNotExist, "account " + kid + " does not exist");
    return std::move(acct).error();
  }
  if (acct->status != core::AccountStatus::kValid)
    return Err(ErrorType::kUnauthorized, "account is " + std::string(ToString(acct->status)));
  return acct;
}

}  // namespace

core::Result<AuthedPost> Authenticate(Services& s, const HttpRequest& request, KeyMode mode) {
  if (!IsJoseContentType(request.Header("content-type")))
    return Err(ErrorType::kUnsupportedMediaType,
               "Content-Type must be application/jose+json");
  // RFC 8555 §6.5: a nonce is spent once it has appeared in a request, whatever becomes of
  // the request, so it is redeemed before any other check can refuse the request.
  std::string seen_nonce;
  core::Result<jose::Jws> parsed = jose::ParseJws(request.body, &seen_nonce);
  if (!parsed.ok()) {
    if (!seen_nonce.empty()) (void)s.nonces.Redeem(seen_nonce);
    return std::move(parsed).error();
  }
  jose::Jws jws = std::move(parsed).value();
  FLINT_TRY(s.nonces.Redeem(jws.header.nonce));
  const std::string expected_url = s.urls.base + request.target;
  if (jws.header.url != expected_url)
    return Err(ErrorType::kUnauthorized, "JWS url \"" + jws.header.url.substr(0, 200) +
                                             "\" does not match the request URL \"" +
                                             expected_url + "\"");
  bool has_jwk = jws.header.jwk.has_value();
  if (mode == KeyMode::kJwk && !has_jwk)
    return Err(ErrorType::kMalformed, "this request must be signed with a jwk, not a kid");
  if (mode == KeyMode::kKid && has_jwk)
    return Err(ErrorType::kMalformed, "this request must be signed with a kid, not a jwk");

  std::optional<core::Account> account;
  std::optional<jose::PublicKey> key;
  if (has_jwk) {
    key = *jws.header.jwk;
  } else {
    FLINT_ASSIGN_OR_RETURN(core::Account acct, AccountForKid(s, jws.header.kid));
    FLINT_ASSIGN_OR_RETURN(jose::PublicKey k, s.keys.Get(acct.jwk_json));
    key = std::move(k);
    account = std::move(acct);
  }
  FLINT_TRY(jose::VerifyJws(jws, *key));

  boost::json::value payload;
  if (!jws.post_as_get()) {
    FLINT_ASSIGN_OR_RETURN(payload, core::ParseStrictJson(jws.payload));
    if (!payload.is_object()) return Err(ErrorType::kMalformed, "JWS payload must be a JSON object");
  }
  return AuthedPost{request, std::move(jws), std::move(*key), std::move(account),
                    std::move(payload)};
}

}  // namespace flint::wfe
