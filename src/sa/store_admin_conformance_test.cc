// The Store contract for EAB keys (RFC 8555 §7.3.4), `replaces` (RFC 9773 §5) and the operator
// listings, run against every backend in store_test_backends.cc.

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

class StoreAdminTest : public testing::BackendTest {
 protected:
  core::Account Account(const std::string& thumbprint, const std::string& eab = "") {
    core::Account a;
    a.jwk_json = R"({"kty":"EC"})";
    a.jwk_thumbprint = thumbprint;
    a.eab_key_id = eab;
    return a;
  }

  EabKey Key(const std::string& id) {
    EabKey k;
    k.key_id = id;
    k.hmac_key = std::string("\x00\x01\xff", 3) + id;
    k.note = "for " + id;
    k.created_at = clock_.Now();
    return k;
  }

  core::Order Order(core::AccountId account, const std::string& name,
                    const std::string& replaces = "") {
    core::Order o;
    o.account_id = account;
    o.expires = clock_.Now() + 24h;
    o.identifiers = {{core::IdentifierType::kDns, name}};
    o.profile = "default";
    o.replaces = replaces;
    core::Authorization a;
    a.identifier = o.identifiers[0];
    a.expires = clock_.Now() + 24h;
    a.challenges.resize(1);
    a.challenges[0].token = "tok-" + name;
    return Must(store().CreateOrder(o, {a}));
  }

};

TEST_P(StoreAdminTest, EabKeyRoundTripsAndListsOldestFirst) {
  EabKey a = Must(store().CreateEabKey(Key("kid-a")));
  clock_.Advance(5s);
  Must(store().CreateEabKey(Key("kid-b")));
  EXPECT_EQ(a.hmac_key, Key("kid-a").hmac_key);
  EXPECT_EQ(a.note, "for kid-a");
  EXPECT_FALSE(a.revoked_at);
  EXPECT_FALSE(a.account_id);
  std::vector<EabKey> all = Must(store().ListEabKeys());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key_id, "kid-a");
  EXPECT_EQ(all[1].key_id, "kid-b");
  EXPECT_ERROR_TYPE(store().GetEabKey("kid-none"), ErrorType::kNotFound);
}

TEST_P(StoreAdminTest, TheFirstCaToBindTheDatabaseKeepsIt) {
  const std::string first(64, 'a'), second(64, 'b');
  EXPECT_EQ(Must(store().BindCa(first)), first);
  EXPECT_EQ(Must(store().BindCa(first)), first);
  // Another instance with another CA learns whose database this is; nothing changes.
  testing::StoreHandle other = Must(db_->Open(clock_));
  EXPECT_EQ(Must(other.store->BindCa(second)), first);
  EXPECT_EQ(Must(store().BindCa(first)), first);
}

TEST_P(StoreAdminTest, EabKeyIdIsUnique) {
  Must(store().CreateEabKey(Key("kid-a")));
  EXPECT_ERROR_TYPE(store().CreateEabKey(Key("kid-a")), ErrorType::kConflict);
}

TEST_P(StoreAdminTest, RevokeEabKeyOnceThenConflictUnknownIsNotFound) {
  Must(store().CreateEabKey(Key("kid-a")));
  EabKey revoked = Must(store().RevokeEabKey("kid-a", clock_.Now()));
  ASSERT_TRUE(revoked.revoked_at);
  EXPECT_ERROR_TYPE(store().RevokeEabKey("kid-a", clock_.Now()), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().RevokeEabKey("kid-none", clock_.Now()), ErrorType::kNotFound);
}

TEST_P(StoreAdminTest, CreateAccountBindsTheEabKeyOnce) {
  Must(store().CreateEabKey(Key("kid-a")));
  core::Account acct = Must(store().CreateAccount(Account("tp-1", "kid-a")));
  EXPECT_EQ(acct.eab_key_id, "kid-a");
  EabKey bound = Must(store().GetEabKey("kid-a"));
  ASSERT_TRUE(bound.account_id);
  EXPECT_EQ(*bound.account_id, acct.id);
  // A second account cannot take the same key, and nothing of it is written.
  EXPECT_ERROR_TYPE(store().CreateAccount(Account("tp-2", "kid-a")), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().GetAccountByThumbprint("tp-2"), ErrorType::kNotFound);
}

TEST_P(StoreAdminTest, CreateAccountWithRevokedOrUnknownEabKeyConflicts) {
  Must(store().CreateEabKey(Key("kid-a")));
  Must(store().RevokeEabKey("kid-a", clock_.Now()));
  EXPECT_ERROR_TYPE(store().CreateAccount(Account("tp-1", "kid-a")), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().CreateAccount(Account("tp-1", "kid-none")), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().GetAccountByThumbprint("tp-1"), ErrorType::kNotFound);
}

TEST_P(StoreAdminTest, SecondOrderReplacingTheSameCertificateConflicts) {
  core::Account acct = Must(store().CreateAccount(Account("tp-1")));
  core::Order first = Order(acct.id, "a.example", "aki.serial");
  EXPECT_EQ(first.replaces, "aki.serial");
  EXPECT_EQ(first.profile, "default");
  core::Order o = Order(acct.id, "b.example");  // no replaces: never a conflict
  (void)o;
  core::Order second;
  second.account_id = acct.id;
  second.expires = clock_.Now() + 24h;
  second.identifiers = {{core::IdentifierType::kDns, "a.example"}};
  second.replaces = "aki.serial";
  second.authz_ids = first.authz_ids;
  EXPECT_ERROR_TYPE(store().CreateOrder(second, {}), ErrorType::kConflict);
}

