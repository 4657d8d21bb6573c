// RFC 8555 §7.4.2 certificate download (POST-as-GET), and the issuer certificate (GET or
// POST-as-GET at /acme/issuer).
#include "wfe/handlers/handlers.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

namespace {

// The K of "/acme/cert/<id>/K" (an alternate chain); 0 for "/acme/cert/<id>".
std::optional<int64_t> AlternateIndex(std::string_view path, int64_t id) {
  const std::string prefix = "/acme/cert/" + std::to_string(id);
  if (!path.starts_with(prefix)) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  if (rest.empty()) return 0;
  if (rest.front() != '/') return std::nullopt;
  return ParseId(rest.substr(1));
}

}  // namespace

core::Result<Reply> Certificate(Services& s, const AuthedPost& post, int64_t id) {
  if (!post.post_as_get())
    return Err(ErrorType::kMalformed, "a certificate is read with POST-as-GET");
  const std::vector<std::string>& alternates = s.options.alternate_chains_pem;
  std::optional<int64_t> alternate = AlternateIndex(post.http.path, id);
  if (!alternate || *alternate > static_cast<int64_t>(alternates.size()))
    return Err(ErrorType::kNotFound, "no such certificate chain");
  FLINT_ASSIGN_OR_RETURN(core::Certificate cert,
                         OwnedBy(s.store.GetCertificate(core::CertificateId(id)), *post.account,
                                 "certificate"));
  Reply reply;
  reply.status = 200;
  reply.content_type = "application/pem-certificate-chain";
  // The chain is complete (leaf, then the intermediate), so no rel="up" link points to the
  // issuer: Caddy appends whatever that link returns, and would send the intermediate twice.
  if (*alternate == 0) {
    reply.body = std::move(cert.chain_pem);
  } else {
    // The leaf is the first PEM block of the stored chain; the alternate hierarchy's
    // certificates follow it instead of the default ones.
    constexpr std::string_view kEnd = "-----END CERTIFICATE-----\n";
    const size_t end = cert.chain_pem.find(kEnd);
    if (end == std::string::npos)
      return Err(ErrorType::kInternal, "stored certificate chain has no PEM block");
    reply.body = cert.chain_pem.substr(0, end + kEnd.size()) +
                 alternates[static_cast<size_t>(*alternate - 1)];
  }
  // RFC 8555 §7.4.2: every other chain, as Link rel="alternate".
  const std::string base = s.urls.Certificate(core::CertificateId(id));
  for (int64_t k = 0; k <= static_cast<int64_t>(alternates.size()); ++k) {
    if (k == *alternate) continue;
    reply.links.push_back("<" + (k == 0 ? base : base + "/" + std::to_string(k)) +
                          ">;rel=\"alternate\"");
  }
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
