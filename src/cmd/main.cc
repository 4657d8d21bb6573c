// flint's composition root: parses configuration, builds each authority, wires them, runs.
#include <signal.h>
#include <sys/resource.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <iostream>
#include <string>
#include <vector>

#include "ca/ca_files.h"
#include "ca/openssl_util.h"
#include "cmd/admin.h"
#include "cmd/audit_log.h"
#include "cmd/data_dir.h"
#include "cmd/json_log.h"
#include "cmd/retention.h"
#include "cmd/metrics_listener.h"
#include "cmd/pebble.h"
#include "cmd/periodic_task.h"
#include "cmd/serve_hooks.h"
#include "cmd/perspective_setup.h"
#include "cmd/va_agent.h"
#include "cmd/status_listener.h"
#include "policy/identifier_policy.h"
#include "va/resolver.h"
#include "va/validator.h"
#include "cmd/ca_authority.h"
#include "cmd/va_validator.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "metrics/prometheus_metrics.h"
#include "ra/ra.h"
#include "sa/caching_store.h"
#include "sa/nonce_service.h"
#include "wfe/http_server.h"
#include "wfe/wfe.h"

namespace flint {
namespace {

constexpr const char* kUsage =
    "usage: flint <command> [flags]\n"
    "commands:\n"
    "  serve    run the ACME CA (flint serve --help for its flags)\n"
    "  pebble   run as a drop-in for Pebble's test CA (flint pebble -h; docs/PEBBLE.md)\n"
    "  admin    operator commands on a data directory (flint admin --help)\n"
    "  va-agent a remote validation perspective (flint va-agent --help)\n";

std::string DefaultBaseUrl(const config::HostPort& hp) {
  std::string host = hp.host;
  if (host == "127.0.0.1" || host == "0.0.0.0" || host == "::1" || host == "::" || host.empty())
    host = "localhost";
  else if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return "https://" + host + ":" + std::to_string(hp.port);
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// draft-aaron-acme-profiles: the configured profiles as the RA applies them.
std::vector<ra::Profile> RaProfiles(const config::Config& cfg) {
  std::vector<ra::Profile> out;
  for (const config::ProfileConfig& pc : cfg.profiles) {
    ra::Profile p;
    p.name = pc.name;
    p.description = pc.description;
    p.validity = std::chrono::hours(24 * pc.validity_days);
    p.include_cn = pc.include_cn;
    p.client_auth = std::count(pc.ekus.begin(), pc.ekus.end(), "clientAuth") > 0;
    p.key_usages = pc.key_usages;
    for (const std::string& c : pc.challenges) {  // config checked the names
      if (auto type = core::ChallengeTypeFromString(c)) p.challenges.push_back(*type);
    }
    out.push_back(std::move(p));
  }
  return out;
}

// spdlog's console sinks fflush every line: one write(2) per request log line. When stdout is
// not a terminal (a file, a pipe, the journal), lines are buffered instead and flushed at once
// for warnings and errors, every second otherwise, and at exit.
class BufferedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

void ConfigureLogging(const std::string& level, const std::string& format) {
  if (::isatty(STDOUT_FILENO) == 0) {
    static char buffer[64 * 1024];
    std::setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
    auto logger = std::make_shared<spdlog::logger>("", std::make_shared<BufferedStdoutSink>());
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));
  }
  spdlog::set_level(spdlog::level::from_str(level));
  cmd::ConfigureLogFormat(format);
}

// newOrder's identifier policy. Fails (so flint does not start) on a malformed blocked name or
// when the public suffix check is on and its list cannot be loaded: a CA that silently issued
// for "co.uk" because a package was missing would be worse than one that does not start.
core::Result<policy::IdentifierPolicyOptions> IdentifierPolicyOptionsFrom(
    const config::Config& cfg) {
  policy::IdentifierPolicyOptions opts;
  opts.max_identifiers = cfg.max_identifiers;
  // The VA could not validate a private address without this flag, so newOrder refuses it.
  opts.allow_private_ips = cfg.allow_private_targets;
  opts.require_known_tld = cfg.require_known_tld;
  for (const std::string& name : cfg.blocked_names) {
    if (auto problem = policy::BlockedNameProblem(name)) {
      return core::Err(core::ErrorType::kMalformed,
                       "--blocked-name \"" + name + "\" " + *problem);
    }
  }
  opts.blocked_names = cfg.blocked_names;
  if (cfg.public_suffix_check) {
    const std::string path =
        cfg.public_suffix_file.empty() ? policy::kDistributionListPath : cfg.public_suffix_file;
    auto psl = policy::PublicSuffixList::LoadFile(path);
    if (!psl.ok()) {
      return core::Err(core::ErrorType::kInternal,
                       "public suffix check: " + psl.error().detail +
                           (cfg.public_suffix_file.empty()
                                ? " (install Debian's package publicsuffix, "
                                : " (") +
                           "name a list with --public-suffix-file, or turn the check off with "
                           "--no-public-suffix-check)");
    }
    // A file that parses but is not the list (empty, truncated) would refuse nothing.
    if (!(*psl)->HasListedTld("example.com")) {
      return core::Err(core::ErrorType::kInternal,
                       "public suffix check: " + path +
                           " does not list the TLD com; it is not a usable Public Suffix List");
    }
    opts.psl = *psl;
    spdlog::info("public suffix check on, list {}", path);
  } else {
    spdlog::warn("public suffix check off: names such as co.uk are not refused at newOrder");
  }
  return opts;
}

// Descriptors are flint's scarcest resource under load (connections, validation sockets, the
// database, the resolver), and the usual service soft limit (1024) is far below the hard one:
// raise the soft limit to the hard limit. Returns the limit in force.
rlim_t RaiseFileLimit() {
  struct rlimit lim {};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    struct rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      spdlog::info("open files limit raised from {} to {}", lim.rlim_cur, raised.rlim_cur);
      return raised.rlim_cur;
    }
    spdlog::warn("cannot raise the open files limit from {} to {}", lim.rlim_cur, lim.rlim_max);
  }
  return lim.rlim_cur;
}

