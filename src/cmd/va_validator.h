#pragma once
// The local validation authority behind the RA's Validator seam (ra/validator.h). An adapter: it
// lives in cmd, the composition root, so that neither ra nor va depends on the other.
//
// va::ValidationAuthority is asynchronous (coroutines, a deadline per attempt, fair scheduling
// across accounts): the adapter only translates requests and reports, and holds no thread.

#include "ra/validator.h"
#include "va/validator.h"

namespace flint::cmd {

class VaValidator final : public ra::Validator {
 public:
  // `va` must outlive this object; its destructor drops attempts not finished (their completion
  // is never called).
  explicit VaValidator(const va::ValidationAuthority& va);

  void Validate(ra::ValidationRequest request, Completion done) const override;
  void CheckCaa(ra::ValidationRequest request, Completion done) const override;

 private:
  const va::ValidationAuthority& va_;
};

}  // namespace flint::cmd
