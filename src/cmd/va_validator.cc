#include "cmd/va_validator.h"

namespace flint::cmd {

namespace {

va::ValidationJob JobFrom(ra::ValidationRequest request) {
  va::ValidationJob job;
  job.identifier = std::move(request.identifier);
  job.wildcard = request.wildcard;
  job.type = request.type;
  job.token = std::move(request.token);
  job.key_authorization = std::move(request.key_authorization);
  job.account_uri = std::move(request.account_uri);
  job.check_caa = request.check_caa;
  return job;
}

// The primary perspective's report: what it resolved and saw, for the audit record.
ra::ValidationOutcome OutcomeFrom(va::ValidationReport report) {
  ra::ValidationOutcome outcome;
  ra::PerspectiveReport primary;
  primary.name = "primary";
  if (!report.result.ok()) primary.error = report.result.error();
  primary.addresses = std::move(report.addresses);
  primary.records = std::move(report.records);
  primary.elapsed = report.elapsed;
  outcome.result = std::move(report.result);
  outcome.perspectives.push_back(std::move(primary));
  return outcome;
}

}  // namespace

VaValidator::VaValidator(const va::ValidationAuthority& va) : va_(va) {}

void VaValidator::Validate(ra::ValidationRequest request, Completion done) const {
  va_.ValidateAsync(JobFrom(std::move(request)), [done = std::move(done)](
                                                     va::ValidationReport report) {
    done(OutcomeFrom(std::move(report)));
  });
}

void VaValidator::CheckCaa(ra::ValidationRequest request, Completion done) const {
  va_.CheckCaaAsync(JobFrom(std::move(request)), [done = std::move(done)](
                                                     va::ValidationReport report) {
    done(OutcomeFrom(std::move(report)));
  });
}

}  // namespace flint::cmd
