// The Store contract for the retention purge (Store::PurgeExpired), run against every backend in
// store_test_backends.cc: expired rows go, in batches; live rows, certificates and whatever a
// certificate's order references stay, and every remaining reference still resolves.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/clock.h"
#include "sa/store.h"
#include "sa/store_test_backends.h"
#include "sa/store_test_fixture.h"
#include "sa/test_util.h"

namespace flint::sa {
namespace {

using namespace std::chrono_literals;
using core::ErrorType;
using testing::Backend;
using testing::Must;

class StoreRetentionTest : public testing::BackendTest {
 protected:
  // An order for `name` (one authorization, one challenge), expiring in `lifetime`.
  core::Order Order(core::AccountId account, const std::string& name, std::chrono::seconds lifetime,
                    const std::string& replaces = "") {
    core::Order o;
    o.account_id = account;
    o.expires = clock_.Now() + lifetime;
    o.identifiers = {{core::IdentifierType::kDns, name}};
    o.profile = "default";
    o.replaces = replaces;
    core::Authorization a;
    a.identifier = o.identifiers[0];
    a.expires = clock_.Now() + lifetime;
    a.challenges.resize(1);
    a.challenges[0].token = "tok-" + name;
    return Must(store().CreateOrder(o, {a}));
  }

  // Validates the order's authorization and issues a certificate valid for `validity`.
  core::Certificate Issue(const core::Order& o, const std::string& serial,
                          std::chrono::seconds validity) {
    core::Authorization authz = Must(store().GetAuthorization(o.authz_ids[0]));
    Must(store().SetChallengeProcessing(authz.challenges[0].id));
    Must(store().FinishValidation(authz.challenges[0].id, true, std::nullopt, clock_.Now()));
    Must(store().SetOrderProcessing(o.id));
    core::Certificate c;
    c.serial_hex = serial;
    c.der = "der-" + serial;
    c.chain_pem = "pem";
    c.not_before = clock_.Now();
    c.not_after = clock_.Now() + validity;
    return Must(store().FinalizeOrder(o.id, c));
  }

