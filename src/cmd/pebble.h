#pragma once
// `flint pebble`: flint as a drop-in for Pebble, Let's Encrypt's test CA, in ACME clients' CI
// (docs/PEBBLE.md). A thin layer over `flint serve`: it reads Pebble's command line, JSON
// configuration and PEBBLE_* variables (config/pebble_config.h), makes a temporary data
// directory (a fresh CA per start, removed at exit), and runs the same Serve with hooks for
// what only Pebble has:
//   - the listener certificate and key named by the configuration, and the directory at /dir;
//   - PEBBLE_WFE_NONCEREJECT: that percentage of good nonces refused with badNonce
//     (RejectingNonceService);
//   - PEBBLE_VA_NOSLEEP / PEBBLE_VA_SLEEPTIME: a random pause before each validation
//     (SleepingValidator); PEBBLE_VA_ALWAYS_VALID: flint's skip-validation;
//   - PEBBLE_AUTHZREUSE, PEBBLE_CHAIN_LENGTH, PEBBLE_ALTERNATE_ROOTS;
//   - externalAccountMACKeys, stored as EAB keys at start;
//   - the management API on managementListenAddress (cmd/pebble_management.h).

#include <memory>

#include <boost/asio/thread_pool.hpp>
#include <string>
#include <vector>

#include "cmd/serve_hooks.h"
#include "core/random.h"
#include "ra/validator.h"
#include "sa/store.h"

namespace flint::cmd {

// Runs `flint pebble ARGS` through `serve`; returns the process exit code (2 for bad usage).
int RunPebble(const std::vector<std::string>& args, ServeFunction serve);

// Refuses `percent` % of the nonces `inner` accepts, with badNonce (RFC 8555 §6.5), so that
// clients' retries are exercised. A refused nonce is spent. Thread-safe if `inner` is.
class RejectingNonceService final : public sa::NonceService {
 public:
  RejectingNonceService(std::unique_ptr<sa::NonceService> inner, int percent, core::Random& random);
  std::string Issue() override;
  core::Result<void> Redeem(std::string_view nonce) override;

 private:
  std::unique_ptr<sa::NonceService> inner_;
  const int percent_;
  core::Random& random_;
};

// Waits a random whole number of seconds in [0, max_sleep) before each validation, as Pebble's
// VA does, so clients poll rather than assume when a challenge is checked. CAA checks are not
// delayed. The wait is a timer on the wrapper's own thread, so no thread is held meanwhile.
// Thread-safe if `inner` is. The destructor drops the validations still waiting (their
// completion is never called; the RA, destroyed first, resumes them at the next start).
class SleepingValidator final : public ra::Validator {
 public:
  SleepingValidator(std::unique_ptr<ra::Validator> inner, std::chrono::seconds max_sleep,
                    core::Random& random);
  ~SleepingValidator() override;
  void Validate(ra::ValidationRequest request, Completion done) const override;
  void CheckCaa(ra::ValidationRequest request, Completion done) const override;

 private:
  std::unique_ptr<ra::Validator> inner_;
  const std::chrono::seconds max_sleep_;
  core::Random& random_;
  mutable boost::asio::thread_pool timers_{1};
};

}  // namespace flint::cmd
