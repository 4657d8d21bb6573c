#pragma once
// The local validation authority behind the RA's Validator seam (ra/validator.h). A thin
// adapter: it lives in cmd, the composition root, so that neither ra nor va depends on the other.

#include "ra/validator.h"
#include "va/validator.h"

namespace flint::cmd {

class VaValidator final : public ra::Validator {
 public:
  // `va` must outlive this object.
  explicit VaValidator(const va::ValidationAuthority& va) : va_(va) {}

  core::Result<void> Validate(const core::Identifier& id, core::ChallengeType type,
                              const std::string& token,
                              const std::string& key_authorization) const override {
    return va_.Validate(id, type, token, key_authorization);
  }
  core::Result<void> CheckCaa(const core::Identifier& id, bool wildcard,
                              const std::string& account_uri,
                              core::ChallengeType method) const override {
    return va_.CheckCaa(id, wildcard, account_uri, method);
  }

 private:
  const va::ValidationAuthority& va_;
};

}  // namespace flint::cmd
