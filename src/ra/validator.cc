#include "ra/validator.h"

#include <spdlog/spdlog.h>

#include <future>

namespace flint::ra {

namespace {

using Start = void (Validator::*)(ValidationRequest, Validator::Completion) const;

ValidationOutcome Wait(const Validator& validator, Start start, ValidationRequest request) {
  auto promise = std::make_shared<std::promise<ValidationOutcome>>();
  std::future<ValidationOutcome> future = promise->get_future();
  (validator.*start)(std::move(request),
                     [promise](ValidationOutcome outcome) { promise->set_value(std::move(outcome)); });
  return future.get();
}

}  // namespace

ValidationOutcome ValidateAndWait(const Validator& validator, ValidationRequest request) {
  return Wait(validator, &Validator::Validate, std::move(request));
}

ValidationOutcome CheckCaaAndWait(const Validator& validator, ValidationRequest request) {
  return Wait(validator, &Validator::CheckCaa, std::move(request));
}

void SkipValidator::Validate(ValidationRequest request, Completion done) const {
  spdlog::warn("SKIP-VALIDATION: challenge {} ({} {}) marked valid without any check",
               request.token, core::ToString(request.type), request.identifier.value);
  done(ValidationOutcome{});
}

void SkipValidator::CheckCaa(ValidationRequest, Completion done) const {
  done(ValidationOutcome{});
}

}  // namespace flint::ra
