// RFC 8555 §7.4 newOrder decisions of the RA that the web tests do not pin down.
#include <gtest/gtest.h>

#include "ra/revocation_test_util.h"

namespace flint::ra {
namespace {

class OrdersTest : public testing::RaFixture {};

// An order that reuses an authorization turns invalid when that authorization expires, so its
// "expires" is capped there instead of promising the full order lifetime (7 days).
TEST_F(OrdersTest, ReusedAuthorizationCapsTheOrdersExpiry) {
  core::Account acct = NewAccount(NewKey());
  core::Order first = ReadyOrder(acct, {"reuse.example.com"});
  core::Authorization authz = store_->GetAuthorization(first.authz_ids.at(0)).value();
  // 29 of the authorization's 30 days later, one day of it is left.
  clock_.Advance(std::chrono::hours(29 * 24));
  NewOrderRequest req;
  req.identifiers = {{core::IdentifierType::kDns, "reuse.example.com"}};
  auto second = ra_->NewOrder(acct, req);
  ASSERT_TRUE(second.ok()) << second.error().detail;
  ASSERT_EQ(second->authz_ids.at(0), authz.id);
  EXPECT_EQ(core::ToUnixSeconds(second->expires), core::ToUnixSeconds(authz.expires));
  EXPECT_EQ(second->status, core::OrderStatus::kReady);

  // A fresh authorization lives longer than the order: the order's own lifetime applies.
  req.identifiers = {{core::IdentifierType::kDns, "fresh.example.com"}};
  auto fresh = ra_->NewOrder(acct, req);
  ASSERT_TRUE(fresh.ok()) << fresh.error().detail;
  EXPECT_EQ(core::ToUnixSeconds(fresh->expires),
            core::ToUnixSeconds(clock_.Now() + std::chrono::hours(168)));
}

}  // namespace
}  // namespace flint::ra
