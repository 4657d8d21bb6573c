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

struct CertificateCounts {
  int64_t issued = 0;   // every certificate ever stored
  int64_t revoked = 0;  // of which revoked
};

}  // namespace flint::sa
