#include "config/config.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "config/profiles.h"
#include "config/rate_limits.h"

namespace flint::config {
namespace {

using core::Err;
using core::ErrorType;

// "24h", "90m", "3600s": the largest unit that divides `d`, for --help.
std::string FormatDuration(std::chrono::seconds d) {
  const int64_t s = d.count();
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

// A duration flag (ParseDuration syntax) within [min, max]; a value outside is refused with
// "'TEXT' is out of range: RANGE". With `zero_means_never`, a bare "0" is accepted as zero too.
void AddDuration(CLI::App& app, const std::string& flag, std::chrono::seconds& out,
                 std::chrono::seconds min, std::chrono::seconds max, const std::string& range,
                 const std::string& help, bool zero_means_never = false) {
  app.add_option_function<std::string>(
         flag,
         [&out, flag, min, max, range, zero_means_never](const std::string& text) {
           if (zero_means_never && text == "0") {
             out = std::chrono::seconds(0);
             return;
           }
           auto d = ParseDuration(text);
           if (!d.ok()) throw CLI::ValidationError(flag, d.error().detail);
           if (*d < min || *d > max) {
             throw CLI::ValidationError(flag, "'" + text + "' is out of range: " + range);
           }
           out = *d;
         },
         help)
      ->type_name("DURATION")
      ->default_str(FormatDuration(out));
}

// Within [kMinStatusLifetime, kMaxStatusLifetime].
void AddStatusLifetime(CLI::App& app, const std::string& flag, std::chrono::seconds& out,
                       const std::string& help) {
  AddDuration(app, flag, out, kMinStatusLifetime, kMaxStatusLifetime,
              "at least 1h and less than 10d (the CA/Browser Forum's ten days count thisUpdate "
              "through nextUpdate inclusively)",
              help + " (a duration such as 24h, 90m, 1d12h)");
}

// A retention window (ParseDuration syntax, or "0": never purge).
void AddRetention(CLI::App& app, const std::string& flag, std::chrono::seconds& out,
                  const std::string& help) {
  AddDuration(app, flag, out, std::chrono::seconds(0), std::chrono::seconds::max(), "",
              help + " (a duration such as 720h or 30d; 0: never)", /*zero_means_never=*/true);
}

void AddOptions(CLI::App& app, Config& c) {
  app.add_option("--config", "TOML file whose keys are these flags' names (without --)");
  app.add_option("--data", c.data_dir, "data directory: CA keys and certificates, SQLite store")
      ->capture_default_str();
  app.add_option("--db", c.db,
                 "PostgreSQL connection URI (postgresql://USER@HOST:PORT/DB): several instances "
                 "share it; the data directory then holds only the CA files "
                 "(default: SQLite in the data directory)");
  app.add_option("--listen", c.listen, "HTTPS listen address HOST:PORT for ACME")
      ->capture_default_str();
  app.add_option("--base-url", c.base_url,
                 "external URL prefix written into responses (default: https://<listen>)");
  app.add_option("--tls-name", c.tls_names,
                 "extra DNS name or IP for the HTTPS certificate (repeatable)");
  app.add_option("--chain-length", c.chain_length,
                 "intermediates between a leaf and the root, for a CA created at this start")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  app.add_option("--alternate-roots", c.alternate_roots,
                 "alternate root hierarchies served as alternate chains (RFC 8555 7.4.2), for "
                 "a CA created at this start")
      ->capture_default_str()
      ->check(CLI::Range(0, 8));
  app.add_option("--http-listen", c.http_listen,
                 "plain-HTTP listen address for CRL, OCSP, issuer certificate (default: off)");
  app.add_option("--http-base-url", c.http_base_url,
                 "URL of the plain-HTTP listener written into certificates "
                 "(default: http://<http-listen>)");
  app.add_option("--metrics-listen", c.metrics_listen,
                 "plain-HTTP listen address HOST:PORT serving Prometheus metrics at /metrics "
                 "(default: off)");
  app.add_flag("--ocsp,!--no-ocsp", c.ocsp,
               "OCSP responder on the plain-HTTP listener and its URL in certificates")
      ->capture_default_str();
  app.add_option("--ocsp-url", c.ocsp_url,
                 "OCSP URL written into certificates (default: <http-base-url>/ocsp)");
  AddStatusLifetime(app, "--crl-lifetime", c.crl_lifetime, "CRL nextUpdate - thisUpdate");
  AddStatusLifetime(app, "--ocsp-lifetime", c.ocsp_lifetime,
                    "OCSP response nextUpdate - thisUpdate");
  app.add_option("--tos-url", c.terms_of_service,
                 "terms of service URL; when set, newAccount requires termsOfServiceAgreed");
  app.add_option("--website", c.website, "website URL for the directory's meta");
  app.add_option("--caa-identity", c.caa_identities,
                 "CAA issuer domain names that mean this CA (repeatable)")
      ->capture_default_str();
  app.add_flag("--external-account-required", c.external_account_required,
               "require external account binding on newAccount");
  app.add_option("--http01-port", c.http01_port, "port http-01 validation connects to")
      ->capture_default_str();
  app.add_option("--tlsalpn01-port", c.tlsalpn01_port,
                 "port tls-alpn-01 validation connects to")
      ->capture_default_str();
  app.add_option("--dns-resolver", c.dns_resolver,
                 "DNS resolver HOST:PORT for validation and CAA (default: system resolvers)");
  app.add_flag("--allow-private-targets", c.allow_private_targets,
               "let validation reach private, loopback and reserved addresses, and accept ip "
               "identifiers for them (tests only)");
  app.add_flag("--skip-validation", c.skip_validation,
               "DANGEROUS, development only: challenges succeed without any check");
  app.add_option("--validation-workers", c.validation_workers,
                 "threads that prepare validations and record their outcome")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-validations-in-flight", c.max_validations_in_flight,
                 "validation attempts running at once; more wait, round-robin across accounts")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  // At most 60 s: well inside the leases that keep another instance off a validation (180 s)
  // or a finalize's CAA recheck (120 s) in flight (sa/store.h "Leases").
  AddDuration(app, "--validation-timeout", c.validation_timeout, std::chrono::seconds(1),
              std::chrono::seconds(60), "1s to 60s",
              "deadline of one whole validation attempt, challenge and CAA");
  app.add_option("--max-pending-validations-per-account", c.max_pending_validations_per_account,
                 "validations one account may have pending; beyond, challenges answer "
                 "rateLimited")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--perspective", c.perspectives,
                 "remote validation perspective NAME=https://HOST:PORT, a flint va-agent "
                 "(repeatable; docs/VALIDATION.md)");
  app.add_option("--perspective-timeout-seconds", c.perspective_timeout_seconds,
                 "overall deadline of one validation across all perspectives")
      ->capture_default_str()
      ->check(CLI::Range(1, 300));
  app.add_flag("--public-suffix-check,!--no-public-suffix-check", c.public_suffix_check,
               "refuse names that are public suffixes (co.uk, *.co.uk) with rejectedIdentifier")
      ->capture_default_str();
  app.add_option("--public-suffix-file", c.public_suffix_file,
                 "Public Suffix List file, .dat or libpsl DAFSA (default: Debian package "
                 "publicsuffix's /usr/share/publicsuffix/public_suffix_list.dafsa)");
  app.add_flag("--require-known-tld", c.require_known_tld,
               "also refuse names whose TLD is not on the Public Suffix List (public CAs)");
  app.add_option("--blocked-name,--blocked-names", c.blocked_names,
                 "DNS name (and every name under it) or IP address never issued for "
                 "(repeatable)");
  app.add_option("--max-identifiers", c.max_identifiers, "identifiers allowed per order")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--max-contacts", c.max_contacts, "contacts allowed per account")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--order-lifetime-hours", c.order_lifetime_hours, "order lifetime")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 365));
  app.add_option("--authz-lifetime-hours", c.authz_lifetime_hours,
                 "authorization lifetime")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 365));
  app.add_option("--cert-validity-days", c.cert_validity_days, "certificate validity")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  app.add_option("--default-profile", c.default_profile,
                 "profile for orders that name none (profiles: [profiles.NAME] TOML tables)")
      ->capture_default_str();
  app.add_option("--nonce-lifetime-seconds", c.nonce_lifetime_seconds, "nonce lifetime")
      ->capture_default_str()
      ->check(CLI::Range(10, 86400));
  app.add_flag("--shared-nonces", c.shared_nonces,
               "record nonce redemptions in the database, so that several instances sharing it "
               "accept each other's nonces (default: per-process nonces kept in memory)");
  app.add_option("--max-connections-per-ip", c.max_connections_per_ip,
                 "connections one client address may hold at once (0: no limit); behind a "
                 "balancer, use --proxy-protocol so that this counts clients, not the balancer")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--proxy-protocol", c.proxy_protocol,
               "every connection starts with a PROXY protocol v2 header (HAProxy send-proxy-v2) "
               "naming the client; connections without one are refused. Only behind such a "
               "balancer: the header is trusted");
  app.add_option("--io-threads", c.io_threads, "HTTP I/O threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  app.add_option("--worker-threads", c.worker_threads,
                 "request worker threads (0: two per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-format", c.log_format,
                 "text, or json: one JSON object per line (ts, level, msg and fields)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--audit-log", c.audit_log,
                 "also append audit records to this file (0600, one JSON object per line, "
                 "fsynced; reopened on SIGHUP) (default: only in the log)");
  AddRetention(app, "--retain-expired-orders", c.retain_expired_orders,
               "purge orders this long after they expired (orders with a certificate are kept)");
  AddRetention(app, "--retain-expired-authorizations", c.retain_expired_authorizations,
               "purge authorizations and their challenges this long after they expired (those "
               "of kept orders are kept)");
  AddDuration(app, "--purge-interval", c.purge_interval, std::chrono::seconds(1),
              std::chrono::seconds::max(), "at least 1s",
              "how often expired rows are purged in the background");
}

