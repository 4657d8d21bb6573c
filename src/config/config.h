#pragma once
// flint's run-time configuration: every `flint serve` flag, each also a key of the same name in
// the optional TOML file given with --config (flags on the command line win over the file).
// docs/CONFIGURATION.md documents each key with its default.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace flint::config {

// An issuance profile (draft-aaron-acme-profiles), from a `[profiles.NAME]` table of the TOML
// file (profiles have no command-line flags).
struct ProfileConfig {
  std::string name;
  std::string description;
  int validity_days = 90;
  bool include_cn = true;
  std::vector<std::string> ekus = {"serverAuth"};  // serverAuth, optionally clientAuth
  std::vector<std::string> challenges;  // http-01, dns-01, tls-alpn-01, dns-account-01; empty: all
  // The leaf's KeyUsage, less what the subject key's algorithm cannot do (ca::IssueRequest):
  // by default digitalSignature, plus keyEncipherment for RSA keys. Always has digitalSignature.
  std::vector<core::KeyUsage> key_usages = {core::KeyUsage::kDigitalSignature,
                                            core::KeyUsage::kKeyEncipherment};
};

// [rate-limits] (docs/OPERATIONS.md "Rate limits"): each limit off unless set.
inline constexpr const char* kRateLimitNames[] = {
    "new-accounts-per-ip", "new-orders-per-account", "certificates-per-domain",
    "duplicate-certificates", "failed-validations-per-account-per-name"};
struct RateConfig {
  int64_t count = 0;
  std::chrono::seconds period{0};
};
struct RateOverrideConfig {
  std::string limit;  // one of kRateLimitNames
  std::string key;    // the account id, address, registered domain, ... it applies to
  RateConfig rate;
  bool has_rate = false;
};
struct RateLimitsConfig {
  std::map<std::string, RateConfig> rates;  // by name, from kRateLimitNames
  std::vector<RateOverrideConfig> overrides;
  int64_t pending_authorizations_per_account = 0;  // 0: off
};