// How many connections the listeners may hold, from the open-files limit: a descriptor per
// connection, once the process's own needs are set aside (store and log files, listeners, the
// I/O threads' event descriptors, the resolver, database connections, and a few sockets for
// each validation in flight). Past the cap a new connection is accepted and closed at once, so
// a flood of connections never takes the descriptors validations and the database need.
struct ConnectionCaps {
  int acme = 0;    // the HTTPS ACME listener
  int status = 0;  // the plain-HTTP status listener (CRL, OCSP, issuer)
  // --max-validations-in-flight, lowered so that validations take at most a quarter of the
  // descriptors left after the fixed reserve (e.g. 110 under a 1024 limit).
  int validations = 0;
};

std::optional<ConnectionCaps> ConnectionCapsFor(rlim_t open_files, const config::Config& cfg) {
  constexpr int64_t kFixedReserve = 128;
  // A validation in flight holds one HTTP or TLS connection at a time; its DNS queries share the
  // resolver's sockets, counted here too (UDP and TCP, at most one query per label of a CAA
  // climb in flight, most answered from cache).
  constexpr int64_t kPerValidation = 2;
  constexpr int64_t kDatabaseConnections = 16;
  constexpr int64_t kMaxAcme = 4096;
  constexpr int64_t kMaxStatus = 1024;
  const int64_t limit = open_files == RLIM_INFINITY
                            ? int64_t{1} << 20
                            : static_cast<int64_t>(std::min<rlim_t>(open_files, rlim_t{1} << 20));
  const int64_t spare = limit - kFixedReserve - kDatabaseConnections;
  const int64_t validations = std::max<int64_t>(
      1, std::min<int64_t>(cfg.max_validations_in_flight, spare / 4 / kPerValidation));
  const int64_t available = spare - kPerValidation * validations;
  if (available < 64) return std::nullopt;
  ConnectionCaps caps;
  caps.validations = static_cast<int>(validations);
  caps.acme = static_cast<int>(std::min(kMaxAcme, available * 3 / 4));
  caps.status = static_cast<int>(std::min(kMaxStatus, available / 4));
  return caps;
}