  PurgeRequest Request(std::chrono::seconds retain) {
    PurgeRequest r;
    r.orders_expired_before = clock_.Now() - retain;
    r.authorizations_expired_before = clock_.Now() - retain;
    r.now = clock_.Now();
    r.batch_size = 2;  // several batches even with a handful of rows
    return r;
  }
};

TEST_P(StoreRetentionTest, ExpiredRowsGoLiveAndCertifiedRowsStay) {
  const core::AccountId acct = NewAccountId("tp-retention");
  // Expired an hour from now: purged once the window after that has passed.
  std::vector<core::Order> stale;
  for (int i = 0; i < 5; ++i)
    stale.push_back(Order(acct, "stale" + std::to_string(i) + ".example", 1h));
  // Issued from, with a certificate outliving every window: kept with its authorization.
  const core::Order issued = Order(acct, "issued.example", 1h);
  const core::Certificate cert = Issue(issued, "0a", 24h * 90);
  // A replacement order (RFC 9773) whose order_replacements row must go with it.
  const core::Order replacing = Order(acct, "issued.example", 1h, "aki.0a");
  // A pre-authorization (newAuthz) outside any order.
  core::Authorization pre;
  pre.account_id = acct;
  pre.identifier = {core::IdentifierType::kDns, "pre.example"};
  pre.expires = clock_.Now() + 1h;
  pre.challenges.resize(1);
  pre.challenges[0].token = "tok-pre";
  pre = Must(store().CreateAuthorization(pre));

  clock_.Advance(3h);
  // Live: created now, expiring in a week.
  const core::Order live = Order(acct, "live.example", 168h);

  // Within the window (expired 2h ago, window 30 days): nothing goes but past nonces/limits.
  PurgeCounts none = Must(store().PurgeExpired(Request(720h)));
  EXPECT_EQ(none.orders, 0);
  EXPECT_EQ(none.authorizations, 0);
  EXPECT_TRUE(none.complete);

  PurgeCounts done = Must(store().PurgeExpired(Request(1h)));
  EXPECT_EQ(done.orders, 6);          // the five stale orders and the replacing one
  EXPECT_EQ(done.authorizations, 7);  // theirs and the pre-authorization
  EXPECT_EQ(done.challenges, 7);
  EXPECT_TRUE(done.complete);
  for (const core::Order& o : stale) {
    EXPECT_ERROR_TYPE(store().GetOrder(o.id), ErrorType::kNotFound);
    EXPECT_ERROR_TYPE(store().GetAuthorization(o.authz_ids[0]), ErrorType::kNotFound);
  }
  EXPECT_ERROR_TYPE(store().GetOrder(replacing.id), ErrorType::kNotFound);
  EXPECT_ERROR_TYPE(store().GetAuthorization(pre.id), ErrorType::kNotFound);

  // Kept: the certificate, its order and the order's authorization; the live order.
  EXPECT_EQ(Must(store().GetCertificateBySerial("0a")).id, cert.id);
  core::Order kept = Must(store().GetOrder(issued.id));
  EXPECT_EQ(kept.status, core::OrderStatus::kValid);
  EXPECT_EQ(Must(store().GetAuthorization(kept.authz_ids[0])).challenges.size(), 1u);
  EXPECT_EQ(Must(store().GetOrder(live.id)).status, core::OrderStatus::kPending);
  EXPECT_EQ(Must(store().GetAuthorization(live.authz_ids[0])).status, core::AuthzStatus::kPending);
  // The certificate is free to be replaced again: the purged order no longer holds it.
  Order(acct, "issued.example", 1h, "aki.0a");

  // Nothing left: a second run deletes nothing.
  PurgeCounts again = Must(store().PurgeExpired(Request(1h)));
  EXPECT_EQ(again.orders, 0);
  EXPECT_EQ(again.authorizations, 0);
}

TEST_P(StoreRetentionTest, NoWindowKeepsThatKind) {
  const core::AccountId acct = NewAccountId("tp-windows");
  const core::Order o = Order(acct, "old.example", 1h);
  clock_.Advance(48h);
  PurgeRequest r = Request(1h);
  r.orders_expired_before.reset();
  PurgeCounts counts = Must(store().PurgeExpired(r));
  EXPECT_EQ(counts.orders, 0);
  EXPECT_EQ(counts.authorizations, 0);  // still referenced by the kept order
  EXPECT_EQ(Must(store().GetOrder(o.id)).id, o.id);
  r = Request(1h);
  r.authorizations_expired_before.reset();
  counts = Must(store().PurgeExpired(r));
  EXPECT_EQ(counts.orders, 1);
  EXPECT_EQ(counts.authorizations, 0);
  EXPECT_EQ(Must(store().GetAuthorization(o.authz_ids[0])).id, o.authz_ids[0]);
}

TEST_P(StoreRetentionTest, BatchBudgetReportsAnIncompleteRun) {
  const core::AccountId acct = NewAccountId("tp-budget");
  for (int i = 0; i < 5; ++i) Order(acct, "b" + std::to_string(i) + ".example", 1h);
  clock_.Advance(48h);
  PurgeRequest r = Request(1h);
  r.max_batches = 1;
  PurgeCounts first = Must(store().PurgeExpired(r));
  EXPECT_EQ(first.orders, 2);
  EXPECT_FALSE(first.complete);
  r.max_batches = 1000;
  PurgeCounts rest = Must(store().PurgeExpired(r));
  EXPECT_EQ(rest.orders, 3);
  EXPECT_EQ(rest.authorizations, 5);
  EXPECT_TRUE(rest.complete);
}

TEST_P(StoreRetentionTest, PastNoncesAndRateLimitStatesGo) {
  ASSERT_NE(handle_.nonces, nullptr);
  Must(handle_.nonces->RecordNonceRedemption("old-nonce", clock_.Now() + 1h));
  Must(handle_.nonces->RecordNonceRedemption("new-nonce", clock_.Now() + 5h));
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
          .count();
  Must(store().UpdateRateLimit("past", [&](std::optional<int64_t>) { return now_ms + 1000; }));
  Must(store().UpdateRateLimit("future",
                               [&](std::optional<int64_t>) { return now_ms + 10 * 3600 * 1000; }));
  clock_.Advance(2h);
  PurgeCounts counts = Must(store().PurgeExpired(Request(720h)));
  EXPECT_EQ(counts.nonces, 1);
  EXPECT_EQ(counts.rate_limits, 1);
  EXPECT_EQ(Must(store().GetRateLimit("past")), std::nullopt);
  EXPECT_TRUE(Must(store().GetRateLimit("future")).has_value());
  // The unexpired redemption is still recorded: redeeming again conflicts.
  EXPECT_ERROR_TYPE(handle_.nonces->RecordNonceRedemption("new-nonce", clock_.Now() + 5h),
                    ErrorType::kConflict);
  Must(handle_.nonces->RecordNonceRedemption("old-nonce", clock_.Now() + 5h));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreRetentionTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace flint::sa
