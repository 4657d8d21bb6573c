#include "sa/derived_status.h"

#include <gtest/gtest.h>

namespace flint::sa {
namespace {

using namespace std::chrono_literals;
using core::AuthzStatus;
using core::OrderStatus;

const core::TimePoint kNow = core::FromUnixSeconds(1'800'000'000);

TEST(DerivedStatusTest, AuthorizationExpiry) {
  struct Case {
    const char* name;
    AuthzStatus stored;
    core::TimePoint expires;
    AuthzStatus want;
  };
  const Case cases[] = {
      {"pending/live", AuthzStatus::kPending, kNow + 1s, AuthzStatus::kPending},
      {"pending/at-expiry", AuthzStatus::kPending, kNow, AuthzStatus::kExpired},
      {"valid/live", AuthzStatus::kValid, kNow + 1s, AuthzStatus::kValid},
      {"valid/past", AuthzStatus::kValid, kNow - 1s, AuthzStatus::kExpired},
      {"invalid/past-stays", AuthzStatus::kInvalid, kNow - 1s, AuthzStatus::kInvalid},
      {"deactivated/past-stays", AuthzStatus::kDeactivated, kNow - 1s, AuthzStatus::kDeactivated},
      {"revoked/past-stays", AuthzStatus::kRevoked, kNow - 1s, AuthzStatus::kRevoked},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EffectiveAuthzStatus(c.stored, c.expires, kNow), c.want) << c.name;
  }
}

TEST(DerivedStatusTest, OrderFromItsAuthorizations) {
  using A = AuthzStatus;
  struct Case {
    const char* name;
    OrderStatus stored;
    core::TimePoint expires;
    std::vector<A> authzs;
    OrderStatus want;
  };
  const core::TimePoint live = kNow + 1h;
  const Case cases[] = {
      {"pending/some-pending",
       OrderStatus::kPending,
       live,
       {A::kValid, A::kPending},
       OrderStatus::kPending},
      {"ready/all-valid", OrderStatus::kPending, live, {A::kValid, A::kValid}, OrderStatus::kReady},
      {"pending/no-authorizations", OrderStatus::kPending, live, {}, OrderStatus::kPending},
      {"invalid/one-invalid",
       OrderStatus::kPending,
       live,
       {A::kValid, A::kInvalid},
       OrderStatus::kInvalid},
      {"invalid/one-deactivated",
       OrderStatus::kPending,
       live,
       {A::kPending, A::kDeactivated},
       OrderStatus::kInvalid},
      {"invalid/one-expired",
       OrderStatus::kPending,
       live,
       {A::kValid, A::kExpired},
       OrderStatus::kInvalid},
      {"invalid/one-revoked", OrderStatus::kPending, live, {A::kRevoked}, OrderStatus::kInvalid},
      {"invalid/order-expired", OrderStatus::kPending, kNow, {A::kValid}, OrderStatus::kInvalid},
      {"processing/live", OrderStatus::kProcessing, live, {A::kValid}, OrderStatus::kProcessing},
      {"processing/expired", OrderStatus::kProcessing, kNow, {A::kValid}, OrderStatus::kInvalid},
      {"valid/final", OrderStatus::kValid, kNow - 1h, {A::kExpired}, OrderStatus::kValid},
      {"invalid/final", OrderStatus::kInvalid, live, {A::kValid}, OrderStatus::kInvalid},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EffectiveOrderStatus(c.stored, c.expires, c.authzs, kNow), c.want) << c.name;
  }
}

}  // namespace
}  // namespace flint::sa
