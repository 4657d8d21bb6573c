#include "wfe/wfe.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "wfe/auth.h"
#include "wfe/handlers/handlers.h"
#include "wfe/problem.h"

namespace flint::wfe {

using core::Err;
using core::ErrorType;

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

// A POST route: how its JWS is authenticated and which handler serves it.
using PostHandler = core::Result<Reply> (*)(Services&, const AuthedPost&, int64_t);

struct PostRoute {
  KeyMode mode = KeyMode::kKid;
  PostHandler handler = nullptr;
  int64_t id = 0;
};

core::Result<Reply> NewAccountRoute(Services& s, const AuthedPost& p, int64_t) {
  return handlers::NewAccount(s, p);
}
core::Result<Reply> KeyChangeRoute(Services& s, const AuthedPost& p, int64_t) {
  return handlers::KeyChange(s, p);
}
core::Result<Reply> RevokeCertRoute(Services& s, const AuthedPost& p, int64_t) {
  return handlers::RevokeCert(s, p);
}
core::Result<Reply> NewOrderRoute(Services& s, const AuthedPost& p, int64_t) {
  return handlers::NewOrder(s, p);
}
core::Result<Reply> NewAuthzRoute(Services& s, const AuthedPost& p, int64_t) {
  return handlers::NewAuthz(s, p);
}
// RFC 8555 §6.3, §7.4.2: the issuer certificate the certificate response links to ("up") is
// read with POST-as-GET too (Caddy and Apache mod_md follow that link with POST-as-GET).
core::Result<Reply> IssuerRoute(Services& s, const AuthedPost& p, int64_t) {
  if (!p.post_as_get())
    return Err(ErrorType::kMalformed, "the issuer certificate is read with POST-as-GET");
  return handlers::Issuer(s);
}

// Matches the POST resources; std::nullopt for an unknown path (404).
std::optional<PostRoute> MatchPost(std::string_view path) {
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.size() < 2 || parts[0] != "acme") return std::nullopt;
  if (parts.size() == 2) {
    if (parts[1] == "new-acct") return PostRoute{KeyMode::kJwk, &NewAccountRoute};
    if (parts[1] == "key-change") return PostRoute{KeyMode::kKid, &KeyChangeRoute};
    if (parts[1] == "new-order") return PostRoute{KeyMode::kKid, &NewOrderRoute};
    if (parts[1] == "new-authz") return PostRoute{KeyMode::kKid, &NewAuthzRoute};
    // RFC 8555 §7.6: kid (an account) or jwk (the certificate's key).
    if (parts[1] == "revoke-cert") return PostRoute{KeyMode::kAny, &RevokeCertRoute};
    if (parts[1] == "issuer") return PostRoute{KeyMode::kKid, &IssuerRoute};
    return std::nullopt;
  }
  std::optional<int64_t> id = ParseId(parts[2]);
  if (!id) return std::nullopt;
  if (parts[1] == "acct" && parts.size() == 3) return PostRoute{KeyMode::kKid, &handlers::Account, *id};
  if (parts[1] == "acct" && parts.size() == 4 && parts[3] == "orders")
    return PostRoute{KeyMode::kKid, &handlers::AccountOrders, *id};
  if (parts.size() == 3) {
    if (parts[1] == "order") return PostRoute{KeyMode::kKid, &handlers::Order, *id};
    if (parts[1] == "authz") return PostRoute{KeyMode::kKid, &handlers::Authorization, *id};
    if (parts[1] == "chall") return PostRoute{KeyMode::kKid, &handlers::Challenge, *id};
    if (parts[1] == "cert") return PostRoute{KeyMode::kKid, &handlers::Certificate, *id};
  }
  if (parts[1] == "order" && parts.size() == 4 && parts[3] == "finalize")
    return PostRoute{KeyMode::kKid, &handlers::Finalize, *id};
  // RFC 8555 §7.4.2: an alternate chain of a certificate, "/acme/cert/<id>/<K>".
  if (parts[1] == "cert" && parts.size() == 4 && ParseId(parts[3]))
    return PostRoute{KeyMode::kKid, &handlers::Certificate, *id};
  return std::nullopt;
}

