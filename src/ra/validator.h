#pragma once
// What the RA consumes from validation (RFC 8555 §8, RFC 8659, RFC 8657), declared here by its
// consumer: `cmd` wires in an adapter over the local va::ValidationAuthority; a remote
// perspective, SkipValidator (--skip-validation) or a test fake fits the same seam.
//
// Implementations are thread-safe and may block (network I/O, bounded by their own timeouts):
// the RA calls them from its validation worker pool and from finalize.

#include <string>

#include "core/result.h"
#include "core/types.h"

namespace flint::ra {

class Validator {
 public:
  virtual ~Validator() = default;

  // Runs one challenge of `type` for `id` (for a wildcard authorization, the base name) and
  // returns Ok if the response proves control. `key_authorization` is
  // token || '.' || base64url(JWK thumbprint) (RFC 8555 §8.1). Errors are what the client sees
  // in the challenge's `error`: kDns, kConnection (including timeouts), kTls, kUnauthorized,
  // kIncorrectResponse, kMalformed.
  [[nodiscard]] virtual core::Result<void> Validate(const core::Identifier& id,
                                                    core::ChallengeType type,
                                                    const std::string& token,
                                                    const std::string& key_authorization) const = 0;

  // RFC 8659 §3: may this CA issue for `id`? `wildcard` selects issuewild; `account_uri` and
  // `method` are matched against RFC 8657 accounturi / validationmethods. Ok for IP
  // identifiers. kCaa when forbidden, kDns when a lookup fails.
  [[nodiscard]] virtual core::Result<void> CheckCaa(const core::Identifier& id, bool wildcard,
                                                    const std::string& account_uri,
                                                    core::ChallengeType method) const = 0;
};

// DANGEROUS, development and benchmarks only (--skip-validation): every challenge is valid and
// CAA always permits, with no network check. Each Validate logs a warning.
class SkipValidator final : public Validator {
 public:
  core::Result<void> Validate(const core::Identifier& id, core::ChallengeType type,
                              const std::string& token,
                              const std::string& key_authorization) const override;
  core::Result<void> CheckCaa(const core::Identifier& id, bool wildcard,
                              const std::string& account_uri,
                              core::ChallengeType method) const override;
};

}  // namespace flint::ra
