#include "wfe/status_front_end.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "core/ascii.h"
#include "jose/base64url.h"
#include "wfe/http_util.h"

namespace flint::wfe {

namespace {

constexpr std::string_view kOcspPrefix = "/ocsp/";

void AddHeader(HttpResponse& r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
}

HttpResponse Text(int status, std::string body, std::string problem) {
  HttpResponse r;
  r.status = status;
  AddHeader(r, "Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body) + "\n";
  r.log_problem = std::move(problem);
  return r;
}

HttpResponse MethodNotAllowed(std::string allow) {
  HttpResponse r = Text(405, "method not allowed", "methodNotAllowed");
  AddHeader(r, "Allow", std::move(allow));
  return r;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Cache-Control for an answer valid until `next_update`.
std::string CacheControl(std::chrono::seconds max_age, core::TimePoint now,
                         core::TimePoint next_update) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(next_update - now);
  auto age = std::max(std::chrono::seconds(0), std::min(max_age, left));
  return "public, max-age=" + std::to_string(age.count()) + ", no-transform";
}

bool IsOcspRequestType(const std::string* ct) {
  if (ct == nullptr) return true;  // tolerated: some clients send none
  std::string v = ct->substr(0, ct->find(';'));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  core::AsciiLowerInPlace(v);
  return v == "application/ocsp-request";
}

}  // namespace

std::optional<std::string> DecodeOcspGetPath(std::string_view encoded) {
  std::string b64;
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      int hi = HexDigit(encoded[i + 1]), lo = HexDigit(encoded[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    b64.push_back(c);
  }
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  auto der = jose::Base64UrlDecode(b64);
  if (!der.ok() || der->empty()) return std::nullopt;
  return std::move(der).value();
}

StatusFrontEnd::StatusFrontEnd(StatusFrontEndOptions options, ra::StatusAuthority& status,
                               const core::Clock& clock)
    : options_(std::move(options)), status_(status), clock_(clock) {}

HttpResponse StatusFrontEnd::Handle(HttpRequest& req) {
  const std::string& path = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path == "/crl") return get ? Crl() : MethodNotAllowed("GET, HEAD");
  if (path == "/issuer") return get ? Issuer() : MethodNotAllowed("GET, HEAD");
  const bool ocsp_path = path == "/ocsp" || path.starts_with(kOcspPrefix);
  if (!ocsp_path || !options_.ocsp) return Text(404, "not found", "notFound");
  if (path == "/ocsp" || path == kOcspPrefix) {
    if (req.method != "POST") return MethodNotAllowed("POST");
    if (!IsOcspRequestType(req.Header("content-type")))
      return Text(415, "Content-Type must be application/ocsp-request", "unsupportedMediaType");
    return Ocsp(req.body);
  }
  if (!get) return MethodNotAllowed("GET, HEAD");
  std::optional<std::string> der = DecodeOcspGetPath(path.substr(kOcspPrefix.size()));
  return Ocsp(der ? *der : std::string());  // undecodable: malformedRequest
}

HttpResponse StatusFrontEnd::Crl() {
  auto crl = status_.CurrentCrl();
  if (!crl.ok()) {
    spdlog::error("serving the CRL: {}", crl.error().detail);
    return Text(500, "the CRL is unavailable", "serverInternal");
  }
  HttpResponse r;
  AddHeader(r, "Content-Type", "application/pkix-crl");
  AddHeader(r, "Cache-Control", CacheControl(options_.max_age, clock_.Now(), crl->next_update));
  AddHeader(r, "Last-Modified", HttpDate(crl->this_update));
  r.body = std::move(crl->der);
  return r;
}

HttpResponse StatusFrontEnd::Issuer() const {
  HttpResponse r;
  AddHeader(r, "Content-Type", "application/pkix-cert");
  AddHeader(r, "Cache-Control", "public, max-age=3600");
  r.body = options_.issuer_der;
  return r;
}

HttpResponse StatusFrontEnd::Ocsp(std::string_view request_der) {
  ra::OcspAnswer a = status_.Ocsp(request_der);
  HttpResponse r;
  AddHeader(r, "Content-Type", "application/ocsp-response");
  if (a.successful && !a.has_nonce) {
    AddHeader(r, "Cache-Control", CacheControl(options_.max_age, clock_.Now(), a.next_update));
    AddHeader(r, "Last-Modified", HttpDate(a.this_update));
  } else {
    AddHeader(r, "Cache-Control", "no-store");
  }
  if (!a.successful) {
    r.log_problem = "ocspUnsuccessful";
    spdlog::info("OCSP request not answered: {}", a.error);
  }
  r.body = std::move(a.der);
  return r;
}

}  // namespace flint::wfe
