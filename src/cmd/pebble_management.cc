#include "cmd/pebble_management.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "config/config.h"
#include "core/ascii.h"
#include "wfe/http_server.h"
#include "wfe/problem.h"

namespace flint::cmd {

namespace {

using core::Err;
using core::ErrorType;

wfe::HttpResponse Problem(ErrorType type, int status, const std::string& detail) {
  wfe::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(wfe::kProblemContentType));
  r.body = wfe::ProblemJson(core::Err(type, detail), status);
  return r;
}

// Go's strconv.Atoi, which Pebble uses for N: an optional sign, then decimal digits.
std::optional<long> ParseIndex(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (s[0] == '-' && s.size() > 1) return std::nullopt;  // never a valid index
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 9) return std::nullopt;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FirstPemBlock(const std::string& pem) {
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----\n";
  const size_t end = pem.find(kEnd);
  return end == std::string::npos ? pem : pem.substr(0, end + kEnd.size());
}

// Go's encoding/json string encoding: ", \ and control characters escaped, and <, >, & as
// \u003c, \u003e, \u0026 (HTML-safe, Go's default).
std::string GoJsonString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// Go's time.Time.String() of a UTC time: "2006-01-02 15:04:05.999999999 +0000 UTC" (the
// fraction without trailing zeros, absent when zero).
std::string GoTimeString(core::TimePoint t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  auto secs = std::chrono::floor<std::chrono::seconds>(ns);
  const int64_t frac = (ns - secs).count();
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char base[32];
  std::strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = base;
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof(f), ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + " +0000 UTC";
}

// A serial as Go's big.Int prints it with %x: lowercase, no leading zeros.
std::string GoHexSerial(std::string_view der_hex) {
  size_t i = 0;
  while (i + 1 < der_hex.size() && der_hex[i] == '0') ++i;
  return core::AsciiLowered(der_hex.substr(i));
}

// Pebble's SERIAL (big.Int SetString base 16) to flint's stored form: the lowercase hex of the
// DER INTEGER's content octets (even length, a 00 octet first when the high bit is set).
std::optional<std::string> StoredSerial(std::string_view serial) {
  if (serial.empty()) return std::nullopt;
  std::string hex;
  for (char c : serial) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex.push_back(core::AsciiLower(c));
  }
  size_t i = 0;
  while (i + 1 < hex.size() && hex[i] == '0') ++i;
  hex.erase(0, i);
  if (hex.size() % 2 != 0) hex.insert(hex.begin(), '0');
  if (hex[0] >= '8') hex.insert(0, "00");
  return hex;
}

wfe::HttpResponse Pem(std::string content_type, std::string body,
                      const std::vector<std::string>& links) {
  wfe::HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  for (const std::string& l : links) r.headers.emplace_back("Link", l);
  r.body = std::move(body);
  return r;
}

}  // namespace

std::string CertStatusJson(const core::Certificate& cert) {
  // Pebble 2.4 encodes with json.MarshalIndent(v, "", "   "), fields in this order.
  std::string out = "{\n";
  out += "   \"Status\": " + GoJsonString(cert.revoked ? "Revoked" : "Valid") + ",\n";
  out += "   \"Serial\": " + GoJsonString(GoHexSerial(cert.serial_hex)) + ",\n";
  out += "   \"Certificate\": " + GoJsonString(FirstPemBlock(cert.chain_pem));
  if (cert.revoked) {
    out += ",\n   \"Reason\": " + std::to_string(cert.revocation_reason);
    out += ",\n   \"RevokedAt\": " +
           GoJsonString(GoTimeString(cert.revoked_at.value_or(core::TimePoint{})));
  }
  return out + "\n}";
}

