#pragma once
// Rate limits (docs/OPERATIONS.md "Rate limits"), in the manner of Let's Encrypt's: each limit
// allows `count` events per `period` for one key (an account, an address, a registered domain,
// a set of names), measured with the Generic Cell Rate Algorithm (GCRA): one stored number per
// key, the theoretical arrival time (TAT), read and written in one compare-and-set, so the cost
// per request is O(1) and the state lives in the store, shared by every instance and kept across
// restarts. An exceeded limit is 429 `rateLimited` (RFC 8555 §6.7) with Retry-After and a detail
// naming the limit.
//
// GCRA: events are spaced by T = period / count, and a burst of up to `count` is allowed. At
// time `now` with stored TAT `tat` (absent: no history), admitting `cost` events moves it to
// new_tat = max(tat, now) + cost * T; the request is admitted when new_tat - now <= period, and
// otherwise denied without a write, to be retried once new_tat - period has been reached.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/types.h"
#include "policy/public_suffix.h"

namespace flint::sa {
class Store;
}

namespace flint::ra {

using core::Result;

struct Rate {
  int64_t count = 0;                        // events allowed per period; 0 denies every event
  std::chrono::milliseconds period{0};
  friend bool operator==(const Rate&, const Rate&) = default;
};

// The GCRA step. Returns the new TAT (ms since the epoch) to store when admitted, or std::nullopt
// when denied; `retry_after` is then set to how long until the same request would be admitted.
std::optional<int64_t> GcraAdmit(const Rate& rate, std::optional<int64_t> tat_ms, int64_t now_ms,
                                 int64_t cost, std::chrono::milliseconds* retry_after);

// The limits an operator can set (TOML table [rate-limits]); each is off unless set.
enum class Limit {
  kNewAccountsPerIp,                    // newAccount, by client address (IPv6: its /64)
  kNewOrdersPerAccount,                 // newOrder and newAuthz, by account
  kCertificatesPerDomain,               // issuances, by registered domain (public suffix + 1)
  kDuplicateCertificates,               // issuances, by the exact set of names
  kFailedValidationsPerAccountPerName,  // failed validations, by account and name
};
std::string_view LimitName(Limit limit);  // "new-accounts-per-ip", ...
std::optional<Limit> LimitFromName(std::string_view name);

struct RateLimitConfig {
  std::map<Limit, Rate> rates;  // the limits set; absent ones are off
  // [[rate-limits.override]]: one limit raised or lowered for one key (an account id, an
  // address, a registered domain, "name1,name2" for duplicates, "ACCOUNT:name" per name).
  std::map<std::pair<Limit, std::string>, Rate> overrides;
  // pending-authorizations-per-account: a bound, not a rate; 0 = off.
  int64_t max_pending_authorizations = 0;
};

class RateLimiter {
 public:
  // `store` and `clock` must outlive the limiter. `psl` finds registered domains (null: a
  // name's own last two labels are its registered domain).
  RateLimiter(RateLimitConfig config, sa::Store& store, const core::Clock& clock,
              std::shared_ptr<const policy::PublicSuffixList> psl);

  // --- What the RA asks, at each step (each Ok when the limits involved are off) ---

  // newAccount creating an account for a client at `client_address` (IPv6: counted per /64).
  Result<void> NewAccount(std::string_view client_address);
  // newOrder / newAuthz of `account` for `identifiers` (canonical; wildcards as "*.name"),
  // creating `new_authorizations`: checks pending-authorizations-per-account,
  // failed-validations-per-account-per-name, certificates-per-domain and duplicate-certificates
  // (without spending them), then spends new-orders-per-account.
  Result<void> NewOrder(core::AccountId account, const std::vector<core::Identifier>& identifiers,
                        int64_t new_authorizations);
  // Before signing: would an issuance for `identifiers` exceed certificates-per-domain or
  // duplicate-certificates?
  Result<void> CheckIssuance(const std::vector<core::Identifier>& identifiers);
  // After a certificate for `identifiers` was stored: spends those two limits.
  void RecordIssuance(const std::vector<core::Identifier>& identifiers);
  // A validation of `account` for `identifier` failed.
  void RecordFailedValidation(core::AccountId account, const core::Identifier& identifier);

  // The keys limits are counted by (exposed for tests).
  std::string RegisteredDomain(const core::Identifier& identifier) const;
  std::vector<std::string> RegisteredDomains(
      const std::vector<core::Identifier>& identifiers) const;  // sorted, unique
  static std::string AddressKey(std::string_view client_address);
  static std::string NamesKey(const std::vector<core::Identifier>& identifiers);

  // --- The primitives ---

  bool enabled(Limit limit) const { return config_.rates.count(limit) > 0; }

  // Admits `cost` events of `limit` for `key` and records them; kRateLimited (with retry_after
  // and a detail naming the limit and key) when that would exceed the limit. Ok when the limit
  // is off.
  Result<void> Spend(Limit limit, const std::string& key, int64_t cost = 1);
  // The same decision without recording anything: would Spend succeed now?
  Result<void> Check(Limit limit, const std::string& key, int64_t cost = 1);
  // pending-authorizations-per-account: kRateLimited when the account already has
  // `pending + adding` > the bound of pending, unexpired authorizations.
  Result<void> CheckPendingAuthorizations(core::AccountId account, int64_t adding);

 private:
  const Rate* RateFor(Limit limit, const std::string& key) const;
  core::Error Exceeded(Limit limit, const std::string& key, const Rate& rate,
                       std::chrono::milliseconds retry_after) const;

  RateLimitConfig config_;
  sa::Store& store_;
  const core::Clock& clock_;
  std::shared_ptr<const policy::PublicSuffixList> psl_;
};

}  // namespace flint::ra