// Renders one TOML value as the command-line words for `--key`.
core::Result<void> AppendTomlValue(const std::string& key, const toml::node& node,
                                   std::vector<std::string>& out) {
  auto scalar = [&](const toml::node& n) -> std::optional<std::string> {
    if (auto s = n.value<std::string>()) return *s;
    if (n.is_integer()) return std::to_string(*n.value<int64_t>());
    return std::nullopt;
  };
  if (auto b = node.value_exact<bool>()) {
    out.push_back("--" + key + "=" + (*b ? "true" : "false"));
    return core::Ok();
  }
  if (const toml::array* arr = node.as_array()) {
    for (const toml::node& el : *arr) {
      auto s = scalar(el);
      if (!s) return Err(ErrorType::kMalformed, "config key '" + key + "': bad array element");
      out.push_back("--" + key + "=" + *s);
    }
    return core::Ok();
  }
  auto s = scalar(node);
  if (!s) return Err(ErrorType::kMalformed, "config key '" + key + "': unsupported value type");
  out.push_back("--" + key + "=" + *s);
  return core::Ok();
}

core::Result<std::vector<std::string>> TomlToArgs(const std::string& path, CLI::App& app,
                                                  const std::set<std::string>& given,
                                                  std::vector<ProfileConfig>& profiles,
                                                  RateLimitsConfig& rate_limits) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config file " << path << ": " << e.description() << " at line "
       << e.source().begin.line << ", column " << e.source().begin.column;
    return Err(ErrorType::kMalformed, os.str());
  }
  std::vector<std::string> out;
  for (auto&& [k, node] : table) {
    std::string key(k.str());
    if (key == "profiles") {  // tables, not a flag
      FLINT_ASSIGN_OR_RETURN(profiles, ParseProfiles(path, node));
      continue;
    }
    if (key == "rate-limits") {  // a table, not a flag
      FLINT_ASSIGN_OR_RETURN(rate_limits, ParseRateLimits(path, node));
      continue;
    }
    CLI::Option* opt = nullptr;
    try {
      opt = app.get_option("--" + key);
    } catch (const CLI::Error&) {
    }
    if (opt == nullptr || key == "config") {
      return Err(ErrorType::kMalformed, "config file " + path + ": unknown key '" + key + "'");
    }
    if (given.count(key)) continue;  // the command line wins
    FLINT_TRY(AppendTomlValue(key, node, out));
  }
  return out;
}

