#include "ra/validator.h"

#include <spdlog/spdlog.h>

namespace flint::ra {

core::Result<void> SkipValidator::Validate(const core::Identifier& id, core::ChallengeType type,
                                           const std::string& token, const std::string&) const {
  spdlog::warn("SKIP-VALIDATION: challenge {} ({} {}) marked valid without any check", token,
               core::ToString(type), id.value);
  return core::Ok();
}

core::Result<void> SkipValidator::CheckCaa(const core::Identifier&, bool, const std::string&,
                                           core::ChallengeType) const {
  return core::Ok();
}

}  // namespace flint::ra
