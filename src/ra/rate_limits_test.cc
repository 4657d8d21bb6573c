// Rate limits (rate_limits.h): the GCRA arithmetic, the keys, and each limit hit, reset by the
// passing of time and raised or lowered by an override, through the RA over a real SQLite store.
#include "ra/rate_limits.h"

#include <gtest/gtest.h>

#include "ra/fakes_test_util.h"
#include "ra/revocation_test_util.h"

namespace flint::ra {
namespace {

using core::ErrorType;
using namespace std::chrono_literals;

TEST(GcraTest, AdmitsABurstOfCountThenOneEventPerInterval) {
  const Rate rate{3, 3000ms};  // one event per second, a burst of three
  std::optional<int64_t> tat;
  std::chrono::milliseconds retry{0};
  for (int i = 0; i < 3; ++i) {
    tat = GcraAdmit(rate, tat, 10'000, 1, &retry);
    ASSERT_TRUE(tat.has_value()) << i;
  }
  EXPECT_EQ(*tat, 13'000);
  EXPECT_FALSE(GcraAdmit(rate, tat, 10'000, 1, &retry).has_value());
  EXPECT_EQ(retry, 1000ms);  // the fourth fits once a second has passed
  EXPECT_FALSE(GcraAdmit(rate, tat, 10'999, 1, &retry).has_value());
  EXPECT_EQ(retry, 1ms);
  EXPECT_EQ(GcraAdmit(rate, tat, 11'000, 1, &retry), std::optional<int64_t>(14'000));
  // Long idle: the stored time is in the past and counts as none.
  EXPECT_EQ(GcraAdmit(rate, int64_t{14'000}, 100'000, 1, &retry), std::optional<int64_t>(101'000));
}

TEST(GcraTest, ZeroCountOrACostAboveTheBurstIsNeverAdmitted) {
  std::chrono::milliseconds retry{0};
  EXPECT_FALSE(GcraAdmit(Rate{0, 3600s}, std::nullopt, 0, 1, &retry).has_value());
  EXPECT_EQ(retry, 3600s);
  EXPECT_FALSE(GcraAdmit(Rate{2, 60s}, std::nullopt, 0, 3, &retry).has_value());
}

TEST(RateLimitKeysTest, AddressesDomainsAndNameSets) {
  EXPECT_EQ(RateLimiter::AddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(RateLimiter::AddressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimiter::NamesKey({{core::IdentifierType::kDns, "b.example"},
                                   {core::IdentifierType::kDns, "a.example"},
                                   {core::IdentifierType::kDns, "b.example"}}),
            "a.example,b.example");
}

class RateLimitTest : public testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    auto psl = policy::PublicSuffixList::Default();
    ASSERT_TRUE(psl.ok());
    psl_ = *psl;
  }
  // Rebuilds the RA with `config` in force.
  void Limit(RateLimitConfig config) {
    RaOptions options;
    options.validation_workers = 1;
    UseRa(options, validator_, ca_fake_);
    limiter_ = std::make_unique<RateLimiter>(std::move(config), *store_, clock_, psl_);
    ra_->SetRateLimiter(*limiter_);
  }
  static NewOrderRequest OrderFor(const std::vector<std::string>& names) {
    NewOrderRequest req;
    for (const std::string& n : names) req.identifiers.push_back({core::IdentifierType::kDns, n});
    return req;
  }
  static void ExpectRateLimited(const core::Error& e, std::string_view limit) {
    EXPECT_EQ(e.type, ErrorType::kRateLimited) << e.detail;
    EXPECT_NE(e.detail.find(limit), std::string::npos) << e.detail;
    EXPECT_TRUE(e.retry_after.has_value());
  }

  std::shared_ptr<const policy::PublicSuffixList> psl_;
  std::unique_ptr<RateLimiter> limiter_;
  testing::FakeValidator validator_;
  testing::FakeCertificateAuthority ca_fake_;
};

TEST_F(RateLimitTest, NewOrdersPerAccountIsHitThenResetByTime) {
  RateLimitConfig config;
  config.rates[Limit::kNewOrdersPerAccount] = Rate{2, 3h};
  Limit(config);
  core::Account acct = NewAccount(NewKey());
  ASSERT_TRUE(ra_->NewOrder(acct, OrderFor({"a.example.com"})).ok());
  ASSERT_TRUE(ra_->NewOrder(acct, OrderFor({"b.example.com"})).ok());
  auto third = ra_->NewOrder(acct, OrderFor({"c.example.com"}));
  ASSERT_FALSE(third.ok());
  ExpectRateLimited(third.error(), "new-orders-per-account");
  EXPECT_EQ(third.error().retry_after, std::chrono::seconds(90 * 60));
  // Another account has its own budget; the same account again after the interval.
  core::Account other = NewAccount(NewKey());
  EXPECT_TRUE(ra_->NewOrder(other, OrderFor({"c.example.com"})).ok());
  clock_.Advance(90min);
  EXPECT_TRUE(ra_->NewOrder(acct, OrderFor({"c.example.com"})).ok());
  EXPECT_FALSE(ra_->NewOrder(acct, OrderFor({"d.example.com"})).ok());
  // newAuthz spends the same budget.
  clock_.Advance(90min);
  EXPECT_TRUE(ra_->NewPreAuthorization(acct, {core::IdentifierType::kDns, "e.example.com"}).ok());
}

TEST_F(RateLimitTest, AnOverrideRaisesOrLowersOneLimitForOneKey) {
  RateLimitConfig config;
  config.rates[Limit::kNewOrdersPerAccount] = Rate{1, 3h};
  Limit(config);
  core::Account big = NewAccount(NewKey());
  core::Account small = NewAccount(NewKey());
  config.overrides[{Limit::kNewOrdersPerAccount, std::to_string(big.id.value)}] = Rate{3, 3h};
  config.overrides[{Limit::kNewOrdersPerAccount, std::to_string(small.id.value)}] = Rate{0, 3h};
  Limit(config);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(ra_->NewOrder(big, OrderFor({"big.example.com"})).ok()) << i;
  EXPECT_FALSE(ra_->NewOrder(big, OrderFor({"big.example.com"})).ok());
  auto refused = ra_->NewOrder(small, OrderFor({"small.example.com"}));
  ASSERT_FALSE(refused.ok());
  ExpectRateLimited(refused.error(), "new-orders-per-account");
  core::Account plain = NewAccount(NewKey());
  EXPECT_TRUE(ra_->NewOrder(plain, OrderFor({"plain.example.com"})).ok());
  EXPECT_FALSE(ra_->NewOrder(plain, OrderFor({"plain.example.com"})).ok());
}

TEST_F(RateLimitTest, NewAccountsPerIpCountsIpv6ByItsSlash64) {
  RateLimitConfig config;
  config.rates[Limit::kNewAccountsPerIp] = Rate{1, 3h};
  Limit(config);
  auto create = [&](const std::string& address) {
    NewAccountRequest req;
    req.terms_of_service_agreed = true;
    req.client_address = address;
    return ra_->NewAccount(NewKey().public_key(), req);
  };
  EXPECT_TRUE(create("2001:db8::1").ok());
  auto second = create("2001:db8::2");  // the same /64
  ASSERT_FALSE(second.ok());
  ExpectRateLimited(second.error(), "new-accounts-per-ip");
  EXPECT_TRUE(create("2001:db8:0:1::1").ok());  // another /64
  EXPECT_TRUE(create("192.0.2.1").ok());
  EXPECT_FALSE(create("192.0.2.1").ok());
}

TEST_F(RateLimitTest, CertificatesPerRegisteredDomainAndDuplicates) {
  RateLimitConfig config;
  config.rates[Limit::kCertificatesPerDomain] = Rate{2, 168h};
  config.rates[Limit::kDuplicateCertificates] = Rate{1, 168h};
  Limit(config);
  core::Account acct = NewAccount(NewKey());
  auto key = NewKey();
  ASSERT_TRUE(FinalizeWith(acct, {"a.example.co.uk"}, key.pkey()).ok());
  // The same set of names again: duplicate-certificates, already at newOrder.
  auto dup = ra_->NewOrder(acct, OrderFor({"a.example.co.uk"}));
  ASSERT_FALSE(dup.ok());
  ExpectRateLimited(dup.error(), "duplicate-certificates");
  ASSERT_TRUE(FinalizeWith(acct, {"b.example.co.uk"}, key.pkey()).ok());
  // example.co.uk (public suffix + 1) has had its two certificates.
  auto third = ra_->NewOrder(acct, OrderFor({"c.example.co.uk"}));
  ASSERT_FALSE(third.ok());
  ExpectRateLimited(third.error(), "certificates-per-domain");
  EXPECT_NE(third.error().detail.find("example.co.uk"), std::string::npos);
  EXPECT_TRUE(ra_->NewOrder(acct, OrderFor({"c.other.co.uk"})).ok());
}

TEST_F(RateLimitTest, FailedValidationsPerAccountPerName) {
  RateLimitConfig config;
  config.rates[Limit::kFailedValidationsPerAccountPerName] = Rate{1, 1h};
  Limit(config);
  validator_.SetValidateResult(core::Err(ErrorType::kUnauthorized, "no"));
  core::Account acct = NewAccount(NewKey());
  auto order = ra_->NewOrder(acct, OrderFor({"fail.example.com"}));
  ASSERT_TRUE(order.ok());
  core::Authorization authz = store_->GetAuthorization(order->authz_ids.at(0)).value();
  ASSERT_TRUE(ra_->RespondToChallenge(acct, authz.challenges.at(0).id).ok());
  for (int i = 0; i < 500 && store_->GetAuthorization(authz.id)->status ==
                                 core::AuthzStatus::kPending; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  // The failure is recorded after the outcome; wait until the limit sees it.
  core::Result<core::Order> again = core::Err(ErrorType::kMalformed, "not tried");
  for (int i = 0; i < 500; ++i) {
    again = ra_->NewOrder(acct, OrderFor({"fail.example.com"}));
    if (!again.ok()) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(again.ok());
  ExpectRateLimited(again.error(), "failed-validations-per-account-per-name");
  EXPECT_TRUE(ra_->NewOrder(acct, OrderFor({"other.example.com"})).ok());
}

TEST_F(RateLimitTest, PendingAuthorizationsPerAccount) {
  RateLimitConfig config;
  config.max_pending_authorizations = 3;
  Limit(config);
  core::Account acct = NewAccount(NewKey());
  ASSERT_TRUE(ra_->NewOrder(acct, OrderFor({"a.example.com", "b.example.com"})).ok());
  auto over = ra_->NewOrder(acct, OrderFor({"c.example.com", "d.example.com"}));
  ASSERT_FALSE(over.ok());
  ExpectRateLimited(over.error(), "pending-authorizations-per-account");
  EXPECT_TRUE(ra_->NewOrder(acct, OrderFor({"c.example.com"})).ok());
  EXPECT_FALSE(ra_->NewPreAuthorization(acct, {core::IdentifierType::kDns, "e.example.com"}).ok());
}

}  // namespace
}  // namespace flint::ra