// Checks that span several keys, then the profiles.
core::Result<void> Finish(Config& c) {
  if (c.require_known_tld && !c.public_suffix_check) {
    return Err(ErrorType::kMalformed,
               "require-known-tld needs the public suffix list: it cannot be combined with "
               "--no-public-suffix-check (public-suffix-check = false)");
  }
  if (!c.perspectives.empty() && c.skip_validation) {
    return Err(ErrorType::kMalformed, "--perspective cannot be combined with --skip-validation");
  }
  return FinishProfiles(c);
}

}  // namespace

core::Result<std::optional<Config>> ParseServeArgs(const std::vector<std::string>& args) {
  // Pass 1: the command line alone, to learn --config and which flags were given.
  Config first;
  CLI::App app1{"flint serve: run the ACME CA", "flint serve"};
  AddOptions(app1, first);
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app1.parse(rev);
  } catch (const CLI::CallForHelp&) {
    std::cout << app1.help();
    return std::optional<Config>();
  } catch (const CLI::ParseError& e) {
    return Err(ErrorType::kMalformed, e.what());
  }
  std::string config_path = app1.get_option("--config")->as<std::string>();
  if (config_path.empty()) {
    FLINT_TRY(Finish(first));
    return std::optional<Config>(first);
  }

  std::set<std::string> given;  // every long name of each option given, aliases included
  for (const CLI::Option* o : app1.get_options()) {
    if (o->count() == 0) continue;
    for (const std::string& name : o->get_lnames()) given.insert(name);
  }
  // Pass 2: the file's keys as flags, then the command line.
  Config c;
  CLI::App app2{"flint serve", "flint serve"};
  AddOptions(app2, c);
  std::vector<ProfileConfig> profiles;
  RateLimitsConfig rate_limits;
  FLINT_ASSIGN_OR_RETURN(std::vector<std::string> all,
                         TomlToArgs(config_path, app2, given, profiles, rate_limits));
  all.insert(all.end(), args.begin(), args.end());
  std::vector<std::string> rev2(all.rbegin(), all.rend());
  try {
    app2.parse(rev2);
  } catch (const CLI::ParseError& e) {
    return Err(ErrorType::kMalformed, std::string("config file ") + config_path + ": " + e.what());
  }
  c.profiles = std::move(profiles);
  c.rate_limits = std::move(rate_limits);
  FLINT_TRY(Finish(c));
  return std::optional<Config>(c);
}

