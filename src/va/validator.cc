#include "va/validator.h"

#include <algorithm>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "va/caa.h"
#include "va/challenges.h"
#include "va/fair_scheduler.h"

namespace flint::va {

using core::Err;
using core::ErrorType;
using core::Result;

std::string DnsAccountLabel(std::string_view account_uri) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  const std::string digest = internal::Sha256(account_uri);
  // 10 bytes = 80 bits = 16 base32 characters exactly: no padding to strip.
  std::string label = "_";
  uint64_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < 10; ++i) {
    buffer = (buffer << 8) | static_cast<unsigned char>(digest[i]);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      label.push_back(kAlphabet[(buffer >> bits) & 31]);
    }
  }
  return label;
}

namespace {

namespace asio = boost::asio;
using internal::Attempt;
using internal::Task;

Task<Result<void>> RunChallenge(Attempt& at, const VaOptions& options, Resolver& resolver,
                                const ValidationJob& job) {
  const core::Identifier& id = job.identifier;
  switch (job.type) {
    case core::ChallengeType::kHttp01:
      co_return co_await internal::ValidateHttp01(at, options, resolver, id, job.token,
                                                  job.key_authorization);
    case core::ChallengeType::kTlsAlpn01:
      co_return co_await internal::ValidateTlsAlpn01(at, options, resolver, id,
                                                     job.key_authorization);
    case core::ChallengeType::kDns01: {
      // RFC 8738 §7: dns-01 is not defined for IP identifiers.
      if (id.type != core::IdentifierType::kDns) {
        co_return Err(ErrorType::kMalformed, "dns-01 cannot validate an IP address identifier");
      }
      FLINT_CO_ASSIGN_OR_RETURN(std::string name, internal::NormalizeDnsName(id.value));
      co_return co_await internal::ValidateDns01(at, resolver, "_acme-challenge." + name,
                                                 job.key_authorization);
    }
    case core::ChallengeType::kDnsAccount01: {
      if (id.type != core::IdentifierType::kDns) {
        co_return Err(ErrorType::kMalformed,
                      "dns-account-01 cannot validate an IP address identifier");
      }
      if (job.account_uri.empty()) {
        co_return Err(ErrorType::kServerInternal, "dns-account-01 needs the account's URL");
      }
      FLINT_CO_ASSIGN_OR_RETURN(std::string name, internal::NormalizeDnsName(id.value));
      co_return co_await internal::ValidateDns01(
          at, resolver, DnsAccountLabel(job.account_uri) + "._acme-challenge." + name,
          job.key_authorization);
    }
  }
  co_return Err(ErrorType::kMalformed, "unknown challenge type");
}

}  // namespace

namespace internal {

Task<Result<void>> CheckCaa(Attempt& at, const VaOptions& options, Resolver& resolver,
                            const core::Identifier& id, bool wildcard,
                            const std::string& account_uri, core::ChallengeType method) {
  // CAA applies to domain names only (RFC 8659 §3; RFC 8738 defines nothing for IPs).
  if (id.type != core::IdentifierType::kDns) co_return core::Ok();
  FLINT_CO_ASSIGN_OR_RETURN(std::string name, NormalizeDnsName(id.value));
  CaaRequest request;
  request.wildcard = wildcard || id.value.rfind("*.", 0) == 0;
  request.identities = options.caa_identities;
  request.account_uri = account_uri;
  request.method = std::string(core::ToString(method));
  // RFC 8659 §3: the relevant record set is the first non-empty one found climbing from the name
  // toward the root, stopping before the root itself. Every label is asked at once, so the climb
  // costs one round trip, not one per label.
  std::vector<std::string> labels;
  for (std::string_view current = name;;) {
    labels.emplace_back(current);
    size_t dot = current.find('.');
    if (dot == std::string_view::npos) break;
    current.remove_prefix(dot + 1);
  }
  std::vector<Result<CaaAnswer>> answers = co_await LookupCaaAll(at, resolver, labels);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!answers[i].ok()) {
      // RFC 8659 §3: a failed lookup must not be taken as permission.
      core::Error error = std::move(answers[i]).error();
      error.type = ErrorType::kDns;
      error.detail = "CAA check for " + name + " failed: " + error.detail;
      co_return error;
    }
    if (!answers[i]->records.empty()) {
      co_return EvaluateCaaSet(answers[i]->records, request, labels[i]);
    }
  }
  co_return core::Ok();
}

}  // namespace internal

