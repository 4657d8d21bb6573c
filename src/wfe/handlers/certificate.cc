// RFC 8555 §7.4.2 certificate download (POST-as-GET), and the issuer certificate (GET or
// POST-as-GET at /acme/issuer).
#include "wfe/handlers/handlers.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

core::Result<Reply> Certificate(Services& s, const AuthedPost& post, int64_t id) {
  if (!post.post_as_get())
    return Err(ErrorType::kMalformed, "a certificate is read with POST-as-GET");
  FLINT_ASSIGN_OR_RETURN(core::Certificate cert,
                         OwnedBy(s.store.GetCertificate(core::CertificateId(id)), *post.account,
                                 "certificate"));
  Reply reply;
  reply.status = 200;
  reply.content_type = "application/pem-certificate-chain";
  // The chain is complete (leaf, then the intermediate), so no rel="up" link points to the
  // issuer: Caddy appends whatever that link returns, and would send the intermediate twice.
  reply.body = std::move(cert.chain_pem);
  return reply;
}

core::Result<Reply> Issuer(Services& s) {
  Reply reply;
  reply.status = 200;
  reply.content_type = "application/pem-certificate-chain";
  reply.body = s.options.issuer_pem;
  return reply;
}

}  // namespace flint::wfe::handlers