int Fail(const std::string& what) {
  spdlog::critical("{}", what);
  return 1;
}

// --- Option builders: each turns the configuration into one module's options ---

// Other flint processes may use the same database: accounts are not cached, and work left
// behind is taken over by lease only (sa/store.h "Leases").
bool ShareDatabase(const config::Config& cfg) { return cfg.shared_nonces || !cfg.db.empty(); }

// One process per SQLite database (the default) syncs commits in the background and holds each
// response until what it reports is on disk; processes sharing the file must not see each
// other's unsynced commits, so they sync every commit. PostgreSQL commits synchronously.
cmd::ServeStoreOptions StoreOptionsFrom(const config::Config& cfg) {
  cmd::ServeStoreOptions o;
  o.data_dir = cfg.data_dir;
  o.db_uri = cfg.db;
  o.deferred_sync = !ShareDatabase(cfg);
  return o;
}

// Nonces in memory for one process, in the shared database for several.
std::unique_ptr<sa::NonceService> NewNonceService(const config::Config& cfg,
                                                  sa::NonceStore& nonce_store,
                                                  core::Random& random, const core::Clock& clock) {
  const auto lifetime = std::chrono::seconds(cfg.nonce_lifetime_seconds);
  if (ShareDatabase(cfg)) {
    return std::make_unique<sa::SqlNonceService>(nonce_store, random, clock, lifetime);
  }
  return std::make_unique<sa::MemoryNonceService>(random, clock, lifetime);
}

va::VaOptions VaOptionsFrom(const config::Config& cfg) {
  va::VaOptions o;
  o.http01_port = cfg.http01_port;
  o.tlsalpn01_port = cfg.tlsalpn01_port;
  o.allow_private_targets = cfg.allow_private_targets;
  o.caa_identities = cfg.caa_identities;
  o.timeout = cfg.validation_timeout;
  o.max_in_flight = static_cast<size_t>(cfg.max_validations_in_flight);
  return o;
}

// [rate-limits] as the RA's limiter takes it. config checked every name.
ra::RateLimitConfig RateLimitConfigFrom(const config::RateLimitsConfig& cfg) {
  auto rate = [](const config::RateConfig& r) {
    return ra::Rate{r.count, std::chrono::duration_cast<std::chrono::milliseconds>(r.period)};
  };
  ra::RateLimitConfig out;
  for (const auto& [name, r] : cfg.rates) {
    if (auto limit = ra::LimitFromName(name)) out.rates[*limit] = rate(r);
  }
  for (const config::RateOverrideConfig& o : cfg.overrides) {
    if (auto limit = ra::LimitFromName(o.limit)) out.overrides[{*limit, o.key}] = rate(o.rate);
  }
  out.max_pending_authorizations = cfg.pending_authorizations_per_account;
  return out;
}

ra::RaOptions RaOptionsFrom(const config::Config& cfg, const std::string& base_url,
                            const cmd::CertificateUrls& cert_urls) {
  ra::RaOptions o;
  o.terms_of_service = cfg.terms_of_service;
  o.max_contacts = cfg.max_contacts;
  o.external_account_required = cfg.external_account_required;
  o.order_lifetime = std::chrono::hours(cfg.order_lifetime_hours);
  o.authz_lifetime = std::chrono::hours(cfg.authz_lifetime_hours);
  o.cert_validity = std::chrono::hours(24 * cfg.cert_validity_days);
  o.validation_workers = cfg.validation_workers;
  o.max_pending_validations_per_account = cfg.max_pending_validations_per_account;
  o.shared_database = ShareDatabase(cfg);
  o.account_url_prefix = base_url + "/acme/acct/";
  o.issuer_url = cert_urls.issuer;
  o.crl_url = cert_urls.crl;
  o.ocsp_url = cert_urls.ocsp;
  o.profiles = RaProfiles(cfg);
  o.default_profile = cfg.default_profile;
  return o;
}