TEST_P(StoreAdminTest, AnInvalidReplacingOrderFreesTheCertificate) {
  core::Account acct = Must(store().CreateAccount(Account("tp-1")));
  Order(acct.id, "a.example", "aki.serial");
  clock_.Advance(25h);  // the first order expired: derived invalid
  core::Order again = Order(acct.id, "a.example", "aki.serial");
  EXPECT_EQ(again.replaces, "aki.serial");
}

TEST_P(StoreAdminTest, AnOrderWithAFailedAuthorizationFreesTheCertificate) {
  core::Account acct = Must(store().CreateAccount(Account("tp-1")));
  core::Order first = Order(acct.id, "a.example", "aki.serial");
  EXPECT_ERROR_TYPE(store().CreateOrder(first, {}), ErrorType::kConflict);
  Must(store().DeactivateAuthorization(first.authz_ids[0]));  // first is now derived invalid
  core::Order again = Order(acct.id, "a.example", "aki.serial");
  EXPECT_EQ(again.replaces, "aki.serial");
  EXPECT_ERROR_TYPE(store().CreateOrder(first, {}), ErrorType::kConflict);  // `again` holds it
}

TEST_P(StoreAdminTest, ConcurrentReplacementsAcrossInstancesHaveExactlyOneWinner) {
  core::Account acct = Must(store().CreateAccount(Account("tp-1")));
  std::vector<testing::StoreHandle> instances;
  for (int i = 0; i < 8; ++i) instances.push_back(Must(db_->Open(clock_)));
  EXPECT_EQ(testing::RaceEightThreads([&](int i) -> core::Result<void> {
              core::Order o;
              o.account_id = acct.id;
              o.expires = clock_.Now() + 24h;
              o.identifiers = {{core::IdentifierType::kDns, "a.example"}};
              o.replaces = "aki.serial";
              core::Authorization a;
              a.identifier = o.identifiers[0];
              a.expires = o.expires;
              a.challenges.resize(1);
              a.challenges[0].token = "tok-" + std::to_string(i);
              FLINT_TRY(instances[i].store->CreateOrder(o, {a}));
              return core::Ok();
            }),
            1);
  EXPECT_EQ(Must(store().ListOrders(acct.id, 100)).size(), 1u);  // the losers wrote nothing
}

TEST_P(StoreAdminTest, ListingsAreNewestFirstAndFilterByAccount) {
  core::Account a = Must(store().CreateAccount(Account("tp-1")));
  core::Account b = Must(store().CreateAccount(Account("tp-2")));
  Order(a.id, "a1.example");
  Order(b.id, "b1.example");
  Order(a.id, "a2.example");
  std::vector<core::Account> accounts = Must(store().ListAccounts(10));
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0].id, b.id);
  EXPECT_EQ(Must(store().ListAccounts(1)).size(), 1u);
  EXPECT_TRUE(Must(store().ListAccounts(0)).empty());

  std::vector<core::Order> all = Must(store().ListOrders(std::nullopt, 10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].identifiers[0].value, "a2.example");
  std::vector<core::Order> of_a = Must(store().ListOrders(a.id, 10));
  ASSERT_EQ(of_a.size(), 2u);
  EXPECT_EQ(of_a[1].identifiers[0].value, "a1.example");
  EXPECT_TRUE(Must(store().ListCertificates(std::nullopt, 10)).empty());
  CertificateCounts counts = Must(store().CountCertificates());
  EXPECT_EQ(counts.issued, 0);
  EXPECT_EQ(counts.revoked, 0);
}

TEST_P(StoreAdminTest, CertificateListingsAndCounts) {
  core::Account a = Must(store().CreateAccount(Account("tp-1")));
  core::Account b = Must(store().CreateAccount(Account("tp-2")));
  auto issue = [&](core::AccountId acct, const std::string& name, const std::string& serial) {
    core::Order o = Order(acct, name);
    // Make the order ready: its one authorization valid.
    core::Authorization authz = Must(store().GetAuthorization(o.authz_ids[0]));
    Must(store().SetChallengeProcessing(authz.challenges[0].id));
    Must(store().FinishValidation(authz.challenges[0].id, true, std::nullopt, clock_.Now()));
    Must(store().SetOrderProcessing(o.id));
    core::Certificate c;
    c.serial_hex = serial;
    c.der = "der-" + serial;
    c.chain_pem = "pem";
    c.not_before = clock_.Now();
    c.not_after = clock_.Now() + 24h;
    return Must(store().FinalizeOrder(o.id, c));
  };
  core::Certificate c1 = issue(a.id, "a.example", "01");
  issue(b.id, "b.example", "02");
  core::Certificate c3 = issue(a.id, "c.example", "03");
  Must(store().RevokeCertificate(c1.id, 4, clock_.Now()));
  std::vector<core::Certificate> of_a = Must(store().ListCertificates(a.id, 10));
  ASSERT_EQ(of_a.size(), 2u);
  EXPECT_EQ(of_a[0].id, c3.id);
  EXPECT_TRUE(of_a[1].revoked);
  EXPECT_EQ(Must(store().ListCertificates(std::nullopt, 10)).size(), 3u);
  CertificateCounts counts = Must(store().CountCertificates());
  EXPECT_EQ(counts.issued, 3);
  EXPECT_EQ(counts.revoked, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreAdminTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace flint::sa