struct ValidationAuthority::Impl {
  VaOptions options;
  Resolver& resolver;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  FairScheduler scheduler;
  std::vector<std::thread> threads;

  Impl(VaOptions o, Resolver& r)
      : options(std::move(o)),
        resolver(r),
        io(std::max(1, options.io_threads)),
        work(io.get_executor()),
        scheduler(options.max_in_flight) {
    SSL_CTX* ctx = tls.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    // Servers often close without close_notify; framing (Content-Length, chunked) catches
    // truncation.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    for (int i = 0; i < std::max(1, options.io_threads); ++i) {
      threads.emplace_back([this] { io.run(); });
    }
  }

  ~Impl() {
    work.reset();
    io.stop();
    for (std::thread& t : threads) t.join();
  }

  Task<ValidationReport> Run(ValidationJob job, bool challenge) {
    const auto started = Attempt::Clock::now();
    Attempt at(co_await asio::this_coro::executor, started + options.timeout, tls);
    Result<void> result = core::Ok();
    if (challenge) result = co_await RunChallenge(at, options, resolver, job);
    if (result.ok() && (!challenge || job.check_caa)) {
      result = co_await internal::CheckCaa(at, options, resolver, job.identifier, job.wildcard,
                                           job.account_uri, job.type);
    }
    ValidationReport report;
    report.result = std::move(result);
    report.addresses = std::move(at.addresses);
    report.records = std::move(at.records);
    report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        Attempt::Clock::now() - started);
    co_return report;
  }

  void Submit(ValidationJob job, bool challenge, Done done) {
    const std::string key = job.account_uri;
    scheduler.Submit(key, [this, job = std::move(job), challenge,
                           done = std::move(done)]() mutable {
      asio::co_spawn(asio::make_strand(io), Run(std::move(job), challenge),
                     [this, done = std::move(done)](std::exception_ptr e,
                                                    ValidationReport report) {
                       if (e) {
                         // Nothing in an attempt throws by design; should something (bad_alloc),
                         // the challenge fails cleanly rather than taking the process down.
                         report = ValidationReport();
                         report.result = Err(ErrorType::kServerInternal, "validation failed");
                       }
                       scheduler.Finished();
                       done(std::move(report));
                     });
    });
  }

  ValidationReport Wait(ValidationJob job, bool challenge) {
    std::promise<ValidationReport> promise;
    auto report = promise.get_future();
    Submit(std::move(job), challenge,
           [&promise](ValidationReport r) { promise.set_value(std::move(r)); });
    return report.get();
  }
};

ValidationAuthority::ValidationAuthority(VaOptions options, Resolver& resolver)
    : impl_(std::make_unique<Impl>(std::move(options), resolver)) {}

ValidationAuthority::~ValidationAuthority() = default;

const VaOptions& ValidationAuthority::options() const { return impl_->options; }

void ValidationAuthority::ValidateAsync(ValidationJob job, Done done) const {
  impl_->Submit(std::move(job), /*challenge=*/true, std::move(done));
}

void ValidationAuthority::CheckCaaAsync(ValidationJob job, Done done) const {
  impl_->Submit(std::move(job), /*challenge=*/false, std::move(done));
}

size_t ValidationAuthority::in_flight() const { return impl_->scheduler.in_flight(); }
size_t ValidationAuthority::queued() const { return impl_->scheduler.queued(); }

Result<void> ValidationAuthority::Validate(const core::Identifier& id, core::ChallengeType type,
                                           const std::string& token,
                                           const std::string& key_authorization,
                                           const std::string& account_uri) const {
  ValidationJob job;
  job.identifier = id;
  job.type = type;
  job.token = token;
  job.key_authorization = key_authorization;
  job.account_uri = account_uri;
  job.check_caa = false;
  return impl_->Wait(std::move(job), /*challenge=*/true).result;
}

Result<void> ValidationAuthority::CheckCaa(const core::Identifier& id, bool wildcard,
                                           const std::string& account_uri,
                                           core::ChallengeType method) const {
  ValidationJob job;
  job.identifier = id;
  job.wildcard = wildcard;
  job.type = method;
  job.account_uri = account_uri;
  return impl_->Wait(std::move(job), /*challenge=*/false).result;
}

}  // namespace flint::va
