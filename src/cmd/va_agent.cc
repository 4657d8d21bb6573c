#include "cmd/va_agent.h"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <iostream>

#include <spdlog/spdlog.h>

#include "ca/openssl_util.h"
#include "config/config.h"
#include "perspective/agent_server.h"
#include "perspective/credentials.h"
#include "va/resolver.h"
#include "va/validator.h"

namespace flint::cmd {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxObserved = 32;

struct AgentArgs {
  std::string data_dir;
  std::string listen;
  std::string dns_resolver;
  uint16_t http01_port = 80;
  uint16_t tlsalpn01_port = 443;
  bool allow_private_targets = false;
  int workers = 16;
  std::string log_level = "info";
};

// What this perspective saw, for the CA's audit record (BR §5.4.1): the TXT records at the
// challenge's name (dns-01, dns-account-01) or the target's addresses (http-01, tls-alpn-01),
// looked up again right after the check from the same resolver (va::ValidationAuthority does not
// expose its own lookups, so a record that changed in between can differ). A failed lookup adds
// nothing: the check's own error already says what went wrong.
void Observe(va::Resolver& resolver, const ra::ValidationRequest& r,
             ra::PerspectiveReport& report) {
  if (r.identifier.type == core::IdentifierType::kIp) {
    report.addresses.push_back(r.identifier.value);
    return;
  }
  std::string name = r.identifier.value;
  if (name.rfind("*.", 0) == 0) name.erase(0, 2);
  if (r.type == core::ChallengeType::kDns01 || r.type == core::ChallengeType::kDnsAccount01) {
    std::string query = "_acme-challenge." + name;
    if (r.type == core::ChallengeType::kDnsAccount01) {
      query = va::DnsAccountLabel(r.account_uri) + "." + query;
    }
    if (auto txt = resolver.LookupTxt(query); txt.ok()) {
      for (const std::string& t : *txt) {
        if (report.records.size() == kMaxObserved) break;  // perspective/wire.h's bounds
        report.records.push_back((query + " TXT \"" + t + "\"").substr(0, 1000));
      }
    }
  } else if (auto ips = resolver.LookupIp(name); ips.ok()) {
    report.addresses = *ips;
    if (report.addresses.size() > kMaxObserved) report.addresses.resize(kMaxObserved);
  }
}

// Runs one request on the calling (pool) thread: the agent's own VA, with the CA's CAA
// identities. ValidationAuthority is a light value (options and a resolver reference), so one
// is made per request.
ra::PerspectiveReport RunCheck(const va::VaOptions& base, va::Resolver& resolver,
                               perspective::AgentOp op,
                               const perspective::AgentRequest& request) {
  const Clock::time_point started = Clock::now();
  va::VaOptions options = base;
  options.caa_identities = request.caa_identities;
  va::ValidationAuthority va(options, resolver);
  const ra::ValidationRequest& r = request.request;
  core::Result<void> result = core::Ok();
  if (op == perspective::AgentOp::kValidate) {
    result = va.Validate(r.identifier, r.type, r.token, r.key_authorization, r.account_uri);
  }
  if (result.ok() && (op == perspective::AgentOp::kCaa || r.check_caa)) {
    result = va.CheckCaa(r.identifier, r.wildcard, r.account_uri, r.type);
  }
  ra::PerspectiveReport report;
  if (!result.ok()) report.error = result.error();
  if (op == perspective::AgentOp::kValidate) Observe(resolver, r, report);
  if (report.error && (report.error->type == core::ErrorType::kInternal ||
                       report.error->type == core::ErrorType::kServerInternal)) {
    // The detail of an internal failure is this host's business: logged here, not sent.
    spdlog::error("va-agent internal error: {}", report.error->detail);
    report.error = core::Err(core::ErrorType::kServerInternal, "internal error in the perspective");
  }
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  spdlog::info("va-agent {} {} {} {}: {} ({} ms)",
               op == perspective::AgentOp::kCaa ? "caa" : "validate",
               core::ToString(r.identifier.type), r.identifier.value, core::ToString(r.type),
               report.error ? std::string(core::ErrorTypeName(report.error->type)) + " :: " +
                                  report.error->detail
                            : std::string("valid"),
               report.elapsed.count());
  return report;
}

int Serve(const AgentArgs& a) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  spdlog::set_level(spdlog::level::from_str(a.log_level));

  auto listen = config::SplitHostPort(a.listen);
  if (!listen.ok()) {
    spdlog::critical("--listen: {}", listen.error().detail);
    return 2;
  }
  auto identity = perspective::LoadAgentIdentity(a.data_dir);
  if (!identity.ok()) {
    spdlog::critical("agent credentials in {}: {}", a.data_dir, identity.error().detail);
    return 1;
  }
  auto resolver = va::UnboundResolver::Create(a.dns_resolver);
  if (!resolver.ok()) {
    spdlog::critical("DNS resolver: {}", resolver.error().detail);
    return 1;
  }
  va::VaOptions base;
  base.http01_port = a.http01_port;
  base.tlsalpn01_port = a.tlsalpn01_port;
  base.allow_private_targets = a.allow_private_targets;
  boost::asio::thread_pool pool(static_cast<size_t>(a.workers));
  va::Resolver& dns = **resolver;

  perspective::AgentServerOptions options;
  options.listen_host = listen->host;
  options.listen_port = listen->port;
  options.identity = *identity;
  ca::Cleanse(identity->key_pem);
  const std::string name = identity->name;
  auto handler = [&pool, &base, &dns](perspective::AgentOp op, perspective::AgentRequest request,
                                      std::function<void(ra::PerspectiveReport)> done) {
    boost::asio::post(pool, [&base, &dns, op, request = std::move(request),
                             done = std::move(done)] { done(RunCheck(base, dns, op, request)); });
  };
  auto server = perspective::AgentServer::Start(std::move(options), handler);
  if (!server.ok()) {
    spdlog::critical("va-agent on {}: {}", a.listen, server.error().detail);
    return 1;
  }
  spdlog::info("flint va-agent {} listening on {}:{} (mutual TLS)", name, listen->host,
               (*server)->port());
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: va-agent stopping", sig);
  (*server)->Stop();
  pool.join();
  spdlog::info("va-agent stopped cleanly");
  return 0;
}

}  // namespace

int RunVaAgent(const std::vector<std::string>& args) {
  AgentArgs a;
  CLI::App app{"flint va-agent: a remote validation perspective (CA/B Forum BR 3.2.2.9)",
               "flint va-agent"};
  app.add_option("--data", a.data_dir,
                 "agent directory written by flint admin perspective add --out")
      ->required();
  app.add_option("--listen", a.listen, "HOST:PORT of the mutual-TLS API")->required();
  app.add_option("--dns-resolver", a.dns_resolver,
                 "DNS resolver HOST:PORT for validation and CAA (default: system resolvers)");
  app.add_option("--http01-port", a.http01_port, "port http-01 validation connects to")
      ->capture_default_str();
  app.add_option("--tlsalpn01-port", a.tlsalpn01_port, "port tls-alpn-01 validation connects to")
      ->capture_default_str();
  app.add_flag("--allow-private-targets", a.allow_private_targets,
               "let validation reach private, loopback and reserved addresses (tests only)");
  app.add_option("--validation-workers", a.workers, "concurrent validations")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--log-level", a.log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  try {
    std::vector<std::string> rev(args.rbegin(), args.rend());
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "flint va-agent: " << e.what() << "\n";
    return 2;
  }
  return Serve(a);
}

}  // namespace flint::cmd