// RFC 9773 §4: "/acme/renewal-info/<certID>"; the certID, or std::nullopt for other paths.
constexpr std::string_view kRenewalInfoPrefix = "/acme/renewal-info/";
std::optional<std::string_view> RenewalInfoCertId(std::string_view path) {
  if (!path.starts_with(kRenewalInfoPrefix)) return std::nullopt;
  return path.substr(kRenewalInfoPrefix.size());
}

bool IsKnownGetOnly(std::string_view path) {
  return path == "/directory" || path == "/acme/new-nonce" || RenewalInfoCertId(path).has_value();
}

void AddHeader(HttpResponse& r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace

std::string_view EndpointName(std::string_view path) {
  if (path == "/directory") return "directory";
  if (RenewalInfoCertId(path)) return "renewalInfo";
  const std::vector<std::string_view> parts = SplitPath(path);
  if (parts.size() < 2 || parts[0] != "acme") return "other";
  const std::string_view kind = parts[1];
  if (parts.size() == 2) {
    if (kind == "new-nonce") return "newNonce";
    if (kind == "new-acct") return "newAccount";
    if (kind == "new-order") return "newOrder";
    if (kind == "new-authz") return "newAuthz";
    if (kind == "revoke-cert") return "revokeCert";
    if (kind == "key-change") return "keyChange";
    if (kind == "issuer") return "issuer";
    return "other";
  }
  if (!ParseId(parts[2])) return "other";
  if (parts.size() == 3) {
    if (kind == "acct") return "account";
    if (kind == "order") return "order";
    if (kind == "authz") return "authz";
    if (kind == "chall") return "challenge";
    if (kind == "cert") return "certificate";
  }
  if (parts.size() == 4 && kind == "acct" && parts[3] == "orders") return "orders";
  if (parts.size() == 4 && kind == "cert" && ParseId(parts[3])) return "certificate";
  if (parts.size() == 4 && kind == "order" && parts[3] == "finalize") return "finalize";
  return "other";
}

WebFrontEnd::WebFrontEnd(WfeOptions options, ra::RegistrationAuthority& ra,
                         sa::StoreReader& store, sa::NonceService& nonces,
                         const core::Clock& clock)
    : services_{options, Urls{options.base_url}, ra, store, nonces, clock, {}, {}} {
  services_.directory_json = handlers::DirectoryJson(services_);
}

core::Result<Reply> WebFrontEnd::Dispatch(const HttpRequest& req, std::string* log_account) {
  const std::string& path = req.path;
  if (req.method == "GET" || req.method == "HEAD") {
    if (path == "/directory" || IsDirectoryAlias(path)) return handlers::Directory(services_);
    if (path == "/acme/issuer") return handlers::Issuer(services_);
    if (auto cert_id = RenewalInfoCertId(path)) return handlers::RenewalInfo(services_, *cert_id);
    if (path == "/acme/new-nonce") {
      Reply r;
      r.status = req.method == "HEAD" ? 200 : 204;  // RFC 8555 §7.2
      r.content_type.clear();
      return r;
    }
    if (MatchPost(path) && path != "/acme/issuer") {
      return Err(ErrorType::kMethodNotAllowed,
                 "this resource is read with POST-as-GET (RFC 8555 §6.3)");
    }
    return Err(ErrorType::kNotFound, "no such resource");
  }
  if (req.method == "POST") {
    std::optional<PostRoute> route = MatchPost(path);
    if (!route) {
      if (IsKnownGetOnly(path)) return Err(ErrorType::kMethodNotAllowed, "use GET");
      return Err(ErrorType::kNotFound, "no such resource");
    }
    FLINT_ASSIGN_OR_RETURN(AuthedPost post, Authenticate(services_, req, route->mode));
    if (post.account) *log_account = std::to_string(post.account->id.value);
    // RFC 8555 §7.6: a key blocked since the account was made no longer signs for it, except
    // to roll the account to a new key.
    if (post.account && route->handler != &KeyChangeRoute)
      FLINT_TRY(services_.ra.CheckAccountKeyNotBlocked(post.key));
    return route->handler(services_, post, route->id);
  }
  return Err(ErrorType::kMethodNotAllowed, "method not allowed");
}

std::optional<HttpResponse> WebFrontEnd::HandleInline(HttpRequest& req) {
  if ((req.method == "GET" || req.method == "HEAD") &&
      (req.path == "/directory" || IsDirectoryAlias(req.path) || req.path == "/acme/new-nonce")) {
    return Handle(req);
  }
  return std::nullopt;
}

HttpResponse WebFrontEnd::Handle(HttpRequest& req) {
  HttpResponse resp;
  core::Result<Reply> result = Dispatch(req, &resp.log_account);
  bool is_nonce_path = req.path == "/acme/new-nonce";
  if (result.ok()) {
    Reply& r = *result;
    resp.status = r.status;
    if (!r.content_type.empty()) AddHeader(resp, "Content-Type", r.content_type);
    resp.body = std::move(r.body);
    if (!r.location.empty()) AddHeader(resp, "Location", r.location);
    for (std::string& l : r.links) AddHeader(resp, "Link", std::move(l));
    if (r.retry_after_seconds) AddHeader(resp, "Retry-After", std::to_string(*r.retry_after_seconds));
  } else {
    const core::Error& e = result.error();
    resp.status = HttpStatusFor(e.type);
    if (e.type == ErrorType::kInternal || e.type == ErrorType::kServerInternal)
      spdlog::error("internal error on {} {}: {}", req.method, req.path, e.detail);
    if (e.type == ErrorType::kUnavailable)
      spdlog::warn("unavailable on {} {}: {}", req.method, req.path, e.detail);
    AddHeader(resp, "Content-Type", std::string(kProblemContentType));
    resp.body = ProblemJson(e, resp.status);
    resp.log_problem = std::string(core::ErrorTypeName(e.type));
    if (e.type == ErrorType::kConflict && !e.location.empty()) AddHeader(resp, "Location", e.location);
    if (e.type == ErrorType::kMethodNotAllowed)
      AddHeader(resp, "Allow", IsKnownGetOnly(req.path) ? "GET, HEAD" : "POST");
    if (e.retry_after) {
      AddHeader(resp, "Retry-After", std::to_string(e.retry_after->count()));
    } else if (e.type == ErrorType::kUnavailable) {
      AddHeader(resp, "Retry-After", "1");  // RFC 9110 §10.2.3: with a 503, when to retry
    }
  }
  // RFC 8555 §6.5: a fresh nonce on every POST response, every error and newNonce.
  if (req.method == "POST" || !result.ok() || is_nonce_path) AddNonce(resp);
  if (is_nonce_path) AddHeader(resp, "Cache-Control", "no-store");
  if (req.path != "/directory" && !IsDirectoryAlias(req.path)) AddIndexLink(resp);
  return resp;
}

bool WebFrontEnd::IsDirectoryAlias(std::string_view path) const {
  return !services_.options.directory_alias.empty() && path == services_.options.directory_alias;
}

void WebFrontEnd::AddErrorHeaders(HttpResponse& response) {
  AddNonce(response);
  AddIndexLink(response);
}

void WebFrontEnd::AddNonce(HttpResponse& response) {
  AddHeader(response, "Replay-Nonce", services_.nonces.Issue());
}

void WebFrontEnd::AddIndexLink(HttpResponse& response) {
  AddHeader(response, "Link", "<" + services_.urls.Directory() + ">;rel=\"index\"");
}

}  // namespace flint::wfe
