// RFC 8555 §7.3.5: account key rollover. The outer JWS (kid) is already verified; this checks
// the inner JWS and its payload.
#include <boost/json.hpp>

#include "core/json.h"
#include "jose/jws.h"
#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

core::Result<Reply> KeyChange(Services& s, const AuthedPost& post) {
  if (post.post_as_get()) return Err(ErrorType::kMalformed, "keyChange needs an inner JWS");
  // The payload was parsed as an object; the inner JWS is that object in flattened form.
  FLINT_ASSIGN_OR_RETURN(jose::Jws inner, jose::ParseKeyChangeInnerJws(post.payload));
  FLINT_TRY(jose::VerifyJws(inner, *inner.header.jwk));
  if (inner.header.url != post.jws.header.url)
    return Err(ErrorType::kMalformed, "keyChange: inner and outer url differ");
  FLINT_ASSIGN_OR_RETURN(boost::json::value payload, core::ParseStrictJson(inner.payload));
  FLINT_ASSIGN_OR_RETURN(auto account, OptionalString(payload, "account"));
  if (!account || *account != post.jws.header.kid)
    return Err(ErrorType::kMalformed, "keyChange: inner account does not match the outer kid");
  const boost::json::value* old_key =
      payload.is_object() ? payload.as_object().if_contains("oldKey") : nullptr;
  if (old_key == nullptr) return Err(ErrorType::kMalformed, "keyChange: oldKey is missing");
  FLINT_ASSIGN_OR_RETURN(jose::PublicKey old_pk, jose::ParseJwk(*old_key));

  ra::KeyChangeRequest req{post.account->id, *inner.header.jwk, std::move(old_pk)};
  auto changed = s.ra.ChangeKey(req);
  if (!changed.ok() && changed.error().type == ErrorType::kConflict &&
      changed.error().conflicting_account_id != 0) {
    core::Error e = changed.error();
    e.location = s.urls.Account(core::AccountId(e.conflicting_account_id));
    return e;
  }
  if (!changed.ok()) return std::move(changed).error();
  Reply reply = JsonReply(200, RenderAccount(s, *changed));
  reply.location = s.urls.Account(changed->id);
  return reply;
}

}  // namespace flint::wfe::handlers