core::Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.empty()) return Err(ErrorType::kMalformed, "expected a duration such as 24h, not ''");
  constexpr std::pair<char, int64_t> kUnits[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
  size_t next_unit = 0;  // units go d, h, m, s, each at most once
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits = 0;
    int64_t n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits)
      n = n * 10 + (text[i] - '0');
    if (digits == 0 || digits > 9) {
      return Err(ErrorType::kMalformed,
                 "bad duration " + quoted + ": expected parts like 24h, 90m, 1d12h (units d, h, "
                 "m, s), each number of 1 to 9 digits");
    }
    if (i == text.size()) {
      return Err(ErrorType::kMalformed,
                 "bad duration " + quoted + ": the number needs a unit (d, h, m or s)");
    }
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].first != text[i]) ++u;
    if (u == std::size(kUnits)) {
      return Err(ErrorType::kMalformed,
                 "bad duration " + quoted + ": units are d, h, m, s, each once, in that order");
    }
    total += n * kUnits[u].second;
    next_unit = u + 1;
    ++i;
  }
  return std::chrono::seconds(total);
}

core::Result<HostPort> SplitHostPort(const std::string& s) {
  HostPort hp;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return Err(ErrorType::kMalformed, "expected [IPv6]:PORT, got '" + s + "'");
    hp.host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon)
      return Err(ErrorType::kMalformed, "expected HOST:PORT, got '" + s + "'");
    hp.host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return Err(ErrorType::kMalformed, "bad port in '" + s + "'");
  int p = std::stoi(port);
  if (p > 65535) return Err(ErrorType::kMalformed, "bad port in '" + s + "'");
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

}  // namespace flint::config