wfe::WfeOptions WfeOptionsFrom(const config::Config& cfg, const std::string& base_url,
                               const ca::CaMaterial& ca) {
  wfe::WfeOptions o;
  o.base_url = base_url;
  o.issuer_pem = ca.intermediate_pem;
  for (size_t k = 1; k < ca.chains.size(); ++k) o.alternate_chains_pem.push_back(ca.chains[k].chain_pem);
  o.terms_of_service = cfg.terms_of_service;
  o.website = cfg.website;
  o.caa_identities = cfg.caa_identities;
  o.external_account_required = cfg.external_account_required;
  return o;
}

// The HTTPS listener's options; fails when its key cannot be read.
core::Result<wfe::HttpServerOptions> HttpOptionsFrom(const config::Config& cfg,
                                                     const config::HostPort& listen,
                                                     const ca::CaMaterial& ca,
                                                     core::DurabilityBarrier* durability,
                                                     const cmd::ServeHooks& hooks) {
  wfe::HttpServerOptions o;
  o.listen_host = listen.host;
  o.listen_port = listen.port;
  o.tls_cert_chain_pem = ca.tls_chain_pem;
  auto tls_key = ReadFile(ca.tls_key_path);
  if (!tls_key) return core::Err(core::ErrorType::kInternal, "cannot read " + ca.tls_key_path);
  o.tls_key_pem = std::move(*tls_key);
  if (!hooks.tls_cert_chain_pem.empty()) {
    o.tls_cert_chain_pem = hooks.tls_cert_chain_pem;
    o.tls_key_pem = hooks.tls_key_pem;
  }
  o.io_threads = cfg.io_threads;
  o.worker_threads = cfg.worker_threads;
  o.max_connections_per_ip = cfg.max_connections_per_ip;
  o.proxy_protocol = cfg.proxy_protocol;
  o.durability = durability;
  return o;
}

