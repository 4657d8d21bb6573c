#pragma once
// The ACME web front end (RFC 8555 §6-7): routes HTTP requests to one handler per resource,
// authenticates POSTs (JWS, §6.2-6.5), and renders results and problem documents (§6.7).
// It never writes to storage itself: writes go through the RA.

#include <memory>
#include <optional>
#include <string_view>

#include "wfe/acme_context.h"
#include "wfe/http_types.h"

namespace flint::wfe {

// The route a request path belongs to, as a name from a fixed set: "directory", "newNonce",
// "newAccount", "account", "orders", "newOrder", "order", "finalize", "authz", "challenge",
// "certificate", "revokeCert", "keyChange", "renewalInfo", "issuer", and "other" for anything
// else. For metrics labels: ids in paths would make a label per resource.
std::string_view EndpointName(std::string_view path);

class WebFrontEnd {
 public:
  WebFrontEnd(WfeOptions options, ra::RegistrationAuthority& ra, sa::StoreReader& store,
              sa::NonceService& nonces, const core::Clock& clock);

  // Thread-safe and blocking (storage); run it on worker threads (the HttpServer does).
  HttpResponse Handle(HttpRequest& request);

  // The directory and newNonce need no storage: answered on the I/O thread (InlineHandler).
  // std::nullopt for every other request.
  std::optional<HttpResponse> HandleInline(HttpRequest& request);
  // For HttpServer::SetErrorHeaders: a fresh Replay-Nonce and Link rel="index" on the errors the
  // transport answers itself (RFC 8555 §6.5: every error response carries a nonce).
  void AddErrorHeaders(HttpResponse& response);

 private:
  core::Result<Reply> Dispatch(const HttpRequest& request, std::string* log_account);
  bool IsDirectoryAlias(std::string_view path) const;
  void AddNonce(HttpResponse& response);
  void AddIndexLink(HttpResponse& response);

  Services services_;
};

}  // namespace flint::wfe