struct Config {
  // Storage and CA material.
  std::string data_dir = "./flint-data";
  // HTTPS listener for ACME.
  std::string listen = "127.0.0.1:14000";
  std::string base_url;  // empty: https://<listen> (with localhost for loopback addresses)
  std::vector<std::string> tls_names;
  // The hierarchies of a new CA (ca::CaShape); used only when the CA is created: intermediates
  // between a leaf and its root (1-8), and alternate roots served as RFC 8555 §7.4.2 alternate
  // chains (0-8).
  int chain_length = 1;
  int alternate_roots = 0;
  // Plain-HTTP listener for CRLs, OCSP and the issuer certificate (empty: off).
  std::string http_listen;
  // URL prefix of that listener as written into certificates (CRL distribution point, AIA
  // caIssuers and OCSP); empty: http://<http_listen>.
  std::string http_base_url;
  // Plain-HTTP listener serving GET /metrics in the Prometheus text format (empty: off).
  std::string metrics_listen;
  // OCSP responder at <http_base_url>/ocsp and its AIA URL in certificates (RFC 6960).
  bool ocsp = true;
  std::string ocsp_url;  // AIA OCSP URL override (e.g. behind a proxy); empty: <http_base_url>/ocsp
  // nextUpdate - thisUpdate of the CRL and of OCSP responses, each within
  // [kMinStatusLifetime, kMaxStatusLifetime].
  std::chrono::seconds crl_lifetime{std::chrono::hours(24)};
  std::chrono::seconds ocsp_lifetime{std::chrono::hours(12)};
  // Directory meta (RFC 8555 §7.1.1).
  std::string terms_of_service;
  std::string website;
  std::vector<std::string> caa_identities = {"flint.invalid"};
  bool external_account_required = false;
  // Validation (RFC 8555 §8).
  uint16_t http01_port = 80;
  uint16_t tlsalpn01_port = 443;
  std::string dns_resolver;  // HOST:PORT; empty: the system's resolvers
  bool allow_private_targets = false;
  bool skip_validation = false;
  int validation_workers = 16;
  // Asynchronous validation (docs/VALIDATION.md "Asynchronous validation, deadlines and
  // fairness"): attempts running at once (more wait, round-robin across accounts), the deadline
  // of one whole attempt (challenge and CAA), and validations one account may have pending
  // before RespondToChallenge answers rateLimited.
  int max_validations_in_flight = 1000;
  std::chrono::seconds validation_timeout{20};
  int max_pending_validations_per_account = 100;
  // Remote perspectives (CA/Browser Forum BR §3.2.2.9, docs/VALIDATION.md): "NAME=https://HOST:PORT"
  // of each `flint va-agent`; empty: the local validation authority alone, as before.
  std::vector<std::string> perspectives;
  // The overall deadline of one multi-perspective validation or CAA check.
  int perspective_timeout_seconds = 20;
  // Identifier policy (newOrder, RFC 8555 §7.4). allow_private_targets above also decides
  // whether "ip" identifiers for non-public addresses are accepted.
  // Refuse names that are public suffixes ("co.uk", "*.co.uk"), using the list in
  // public_suffix_file; start-up fails if it cannot be loaded while this is on.
  bool public_suffix_check = true;
  std::string public_suffix_file;  // empty: Debian's (policy::kDistributionListPath)
  // Also refuse names whose TLD is not on the list ("host.internal"); for public CAs. Needs
  // public_suffix_check.
  bool require_known_tld = false;
  // Names (with everything under them) and IP addresses never issued for.
  std::vector<std::string> blocked_names;
  // Policy and lifetimes.
  int max_identifiers = 100;
  int max_contacts = 10;
  int order_lifetime_hours = 168;
  int authz_lifetime_hours = 720;
  int cert_validity_days = 90;
  // Profiles: never empty after parsing. Without [profiles.*] tables, the built-ins "default"
  // (cert_validity_days, CN, serverAuth), "shortlived" (6 days, no CN) and "tlsclient"
  // (cert_validity_days, serverAuth + clientAuth).
  std::vector<ProfileConfig> profiles;
  RateLimitsConfig rate_limits;  // TOML only
  std::string default_profile = "default";  // must name one of `profiles`
  int nonce_lifetime_seconds = 3600;
  // PostgreSQL connection URI (libpq): several instances share one database, which holds
  // everything but the CA files of data_dir. Empty: SQLite in data_dir/flint.db.
  std::string db;
  // Nonce redemptions recorded in the database (several instances on one database) rather
  // than in this process's memory (sa::MemoryNonceService).
  bool shared_nonces = false;
  // Connections (issue 16): at most this many at once from one client address (0: no limit).
  int max_connections_per_ip = 100;
  // Connections start with a PROXY protocol v2 header naming the client (behind HAProxy
  // `send-proxy-v2`); the ACME and status listeners then refuse connections without one.
  bool proxy_protocol = false;
  // Process.
  int io_threads = 0;      // 0: one per core
  int worker_threads = 0;  // 0: 2 per core
  std::string log_level = "info";
  // Operations (docs/OPERATIONS.md). Log lines as text, or as one JSON object per line.
  std::string log_format = "text";  // text, json
  // Audit records also appended (0600, fsynced) to this file; empty: only in the log.
  std::string audit_log;
  // Retention: orders and authorizations are purged this long after they expired (0: never);
  // certificates, and the orders and authorizations they came from, are kept. The purge runs
  // every purge_interval.
  std::chrono::seconds retain_expired_orders{std::chrono::hours(720)};
  std::chrono::seconds retain_expired_authorizations{std::chrono::hours(720)};
  std::chrono::seconds purge_interval{std::chrono::hours(1)};
};

// Parses `flint serve` arguments (args excludes the program name and the "serve" word).
// Returns std::nullopt after printing help to stdout (for --help); an Error (kMalformed, with a
// human-readable detail) for bad flags, an unreadable or invalid TOML file, or unknown keys.
core::Result<std::optional<Config>> ParseServeArgs(const std::vector<std::string>& args);

// Bounds of --crl-lifetime and --ocsp-lifetime. The CA/Browser Forum BR (§4.9.7, §4.9.10, and
// "Validity Interval" in §1.6.1) allow at most ten days counted from thisUpdate through
// nextUpdate inclusive, so nextUpdate - thisUpdate must stay below ten days; an hour keeps
// regeneration (status_authority.h) and HTTP caching (max-age 300 s) far inside the lifetime.
inline constexpr std::chrono::seconds kMinStatusLifetime = std::chrono::hours(1);
inline constexpr std::chrono::seconds kMaxStatusLifetime =
    std::chrono::hours(24 * 10) - std::chrono::seconds(1);

// Parses a duration: one or more <integer><unit> parts, units d, h, m, s each at most once and
// in that order ("24h", "1d12h", "90m", "3600s"). kMalformed, saying why, for anything else
// (an empty string, no unit, an unknown unit, signs, spaces, fractions, more than 9 digits a
// part). Zero is a duration; callers bound the value.
core::Result<std::chrono::seconds> ParseDuration(std::string_view text);

// Splits "HOST:PORT" / "[v6]:PORT". kMalformed if it is not that shape.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
core::Result<HostPort> SplitHostPort(const std::string& s);

}  // namespace flint::config