int Serve(const config::Config& cfg, const cmd::ServeHooks& hooks) {
  // The stop signals are blocked before any thread starts (the resolver's, the RA's workers,
  // the store's), so that every thread inherits the mask and only the main thread's sigwait
  // below takes them; a start-up wait (the database) polls for them instead.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // SIGHUP (systemctl reload) is taken by the same sigwait: reopen the audit log, forget cached
  // accounts. Blocked with the stop signals, so the start-up waits below do not take it.
  sigset_t wait_signals = stop_signals;
  sigaddset(&wait_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &wait_signals, nullptr);
  ConfigureLogging(cfg.log_level, cfg.log_format);
  const rlim_t open_files = RaiseFileLimit();
  const std::optional<ConnectionCaps> caps = ConnectionCapsFor(open_files, cfg);
  if (!caps) {
    return Fail("the open files limit (" + std::to_string(open_files) +
                ") is too low to serve; raise it (ulimit -n, LimitNOFILE=)");
  }
  spdlog::info("connection caps: {} ACME, {} status, {} validations in flight (open files limit "
               "{})", caps->acme, caps->status, caps->validations, open_files);
  if (caps->validations < cfg.max_validations_in_flight) {
    spdlog::warn("--max-validations-in-flight {} lowered to {} to fit the open files limit {}",
                 cfg.max_validations_in_flight, caps->validations, open_files);
  }
  auto listen = config::SplitHostPort(cfg.listen);
  if (!listen.ok()) return Fail("--listen: " + listen.error().detail);

  core::SystemClock clock;
  core::SecureRandom random;

  // Step 1: the CA (generated on first start, loaded afterwards; never silently replaced).
  auto ca = ca::LoadOrCreateCa(cfg.data_dir, cfg.tls_names, clock, random, {cmd::kStoreFile},
                               {cfg.chain_length, cfg.alternate_roots});
  if (!ca.ok()) return Fail("CA in " + cfg.data_dir + ": " + ca.error().detail);

  // Step 2: storage and nonces.
  cmd::ServeStoreOptions store_options = StoreOptionsFrom(cfg);
  store_options.wait = [&stop_signals](std::chrono::milliseconds delay) {
    const timespec ts{static_cast<time_t>(delay.count() / 1000),
                      static_cast<long>((delay.count() % 1000) * 1000000)};
    return sigtimedwait(&stop_signals, nullptr, &ts) < 0;  // a stop signal: give up
  };
  auto store = cmd::OpenServeStore(store_options, clock);
  if (!store.ok()) return Fail("store: " + store.error().detail);
  // Accounts are kept in memory only where no other process changes them (one per database).
  std::unique_ptr<sa::CachingStore> caching_store;
  if (!ShareDatabase(cfg)) caching_store = std::make_unique<sa::CachingStore>(*store->store);
  sa::Store& storage = caching_store ? static_cast<sa::Store&>(*caching_store) : *store->store;
  std::unique_ptr<sa::NonceService> nonces = NewNonceService(cfg, *store->nonces, random, clock);
  if (hooks.wrap_nonces) nonces = hooks.wrap_nonces(std::move(nonces));
  // One database, one CA: instances share the CA by copying the first one's data directory, and
  // one started with a directory of its own would otherwise issue from a second CA.
  const std::string root_sha256 = ca::CertFingerprintSha256(ca->root_cert.get());
  auto bound = store->store->BindCa(root_sha256);
  if (!bound.ok()) return Fail("store: " + bound.error().detail);
  if (*bound != root_sha256) {
    return Fail("the database belongs to another CA (root SHA-256 " + *bound + ") than " +
                cfg.data_dir + "/root.pem (" + root_sha256 + "). Instances on one database " +
                "share its CA: replace this data directory's root.pem, intermediate.pem, " +
                "intermediate.key, tls.pem, tls.key and ca.json with the first instance's " +
                "(docs/SCALE-OUT.md)");
  }
  if (hooks.prepare_store) {
    if (auto prepared = hooks.prepare_store(storage, clock); !prepared.ok())
      return Fail("store: " + prepared.error().detail);
  }

  // Step 3: the authorities.
  std::string base_url = cfg.base_url.empty() ? DefaultBaseUrl(*listen) : cfg.base_url;
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();

  auto policy_opts = IdentifierPolicyOptionsFrom(cfg);
  if (!policy_opts.ok()) return Fail(policy_opts.error().detail);
  policy::IdentifierPolicy policy(*policy_opts);

  std::unique_ptr<va::UnboundResolver> resolver;
  std::unique_ptr<va::ValidationAuthority> va;
  std::unique_ptr<ra::Validator> validator;
  if (cfg.skip_validation) {
    spdlog::warn("SKIP-VALIDATION IS ON: every challenge succeeds without any check. "
                 "Never use this outside development and benchmarks.");
    validator = std::make_unique<ra::SkipValidator>();
  } else {
    auto r = va::UnboundResolver::Create(cfg.dns_resolver);
    if (!r.ok()) return Fail("DNS resolver: " + r.error().detail);
    resolver = std::move(r).value();
    va::VaOptions va_options = VaOptionsFrom(cfg);
    va_options.max_in_flight = static_cast<size_t>(caps->validations);
    va = std::make_unique<va::ValidationAuthority>(std::move(va_options), *resolver);
    validator = std::make_unique<cmd::VaValidator>(*va);
    auto remote = cmd::WithRemotePerspectives(cfg, std::move(validator));  // --perspective
    if (!remote.ok()) return Fail("--perspective: " + remote.error().detail);
    validator = std::move(remote).value();
  }
  if (hooks.wrap_validator) validator = hooks.wrap_validator(std::move(validator));
  ca::OcspOptions ocsp_options;
  ocsp_options.validity = cfg.ocsp_lifetime;
  cmd::LocalCertificateAuthority authority(*ca, random, ocsp_options);

  // The plain-HTTP listener for CRL, OCSP and the issuer certificate, when configured; it
  // decides the URLs written into certificates.
  std::unique_ptr<cmd::StatusListener> status;
  cmd::CertificateUrls cert_urls = cmd::UrlsWithoutListener(cfg);
  if (!cfg.http_listen.empty()) {
    auto s = cmd::StatusListener::Start(cfg, *ca, authority, storage, clock,
                                        store->durability, caps->status);
    if (!s.ok()) return Fail("--http-listen " + cfg.http_listen + ": " + s.error().detail);
    status = std::move(s).value();
    cert_urls = status->urls();
  }

  // Prometheus metrics (--metrics-listen): counted only when someone can scrape them. Declared
  // before the RA, whose validation workers still count while it is destroyed.
  std::unique_ptr<metrics::PrometheusMetrics> prometheus;
  if (!cfg.metrics_listen.empty()) prometheus = std::make_unique<metrics::PrometheusMetrics>();
  // Audit records: in the log, and in --audit-log's file. Before the RA, which records while its
  // workers finish.
  std::unique_ptr<cmd::AuditFile> audit_file;
  if (!cfg.audit_log.empty()) {
    auto opened = cmd::AuditFile::Open(cfg.audit_log);
    if (!opened.ok()) return Fail("--audit-log: " + opened.error().detail);
    audit_file = std::move(opened).value();
  }
  cmd::LogAuditLog audit(audit_file.get());
  ra::RateLimiter rate_limiter(RateLimitConfigFrom(cfg.rate_limits), storage, clock,
                               policy_opts->psl);
  ra::RaOptions ra_options = RaOptionsFrom(cfg, base_url, cert_urls);
  ra_options.authz_reuse_percent = hooks.authz_reuse_percent;
  ra::RegistrationAuthority ra(std::move(ra_options), storage, clock, random, policy, *validator,
                               authority);
  if (prometheus) ra.SetMetrics(*prometheus);
  ra.SetAuditLog(audit);
  ra.SetRateLimiter(rate_limiter);
  ra.RecoverAbandonedWork();
  // Sharing the database, the work of an instance that dies meanwhile is taken over here once
  // its lease runs out (sa/store.h "Leases").
  std::unique_ptr<cmd::PeriodicTask> recovery;
  if (ShareDatabase(cfg)) {
    recovery = std::make_unique<cmd::PeriodicTask>(std::chrono::seconds(30),
                                                   [&ra] { ra.RecoverAbandonedWork(); });
  }
  // Retention (docs/OPERATIONS.md): expired rows purged in the background.
  const cmd::RetentionWindows retention{cfg.retain_expired_orders,
                                        cfg.retain_expired_authorizations};
  cmd::PeriodicTask purge(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.purge_interval),
                          [&storage, &retention, &clock] {
                            (void)cmd::RunPurge(storage, retention, clock);
                          });
  if (status) {
    ra.SetRevocationListener([&status](const core::Certificate&) { status->CrlChanged(); });
  }

  wfe::WfeOptions wfe_options = WfeOptionsFrom(cfg, base_url, *ca);
  wfe_options.directory_alias = hooks.directory_alias;
  wfe_options.order_retry_after_seconds = hooks.order_retry_after_seconds;
  wfe_options.authz_retry_after_seconds = hooks.authz_retry_after_seconds;
  wfe_options.orders_page_size = hooks.orders_page_size;
  wfe::WebFrontEnd front(std::move(wfe_options), ra, storage, *nonces, clock);

  // Step 4: the HTTPS listener.
  auto http_opts = HttpOptionsFrom(cfg, *listen, *ca, store->durability, hooks);
  if (!http_opts.ok()) return Fail(http_opts.error().detail);
  http_opts->max_connections = caps->acme;
  wfe::HttpServer server(*http_opts, [&front](wfe::HttpRequest& r) { return front.Handle(r); });
  server.SetInlineHandler([&front](wfe::HttpRequest& r) { return front.HandleInline(r); });
  server.SetErrorHeaders([&front](wfe::HttpResponse& r) { front.AddErrorHeaders(r); });
  if (prometheus) {
    server.SetRequestObserver([m = prometheus.get()](const wfe::RequestRecord& r) {
      m->HttpRequest(wfe::EndpointName(r.path), static_cast<int>(r.status), r.elapsed);
    });
  }

  std::unique_ptr<cmd::MetricsListener> metrics_listener;
  if (prometheus) {
    auto m = cmd::MetricsListener::Start(cfg.metrics_listen, *prometheus);
    if (!m.ok()) return Fail("--metrics-listen " + cfg.metrics_listen + ": " + m.error().detail);
    metrics_listener = std::move(m).value();
  }
  auto started = server.Start();
  if (!started.ok()) return Fail("listen on " + cfg.listen + ": " + started.error().detail);
  spdlog::info("flint serving ACME at {}/directory (data {}, root certificate {}/root.pem)",
               base_url, cfg.data_dir, cfg.data_dir);
  std::unique_ptr<cmd::ExtraListener> extra_listener;
  if (hooks.start_listener) {
    auto l = hooks.start_listener(cmd::ServeContext{*ca, storage, clock});
    if (!l.ok()) {
      server.Stop();
      return Fail(l.error().detail);
    }
    extra_listener = std::move(l).value();
  }

  int sig = 0;
  while (sigwait(&wait_signals, &sig) == 0 && sig == SIGHUP) {
    if (audit_file) {
      auto reopened = audit_file->Reopen();
      if (!reopened.ok()) spdlog::error("SIGHUP: {}", reopened.error().detail);
    }
    if (caching_store) caching_store->ClearAccounts();
    spdlog::info("SIGHUP: audit log reopened, cached accounts dropped");
  }
  spdlog::info("signal {}: finishing in-flight requests", sig);
  if (extra_listener) extra_listener->Stop();
  server.Stop();
  if (status) status->Stop();
  if (metrics_listener) metrics_listener->Stop();
  // Destruction in reverse order: the RA joins its validation workers before the store closes.
  spdlog::info("flint stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace flint

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << flint::kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "serve") {
    args.erase(args.begin());
    auto cfg = flint::config::ParseServeArgs(args);
    if (!cfg.ok()) {
      std::cerr << "flint serve: " << cfg.error().detail << "\n";
      return 2;
    }
    if (!cfg->has_value()) return 0;  // --help
    int rc = flint::Serve(**cfg, {});
    spdlog::shutdown();  // flushes buffered log lines, stops the periodic flusher
    return rc;
  }
  if (args[0] == "pebble") {
    args.erase(args.begin());
    int rc = flint::cmd::RunPebble(args, &flint::Serve);
    spdlog::shutdown();
    return rc;
  }
  if (args[0] == "admin") {
    args.erase(args.begin());
    return flint::cmd::RunAdmin(args, std::cout, std::cerr, flint::cmd::OpenExistingStore);
  }
  if (args[0] == "va-agent") {
    args.erase(args.begin());
    int rc = flint::cmd::RunVaAgent(args);
    spdlog::shutdown();
    return rc;
  }
  std::cerr << "flint: unknown command '" << args[0] << "'\n" << flint::kUsage;
  return 2;
}
