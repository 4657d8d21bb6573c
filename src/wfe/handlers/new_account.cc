// RFC 8555 §7.3: newAccount, including onlyReturnExisting (§7.3.1) and external account
// binding (§7.3.4).
#include <boost/json.hpp>

#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

namespace {

// §7.3.4: the inner JWS's structure (jose::ParseEabJws) and its url, which must be the outer
// JWS's url (already checked to be this request's URL). The RA checks key, MAC and payload.
core::Result<std::optional<jose::Jws>> ParseBinding(const AuthedPost& post) {
  const boost::json::value* eab = post.payload.as_object().if_contains("externalAccountBinding");
  if (eab == nullptr) return std::optional<jose::Jws>();
  FLINT_ASSIGN_OR_RETURN(jose::Jws jws, jose::ParseEabJws(*eab));
  if (jws.header.url != post.jws.header.url) {
    return core::Err(core::ErrorType::kMalformed,
                     "the external account binding's url must be the newAccount URL");
  }
  return std::optional<jose::Jws>(std::move(jws));
}

}  // namespace

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
  req.client_address = post.http.remote_addr;
  FLINT_ASSIGN_OR_RETURN(req.external_account_binding, ParseBinding(post));

  FLINT_ASSIGN_OR_RETURN(ra::NewAccountResult result, s.ra.NewAccount(post.key, req));
  Reply reply = JsonReply(result.created ? 201 : 200, RenderAccount(s, result.account));
  reply.location = s.urls.Account(result.account.id);
  return reply;
}

}  // namespace flint::wfe::handlers
