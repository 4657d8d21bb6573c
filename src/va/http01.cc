// http-01 (RFC 8555 §8.3; RFC 8738 §7 for IP identifiers).

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cctype>
#include <set>

#include "core/ascii.h"
#include "policy/address_policy.h"
#include "va/challenges.h"
#include "va/http_response.h"

namespace flint::va::internal {
namespace {

using core::Err;
using core::ErrorType;
using core::Result;

// One request target: where to connect and what to ask for.
struct HttpTarget {
  bool https = false;
  std::string host;  // lowercase DNS name or canonical IP text (no brackets)
  bool host_is_ip = false;
  uint16_t port = 80;
  std::string path;  // origin-form request target: path and query

  std::string HostForUrl() const {
    return host_is_ip && policy::IsIpv6(host) ? "[" + host + "]" : host;
  }
  // RFC 9110 §7.2: the port is included when it is not the scheme's default.
  std::string HostHeader() const {
    uint16_t default_port = https ? 443 : 80;
    return port == default_port ? HostForUrl() : HostForUrl() + ":" + std::to_string(port);
  }
  std::string Url() const { return (https ? "https://" : "http://") + HostHeader() + path; }
};

core::Error RedirectError(const HttpTarget& from, std::string_view why) {
  return Err(ErrorType::kConnection, "Fetching " + from.Url() + ": " + std::string(why));
}

bool ValidToken(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// Resolves a Location value against the current URL and checks it is a target the VA may follow:
// http or https, on the default or configured port, with a DNS name or IP literal host.
Result<HttpTarget> RedirectTarget(const VaOptions& options, const HttpTarget& from,
                                  std::string_view location) {
  auto ref = boost::urls::parse_uri_reference(location);
  if (!ref) return RedirectError(from, "redirect to an invalid URL");
  boost::urls::url dest;
  const std::string base_url = from.Url();  // parse_uri returns a view into it
  auto base = boost::urls::parse_uri(base_url);
  if (!base || !boost::urls::resolve(*base, *ref, dest)) {
    return RedirectError(from, "redirect to an invalid URL");
  }
  HttpTarget next;
  std::string scheme(dest.scheme());
  core::AsciiLowerInPlace(scheme);
  if (scheme != "http" && scheme != "https") {
    return RedirectError(from, "redirect to a scheme other than http or https");
  }
  next.https = scheme == "https";
  uint16_t default_port = next.https ? 443 : 80;
  uint16_t configured = next.https ? options.tlsalpn01_port : options.http01_port;
  next.port = default_port;
  if (dest.has_port() && !dest.port().empty()) {
    if (dest.port_number() == 0) return RedirectError(from, "redirect to an invalid port");
    next.port = dest.port_number();
  }
  if (next.port != default_port && next.port != configured) {
    return RedirectError(from, "redirect to port " + std::to_string(next.port) +
                                   " (only " + std::to_string(default_port) +
                                   (configured != default_port
                                        ? " and " + std::to_string(configured) : "") +
                                   " allowed for " + scheme + ")");
  }
  switch (dest.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: {
      FLINT_ASSIGN_OR_RETURN(next.host, NormalizeIp(std::string(dest.host_address())));
      next.host_is_ip = true;
      break;
    }
    case boost::urls::host_type::name: {
      Result<std::string> name = NormalizeDnsName(std::string(dest.host_name()));
      if (!name.ok()) return RedirectError(from, "redirect to an invalid host name");
      next.host = std::move(name).value();
      break;
    }
    default:
      return RedirectError(from, "redirect to a URL without a valid host");
  }
  next.path.assign(dest.encoded_path().data(), dest.encoded_path().size());
  if (next.path.empty()) next.path.push_back('/');
  if (dest.has_query()) {
    next.path.push_back('?');
    next.path.append(dest.encoded_query().data(), dest.encoded_query().size());
  }
  return next;
}

Task<Result<HttpResponse>> Fetch(Attempt& at, const VaOptions& options, const HttpTarget& target,
                                 const std::vector<std::string>& addresses) {
  FLINT_CO_ASSIGN_OR_RETURN(Conn conn, co_await ConnectFirst(at, addresses, target.port));
  if (target.https) {
    // RFC 8555 §8.3: redirects to https are followed without checking the certificate.
    Conn::TlsOptions tls;
    if (!target.host_is_ip) tls.sni = target.host;
    tls.alpn_wire = std::string("\x08http/1.1", 9);
    FLINT_CO_TRY(co_await conn.Handshake(at, tls));
  }
  co_return co_await HttpGet(at, conn, target.HostHeader(), target.path, options.max_http_body);
}

// One request: resolve, check the address policy, connect, (TLS,) GET.
Task<Result<HttpResponse>> FetchOnce(Attempt& at, const VaOptions& options, Resolver& resolver,
                                     const HttpTarget& target) {
  FLINT_CO_ASSIGN_OR_RETURN(
      std::vector<std::string> addresses,
      co_await ResolveTargets(at, options, resolver, target.host, target.host_is_ip));
  Result<HttpResponse> response = co_await Fetch(at, options, target, addresses);
  if (!response.ok()) {
    core::Error error = std::move(response).error();
    error.detail = "Fetching " + target.Url() + ": " + error.detail;
    co_return error;
  }
  co_return response;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string_view TrimTrailingWhitespace(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Task<Result<void>> ValidateHttp01(Attempt& at, const VaOptions& options, Resolver& resolver,
                                  const core::Identifier& id, const std::string& token,
                                  const std::string& key_authorization) {
  if (!ValidToken(token)) {
    co_return Err(ErrorType::kMalformed, "challenge token is not base64url");
  }
  HttpTarget target;
  target.host_is_ip = id.type == core::IdentifierType::kIp;
  if (target.host_is_ip) {
    FLINT_CO_ASSIGN_OR_RETURN(target.host, NormalizeIp(id.value));
  } else {
    FLINT_CO_ASSIGN_OR_RETURN(target.host, NormalizeDnsName(id.value));
  }
  target.port = options.http01_port;
  target.path = "/.well-known/acme-challenge/" + token;
  std::set<std::string> seen = {target.Url()};
  for (int redirects = 0;; ++redirects) {
    FLINT_CO_ASSIGN_OR_RETURN(HttpResponse response,
                              co_await FetchOnce(at, options, resolver, target));
    if (IsRedirect(response.status)) {
      if (redirects >= options.max_redirects) {
        co_return RedirectError(target, "too many redirects (more than " +
                                         std::to_string(options.max_redirects) + ")");
      }
      if (response.location.empty()) {
        co_return RedirectError(target, "redirect without Location");
      }
      FLINT_CO_ASSIGN_OR_RETURN(HttpTarget next,
                                RedirectTarget(options, target, response.location));
      if (!seen.insert(next.Url()).second) co_return RedirectError(target, "redirect loop");
      target = std::move(next);
      continue;
    }
    if (response.status != 200) {
      co_return Err(ErrorType::kUnauthorized, "Invalid response from " + target.Url() + ": HTTP " +
                                               std::to_string(response.status));
    }
    // RFC 8555 §8.3: trailing whitespace in the body is ignored.
    std::string_view body = TrimTrailingWhitespace(response.body);
    if (body != key_authorization) {
      co_return Err(ErrorType::kIncorrectResponse,
                 "The key authorization file from " + target.Url() +
                     " does not match: expected \"" + key_authorization + "\", got \"" +
                     Excerpt(body, 100) + "\"");
    }
    co_return core::Ok();
  }
}

}  // namespace flint::va::internal
