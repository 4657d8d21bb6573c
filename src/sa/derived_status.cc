#include "sa/derived_status.h"

namespace flint::sa {

using core::AuthzStatus;
using core::OrderStatus;

AuthzStatus EffectiveAuthzStatus(AuthzStatus stored, core::TimePoint expires, core::TimePoint now) {
  bool live = stored == AuthzStatus::kPending || stored == AuthzStatus::kValid;
  return live && now >= expires ? AuthzStatus::kExpired : stored;
}

OrderStatus EffectiveOrderStatus(OrderStatus stored, core::TimePoint expires,
                                 const std::vector<AuthzStatus>& authz_effective,
                                 core::TimePoint now) {
  if (stored == OrderStatus::kValid || stored == OrderStatus::kInvalid) return stored;
  if (now >= expires) return OrderStatus::kInvalid;
  if (stored != OrderStatus::kPending) return stored;
  bool all_valid = !authz_effective.empty();
  for (AuthzStatus s : authz_effective) {
    switch (s) {
      case AuthzStatus::kValid:
        break;
      case AuthzStatus::kPending:
        all_valid = false;
        break;
      case AuthzStatus::kInvalid:
      case AuthzStatus::kDeactivated:
      case AuthzStatus::kExpired:
      case AuthzStatus::kRevoked:
        return OrderStatus::kInvalid;
    }
  }
  return all_valid ? OrderStatus::kReady : OrderStatus::kPending;
}

}  // namespace flint::sa
