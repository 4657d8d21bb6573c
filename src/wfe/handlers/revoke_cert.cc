// RFC 8555 §7.6 revokeCert: signed with an account's key (kid) or the certificate's key (jwk).
#include <boost/json.hpp>

#include "jose/base64url.h"
#include "wfe/handlers/handlers.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

core::Result<Reply> RevokeCert(Services& s, const AuthedPost& post) {
  if (post.post_as_get()) return Err(ErrorType::kMalformed, "revokeCert needs a payload");
  FLINT_ASSIGN_OR_RETURN(std::optional<std::string> cert, OptionalString(post.payload, "certificate"));
  if (!cert || cert->empty())
    return Err(ErrorType::kMalformed, "field \"certificate\" is missing");
  auto der = jose::Base64UrlDecode(*cert);
  if (!der.ok())
    return Err(ErrorType::kMalformed, "field \"certificate\" is not base64url-encoded DER");

  ra::RevocationRequest req;
  req.certificate_der = std::move(der).value();
  const boost::json::value* reason = post.payload.as_object().if_contains("reason");
  if (reason != nullptr) {
    // Any integer reaches the RA, which answers badRevocationReason for those not allowed.
    if (reason->is_int64() && reason->as_int64() >= -1'000'000 && reason->as_int64() <= 1'000'000) {
      req.reason = static_cast<int>(reason->as_int64());
    } else if (reason->is_int64() || reason->is_uint64()) {
      return Err(ErrorType::kBadRevocationReason, "revocation reason is out of range");
    } else {
      return Err(ErrorType::kMalformed, "field \"reason\" must be an integer");
    }
  }
  if (post.account) {
    req.account = *post.account;
  } else {
    req.jwk = post.key;
  }
  FLINT_TRY(s.ra.RevokeCertificate(req));
  Reply reply;  // §7.6: 200 OK, no body
  reply.status = 200;
  reply.content_type.clear();
  return reply;
}

}  // namespace flint::wfe::handlers