wfe::HttpResponse HandleManagement(const ServeContext& ctx, const wfe::HttpRequest& request,
                                   const std::string& fallback_host) {
  const std::string& path = request.path;
  const size_t slash = path.find('/', 1);
  if (path.size() < 2 || path[0] != '/' || slash == std::string::npos)
    return Problem(ErrorType::kNotFound, 404, "no such resource");
  const std::string kind = path.substr(1, slash - 1);
  const std::string arg = path.substr(slash + 1);

  if (kind == "cert-status-by-serial") {
    std::optional<std::string> serial = StoredSerial(arg);
    if (!serial) return Problem(ErrorType::kMalformed, 400, "the serial is not hexadecimal");
    core::Result<core::Certificate> cert = ctx.store.GetCertificateBySerial(*serial);
    if (!cert.ok()) {
      if (cert.error().type == ErrorType::kNotFound)
        return Problem(ErrorType::kNotFound, 404, "no certificate with this serial");
      spdlog::error("management: certificate {}: {}", *serial, cert.error().detail);
      return Problem(ErrorType::kServerInternal, 500, "the store failed");
    }
    wfe::HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.body = CertStatusJson(*cert);
    return r;
  }

  const bool is_root = kind == "roots" || kind == "root-keys";
  const bool is_key = kind == "root-keys" || kind == "intermediate-keys";
  if (!is_root && kind != "intermediates" && kind != "intermediate-keys")
    return Problem(ErrorType::kNotFound, 404, "no such resource");
  std::optional<long> n = ParseIndex(arg);
  const long chains = static_cast<long>(ctx.ca.chains.size());
  if (!n || *n < 0 || *n >= chains)
    return Problem(ErrorType::kNotFound, 404, "no such " + kind.substr(0, kind.size() - 1));

  const std::string* host = request.Header("host");
  const std::string base = "https://" + (host != nullptr ? *host : fallback_host) + "/" + kind;
  std::vector<std::string> links;
  for (long k = 0; k < chains; ++k) {
    if (k != *n) links.push_back("<" + base + "/" + std::to_string(k) + ">;rel=\"alternate\"");
  }
  const ca::IssuerChain& chain = ctx.ca.chains[static_cast<size_t>(*n)];
  if (!is_key) {
    return Pem("application/pem-certificate-chain; charset=utf-8",
               is_root ? chain.root_pem : FirstPemBlock(chain.chain_pem), links);
  }
  // Every hierarchy ends in the one issuing key; each root has its own key file.
  const std::string file = !is_root ? ca::kIntermediateKeyFile
                                    : (*n == 0 ? std::string(ca::kRootKeyFile)
                                               : ca::AlternateRootKeyFile(static_cast<int>(*n)));
  std::optional<std::string> key = ReadKeyFile(ctx.ca.dir + "/" + file);
  if (!key) {
    spdlog::error("management: cannot read {}/{}", ctx.ca.dir, file);
    return Problem(ErrorType::kServerInternal, 500, "the key cannot be read");
  }
  return Pem("application/x-pem-file; charset=utf-8", std::move(*key), links);
}

namespace {

class ManagementListener final : public ExtraListener {
 public:
  explicit ManagementListener(std::unique_ptr<wfe::HttpServer> server)
      : server_(std::move(server)) {}
  void Stop() override { server_->Stop(); }

 private:
  std::unique_ptr<wfe::HttpServer> server_;
};

}  // namespace

core::Result<std::unique_ptr<ExtraListener>> StartManagementListener(
    const ServeContext& ctx, const std::string& listen, const std::string& tls_chain_pem,
    const std::string& tls_key_pem) {
  auto hp = config::SplitHostPort(listen);
  if (!hp.ok()) return Err(ErrorType::kMalformed, "managementListenAddress: " + hp.error().detail);
  wfe::HttpServerOptions so;
  so.listen_host = hp->host;
  so.listen_port = hp->port;
  so.tls_cert_chain_pem = tls_chain_pem;
  so.tls_key_pem = tls_key_pem;
  so.io_threads = 1;
  so.worker_threads = 2;
  so.max_connections = 256;
  const std::string fallback_host = listen;
  auto server = std::make_unique<wfe::HttpServer>(so, [ctx, fallback_host](wfe::HttpRequest& r) {
    return HandleManagement(ctx, r, fallback_host);
  });
  if (auto started = server->Start(); !started.ok()) {
    return Err(ErrorType::kInternal,
               "managementListenAddress " + listen + ": " + started.error().detail);
  }
  spdlog::info("Pebble management interface listening on {} (roots at https://{}/roots/0)", listen,
               listen);
  return std::unique_ptr<ExtraListener>(new ManagementListener(std::move(server)));
}

}  // namespace flint::cmd
