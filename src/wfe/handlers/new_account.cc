// RFC 8555 §7.3: newAccount, including onlyReturnExisting (§7.3.1).
#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

core::Result<Reply> NewAccount(Services& s, const AuthedPost& post) {
  if (post.post_as_get())
    return core::Err(core::ErrorType::kMalformed, "newAccount needs a JSON object payload");
  ra::NewAccountRequest req;
  FLINT_ASSIGN_OR_RETURN(auto contacts, OptionalStringArray(post.payload, "contact"));
  FLINT_ASSIGN_OR_RETURN(auto tos, OptionalBool(post.payload, "termsOfServiceAgreed"));
  FLINT_ASSIGN_OR_RETURN(auto only, OptionalBool(post.payload, "onlyReturnExisting"));
  req.contacts = contacts.value_or(std::vector<std::string>{});
  req.terms_of_service_agreed = tos.value_or(false);
  req.only_return_existing = only.value_or(false);

  FLINT_ASSIGN_OR_RETURN(ra::NewAccountResult result, s.ra.NewAccount(post.key, req));
  Reply reply = JsonReply(result.created ? 201 : 200, RenderAccount(s, result.account));
  reply.location = s.urls.Account(result.account.id);
  return reply;
}

}  // namespace flint::wfe::handlers
