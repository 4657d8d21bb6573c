#include "ra/rate_limits.h"

#include <algorithm>
#include <array>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "sa/store.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {

constexpr std::array<std::pair<Limit, std::string_view>, 5> kNames = {{
    {Limit::kNewAccountsPerIp, "new-accounts-per-ip"},
    {Limit::kNewOrdersPerAccount, "new-orders-per-account"},
    {Limit::kCertificatesPerDomain, "certificates-per-domain"},
    {Limit::kDuplicateCertificates, "duplicate-certificates"},
    {Limit::kFailedValidationsPerAccountPerName, "failed-validations-per-account-per-name"},
}};

// GCRA's emission interval T = period / count, rounded up so that `count` events never take
// less than `period` to earn back. Only for count > 0.
int64_t IntervalMs(const Rate& rate) { return (rate.period.count() + rate.count - 1) / rate.count; }

// failed-validations-per-account-per-name's key: "ACCOUNT:NAME", a wildcard by its base name.
std::string FailedValidationKey(core::AccountId account, std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  return std::to_string(account.value) + ":" + std::string(name);
}

int64_t EpochMs(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// "3h", "90m", "2d" for a detail: the largest unit that divides the period.
std::string PeriodText(std::chrono::milliseconds period) {
  const int64_t s = period.count() / 1000;
  if (s > 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace

std::string_view LimitName(Limit limit) {
  for (const auto& [l, name] : kNames)
    if (l == limit) return name;
  return "";
}

std::optional<Limit> LimitFromName(std::string_view name) {
  for (const auto& [l, n] : kNames)
    if (n == name) return l;
  return std::nullopt;
}

std::optional<int64_t> GcraAdmit(const Rate& rate, std::optional<int64_t> tat_ms, int64_t now_ms,
                                 int64_t cost, std::chrono::milliseconds* retry_after) {
  const int64_t period = rate.period.count();
  if (rate.count <= 0 || period <= 0 || cost > rate.count) {
    // Nothing is ever admitted: try again after a whole period.
    if (retry_after) *retry_after = std::chrono::milliseconds(std::max<int64_t>(period, 1000));
    return std::nullopt;
  }
  const int64_t interval = IntervalMs(rate);
  const int64_t start = std::max(tat_ms.value_or(now_ms), now_ms);
  const int64_t new_tat = start + cost * interval;
  if (new_tat - now_ms <= period) return new_tat;
  if (retry_after) *retry_after = std::chrono::milliseconds(new_tat - period - now_ms);
  return std::nullopt;
}

RateLimiter::RateLimiter(RateLimitConfig config, sa::Store& store, const core::Clock& clock,
                         std::shared_ptr<const policy::PublicSuffixList> psl)
    : config_(std::move(config)), store_(store), clock_(clock), psl_(std::move(psl)) {}

std::string RateLimiter::RegisteredDomain(const core::Identifier& identifier) const {
  if (identifier.type == core::IdentifierType::kIp) return identifier.value;
  std::string_view name = identifier.value;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (psl_) {
    if (std::optional<std::string> domain = psl_->RegistrableDomain(name)) return *domain;
    return std::string(name);  // itself a public suffix (refused by policy anyway)
  }
  // No list: the last two labels.
  size_t last = name.rfind('.');
  if (last == std::string_view::npos || last == 0) return std::string(name);
  size_t before = name.rfind('.', last - 1);
  return std::string(before == std::string_view::npos ? name : name.substr(before + 1));
}

std::string RateLimiter::AddressKey(std::string_view client_address) {
  const std::string text(client_address);
  in6_addr v6{};
  if (text.find(':') != std::string::npos && inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    // One subscriber usually holds a whole /64 (RFC 6177): count them together.
    std::fill(v6.s6_addr + 8, v6.s6_addr + 16, 0);
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
    return std::string(buf) + "/64";
  }
  return text;
}

std::string RateLimiter::NamesKey(const std::vector<core::Identifier>& identifiers) {
  std::vector<std::string> names;
  for (const core::Identifier& id : identifiers) names.push_back(id.value);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string key;
  for (const std::string& n : names) key += (key.empty() ? "" : ",") + n;
  return key;
}

std::vector<std::string> RateLimiter::RegisteredDomains(
    const std::vector<core::Identifier>& identifiers) const {
  std::vector<std::string> domains;
  for (const core::Identifier& id : identifiers) domains.push_back(RegisteredDomain(id));
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  return domains;
}

Result<void> RateLimiter::NewAccount(std::string_view client_address) {
  if (!enabled(Limit::kNewAccountsPerIp) || client_address.empty()) return core::Ok();
  return Spend(Limit::kNewAccountsPerIp, AddressKey(client_address));
}

Result<void> RateLimiter::NewOrder(core::AccountId account,
                                   const std::vector<core::Identifier>& identifiers,
                                   int64_t new_authorizations) {
  FLINT_TRY(CheckPendingAuthorizations(account, new_authorizations));
  const std::string account_key = std::to_string(account.value);
  if (enabled(Limit::kFailedValidationsPerAccountPerName)) {
    for (const core::Identifier& id : identifiers) {
      FLINT_TRY(Check(Limit::kFailedValidationsPerAccountPerName,
                      FailedValidationKey(account, id.value)));
    }
  }
  FLINT_TRY(CheckIssuance(identifiers));
  return Spend(Limit::kNewOrdersPerAccount, account_key);
}

Result<void> RateLimiter::CheckIssuance(const std::vector<core::Identifier>& identifiers) {
  if (enabled(Limit::kCertificatesPerDomain)) {
    for (const std::string& d : RegisteredDomains(identifiers)) FLINT_TRY(Check(Limit::kCertificatesPerDomain, d));
  }
  if (enabled(Limit::kDuplicateCertificates))
    FLINT_TRY(Check(Limit::kDuplicateCertificates, NamesKey(identifiers)));
  return core::Ok();
}

void RateLimiter::RecordIssuance(const std::vector<core::Identifier>& identifiers) {
  // The certificate exists: spend even past the limit, so the next order sees it. A failure to
  // record is logged by the caller's store and otherwise ignored: it must not fail issuance.
  auto force = [&](Limit limit, const std::string& key) {
    const Rate* rate = RateFor(limit, key);
    if (rate == nullptr) return;
    const int64_t now = EpochMs(clock_.Now());
    const int64_t interval = rate->count > 0 ? IntervalMs(*rate) : 0;
    (void)store_.UpdateRateLimit(std::string(LimitName(limit)) + ":" + key,
                                 [&](std::optional<int64_t> tat) {
                                   return std::optional<int64_t>(
                                       std::max(tat.value_or(now), now) + interval);
                                 });
  };
  if (enabled(Limit::kCertificatesPerDomain)) {
    for (const std::string& d : RegisteredDomains(identifiers)) force(Limit::kCertificatesPerDomain, d);
  }
  if (enabled(Limit::kDuplicateCertificates))
    force(Limit::kDuplicateCertificates, NamesKey(identifiers));
}

void RateLimiter::RecordFailedValidation(core::AccountId account,
                                         const core::Identifier& identifier) {
  if (!enabled(Limit::kFailedValidationsPerAccountPerName)) return;
  // Past the limit already: nothing more to count.
  (void)Spend(Limit::kFailedValidationsPerAccountPerName,
              FailedValidationKey(account, identifier.value));
}

const Rate* RateLimiter::RateFor(Limit limit, const std::string& key) const {
  auto over = config_.overrides.find({limit, key});
  if (over != config_.overrides.end()) return &over->second;
  auto it = config_.rates.find(limit);
  return it == config_.rates.end() ? nullptr : &it->second;
}

core::Error RateLimiter::Exceeded(Limit limit, const std::string& key, const Rate& rate,
                                  std::chrono::milliseconds retry_after) const {
  // Whole seconds, rounded up, never 0: Retry-After is in seconds (RFC 9110 §10.2.3).
  const auto seconds = std::chrono::seconds(std::max<int64_t>(1, (retry_after.count() + 999) / 1000));
  core::Error e = Err(ErrorType::kRateLimited,
                      "rate limit " + std::string(LimitName(limit)) + " exceeded for \"" +
                          key.substr(0, 300) + "\": at most " + std::to_string(rate.count) +
                          " per " + PeriodText(rate.period) + "; retry after " +
                          std::to_string(seconds.count()) + " s");
  e.retry_after = seconds;
  return e;
}

Result<void> RateLimiter::Spend(Limit limit, const std::string& key, int64_t cost) {
  const Rate* rate = RateFor(limit, key);
  if (rate == nullptr) return core::Ok();
  const int64_t now = EpochMs(clock_.Now());
  std::chrono::milliseconds retry_after{0};
  FLINT_ASSIGN_OR_RETURN(
      bool admitted,
      store_.UpdateRateLimit(std::string(LimitName(limit)) + ":" + key,
                             [&](std::optional<int64_t> tat) {
                               return GcraAdmit(*rate, tat, now, cost, &retry_after);
                             }));
  if (!admitted) return Exceeded(limit, key, *rate, retry_after);
  return core::Ok();
}

Result<void> RateLimiter::Check(Limit limit, const std::string& key, int64_t cost) {
  const Rate* rate = RateFor(limit, key);
  if (rate == nullptr) return core::Ok();
  const int64_t now = EpochMs(clock_.Now());
  FLINT_ASSIGN_OR_RETURN(std::optional<int64_t> tat,
                         store_.GetRateLimit(std::string(LimitName(limit)) + ":" + key));
  std::chrono::milliseconds retry_after{0};
  if (!GcraAdmit(*rate, tat, now, cost, &retry_after))
    return Exceeded(limit, key, *rate, retry_after);
  return core::Ok();
}

Result<void> RateLimiter::CheckPendingAuthorizations(core::AccountId account, int64_t adding) {
  const int64_t bound = config_.max_pending_authorizations;
  if (bound <= 0 || adding <= 0) return core::Ok();
  FLINT_ASSIGN_OR_RETURN(int64_t pending,
                         store_.CountPendingAuthorizations(account, clock_.Now(), bound + 1));
  if (pending + adding <= bound) return core::Ok();
  core::Error e = Err(ErrorType::kRateLimited,
                      "rate limit pending-authorizations-per-account exceeded: the account has " +
                          std::to_string(pending) + " pending authorizations and at most " +
                          std::to_string(bound) +
                          " are allowed; complete or deactivate some, or let them expire");
  e.retry_after = std::chrono::seconds(60);
  return e;
}

}  // namespace flint::ra
