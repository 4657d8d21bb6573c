#pragma once
// What the RA consumes from validation (RFC 8555 §8, RFC 8659, RFC 8657), declared here by its
// consumer: `cmd` wires in an adapter over the local va::ValidationAuthority; remote network
// perspectives (CA/Browser Forum Baseline Requirements §3.2.2.9), SkipValidator
// (--skip-validation) or a test fake fit the same seam.
//
// The seam is asynchronous: Validate and CheckCaa return at once and report through a completion
// callback, so that a validation waiting on the network need not hold one of the RA's threads.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/result.h"
#include "core/types.h"

namespace flint::ra {

struct ValidationRequest {
  // For a wildcard authorization, the base name (RFC 8555 §7.1.4), with `wildcard` set.
  core::Identifier identifier;
  bool wildcard = false;
  // The challenge type; for CheckCaa, the validation method matched against RFC 8657
  // validationmethods.
  core::ChallengeType type = core::ChallengeType::kHttp01;
  std::string token;
  // token || '.' || base64url(JWK thumbprint) (RFC 8555 §8.1).
  std::string key_authorization;
  // The account's URL: RFC 8657 accounturi, the dns-account-01 label, and the key by which
  // validations are scheduled fairly across accounts.
  std::string account_uri;
  // Validate only: once the challenge succeeds, also check CAA (RFC 8659 §3) from the same
  // perspectives.
  bool check_caa = true;
};

// What one network perspective did for one request, for the validation audit record (BR §5.4.1
// asks a CA to keep it) and for the problem detail of a disagreement.
struct PerspectiveReport {
  std::string name;  // "primary", or the name of a remote perspective
  // Ok when this perspective corroborates (the challenge, and CAA when asked, passed).
  std::optional<core::Error> error;
  std::vector<std::string> addresses;  // addresses resolved for the target, in order
  std::vector<std::string> records;    // DNS records seen (TXT for dns-01, CAA), as text
  std::chrono::milliseconds elapsed{0};
};

struct ValidationOutcome {
  // What the client sees: Ok, or the challenge's `error` (RFC 8555 §8): kDns, kConnection
  // (including timeouts), kTls, kUnauthorized, kIncorrectResponse, kCaa, kMalformed, and
  // kRateLimited when the validator sheds load.
  core::Result<void> result = core::Ok();
  std::vector<PerspectiveReport> perspectives;  // empty when no perspective ran
};

class Validator {
 public:
  // Called exactly once per request, on any thread, possibly before Validate/CheckCaa returns.
  // It must not block for long: the RA hands the outcome to its own workers.
  using Completion = std::function<void(ValidationOutcome)>;

  virtual ~Validator() = default;

  // Runs the challenge `request.type` for `request.identifier`, then CAA when
  // `request.check_caa`, and reports the outcome. Thread-safe.
  virtual void Validate(ValidationRequest request, Completion done) const = 0;

  // RFC 8659 §3: may this CA issue for `request.identifier`? `wildcard` selects issuewild;
  // `account_uri` and `type` are matched against RFC 8657 accounturi / validationmethods. Ok for
  // IP identifiers; kCaa when forbidden, kDns when a lookup fails. Thread-safe.
  virtual void CheckCaa(ValidationRequest request, Completion done) const = 0;
};

// Blocking forms, for callers already on a worker thread (and tests).
ValidationOutcome ValidateAndWait(const Validator& validator, ValidationRequest request);
ValidationOutcome CheckCaaAndWait(const Validator& validator, ValidationRequest request);

// DANGEROUS, development and benchmarks only (--skip-validation): every challenge is valid and
// CAA always permits, with no network check. Each Validate logs a warning.
class SkipValidator final : public Validator {
 public:
  void Validate(ValidationRequest request, Completion done) const override;
  void CheckCaa(ValidationRequest request, Completion done) const override;
};

}  // namespace flint::ra
