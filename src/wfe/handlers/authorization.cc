// RFC 8555 §7.5 authorization (POST-as-GET), §7.5.2 deactivation, §7.5.1 challenge response.
#include <boost/json.hpp>

#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

namespace {

bool HasProcessingChallenge(const core::Authorization& a) {
  for (const core::Challenge& c : a.challenges)
    if (c.status == core::ChallengeStatus::kProcessing) return true;
  return false;
}

}  // namespace

core::Result<Reply> Authorization(Services& s, const AuthedPost& post, int64_t id) {
  core::Authorization authz;
  if (post.post_as_get()) {
    FLINT_ASSIGN_OR_RETURN(authz, OwnedBy(s.store.GetAuthorization(core::AuthzId(id)),
                                          *post.account, "authorization"));
  } else {
    FLINT_ASSIGN_OR_RETURN(auto status, OptionalString(post.payload, "status"));
    if (!status || *status != "deactivated")
      return Err(ErrorType::kMalformed, "an authorization may only be set to deactivated");
    FLINT_ASSIGN_OR_RETURN(authz, s.ra.DeactivateAuthorization(*post.account, core::AuthzId(id)));
  }
  Reply reply = JsonReply(200, RenderAuthorization(s, authz));
  reply.location = s.urls.Authz(authz.id);
  if (authz.status == core::AuthzStatus::kPending && HasProcessingChallenge(authz))
    reply.retry_after_seconds = s.options.authz_retry_after_seconds;
  return reply;
}

core::Result<Reply> Challenge(Services& s, const AuthedPost& post, int64_t id) {
  core::Challenge ch;
  if (post.post_as_get()) {
    auto got = s.store.GetChallenge(core::ChallengeId(id));
    if (!got.ok() && got.error().type != ErrorType::kNotFound) return std::move(got).error();
    if (!got.ok()) return Err(ErrorType::kNotFound, "no such challenge");
    FLINT_TRY(OwnedBy(s.store.GetAuthorization(got->authz_id), *post.account, "challenge"));
    ch = std::move(got).value();
  } else {
    // RFC 8555 §7.5.1: the client answers with an empty object.
    FLINT_ASSIGN_OR_RETURN(ch, s.ra.RespondToChallenge(*post.account, core::ChallengeId(id)));
  }
  Reply reply = JsonReply(200, RenderChallenge(s, ch));
  reply.links.push_back("<" + s.urls.Authz(ch.authz_id) + ">;rel=\"up\"");
  if (ch.status == core::ChallengeStatus::kProcessing)
    reply.retry_after_seconds = s.options.authz_retry_after_seconds;
  return reply;
}

}  // namespace flint::wfe::handlers
