#pragma once
// The status rules of RFC 8555 §7.1.6 that depend on time or on other objects, applied on read
// by every backend (the stored status is the last explicit transition).
//
// An object is expired from the instant `now >= expires` (the SQL predicates use the same
// boundary: "expires > now" means still live).

#include <vector>

#include "core/clock.h"
#include "core/types.h"

namespace flint::sa {

// A stored pending or valid authorization past `expires` is `expired`; others are unchanged.
core::AuthzStatus EffectiveAuthzStatus(core::AuthzStatus stored, core::TimePoint expires,
                                       core::TimePoint now);

// A stored pending order is `invalid` once past `expires` or when any authorization (given by
// its effective status) is invalid, deactivated, expired or revoked; `ready` when it has
// authorizations and all are valid; `pending` otherwise. A stored `processing` order past
// `expires` is `invalid`. `valid` and `invalid` are final.
core::OrderStatus EffectiveOrderStatus(core::OrderStatus stored, core::TimePoint expires,
                                       const std::vector<core::AuthzStatus>& authz_effective,
                                       core::TimePoint now);

}  // namespace flint::sa
