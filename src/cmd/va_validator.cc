#include "cmd/va_validator.h"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace flint::cmd {

namespace {

using Clock = std::chrono::steady_clock;

ra::ValidationOutcome Finish(core::Result<void> result, Clock::time_point started) {
  ra::ValidationOutcome outcome;
  ra::PerspectiveReport report;
  report.name = "primary";
  if (!result.ok()) report.error = result.error();
  report.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  outcome.result = std::move(result);
  outcome.perspectives.push_back(std::move(report));
  return outcome;
}

}  // namespace

VaValidator::VaValidator(const va::ValidationAuthority& va, int workers)
    : va_(va), pool_(static_cast<size_t>(std::max(1, workers))) {}

VaValidator::~VaValidator() {
  pool_.stop();
  pool_.join();
}

void VaValidator::Validate(ra::ValidationRequest request, Completion done) const {
  boost::asio::post(pool_, [this, request = std::move(request), done = std::move(done)]() {
    const Clock::time_point started = Clock::now();
    core::Result<void> result = va_.Validate(request.identifier, request.type, request.token,
                                             request.key_authorization, request.account_uri);
    if (result.ok() && request.check_caa) {
      result = va_.CheckCaa(request.identifier, request.wildcard, request.account_uri,
                            request.type);
    }
    done(Finish(std::move(result), started));
  });
}

void VaValidator::CheckCaa(ra::ValidationRequest request, Completion done) const {
  boost::asio::post(pool_, [this, request = std::move(request), done = std::move(done)]() {
    const Clock::time_point started = Clock::now();
    done(Finish(va_.CheckCaa(request.identifier, request.wildcard, request.account_uri,
                             request.type),
                started));
  });
}

}  // namespace flint::cmd
