#pragma once
// Storage records that are not ACME resources: external account binding keys (RFC 8555 §7.3.4)
// and the counts operators ask for (flint admin). Plain values, like core/types.h.

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/types.h"

namespace flint::sa {

// A MAC key an operator hands out so that a client can bind its new ACME account to an
// external account (RFC 8555 §7.3.4). A key binds at most one account, once.
struct EabKey {
  std::string key_id;    // the EAB JWS "kid"; unique
  std::string hmac_key;  // raw key octets (HS256, RFC 7518 §3.2)
  std::string note;      // operator's free text, e.g. who the key was given to
  core::TimePoint created_at;
  std::optional<core::TimePoint> revoked_at;  // set: the key binds nothing any more
  std::optional<core::AccountId> account_id;  // set: the account this key is bound to
};

// Store::PurgeExpired.
struct PurgeRequest {
  std::optional<core::TimePoint> orders_expired_before;          // nullopt: keep orders
  std::optional<core::TimePoint> authorizations_expired_before;  // nullopt: keep authorizations
  core::TimePoint now;  // redeemed nonces and rate-limit states before this go
  int batch_size = 500;
  int max_batches = 1000;
};
struct PurgeCounts {
  int64_t orders = 0;
  int64_t authorizations = 0;
  int64_t challenges = 0;
  int64_t nonces = 0;
  int64_t rate_limits = 0;
  bool complete = true;  // false: max_batches ran out before everything was purged
};

struct CertificateCounts {
  int64_t issued = 0;   // every certificate ever stored
  int64_t revoked = 0;  // of which revoked
};

}  // namespace flint::sa
