#pragma once
// The local validation authority behind the RA's Validator seam (ra/validator.h). An adapter: it
// lives in cmd, the composition root, so that neither ra nor va depends on the other.
//
// va::ValidationAuthority blocks for the length of a validation, so the adapter runs each request
// on its own pool of `workers` threads and reports through the completion.

#include <boost/asio/thread_pool.hpp>

#include "ra/validator.h"
#include "va/validator.h"

namespace flint::cmd {

class VaValidator final : public ra::Validator {
 public:
  // `va` must outlive this object. The destructor abandons requests not yet started (their
  // completion is never called) and waits for those running.
  VaValidator(const va::ValidationAuthority& va, int workers);
  ~VaValidator() override;

  void Validate(ra::ValidationRequest request, Completion done) const override;
  void CheckCaa(ra::ValidationRequest request, Completion done) const override;

 private:
  const va::ValidationAuthority& va_;
  mutable boost::asio::thread_pool pool_;
};

}  // namespace flint::cmd
