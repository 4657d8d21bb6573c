// The Store contract for revocation status (CRL entries and numbers, blocked keys, the
// authorizations behind revocation by another account), run against every backend.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>
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

class StoreRevocationTest : public testing::BackendTest {
 protected:
  // An order for `names` whose authorizations are validated (valid = true) or failed.
  core::Order OrderWithAuthzs(core::AccountId account, const std::vector<std::string>& names,
                              bool valid = true, std::chrono::seconds authz_life = 24h) {
    core::Order o;
    o.account_id = account;
    o.expires = Now() + 24h;
    std::vector<core::Authorization> authzs;
    for (const std::string& n : names) {
      core::Identifier id{core::IdentifierType::kDns, n};
      o.identifiers.push_back(id);
      core::Authorization a;
      a.identifier = id;
      a.expires = Now() + authz_life;
      a.challenges.resize(1);
      a.challenges[0].token = "tok-" + n;
      authzs.push_back(std::move(a));
    }
    core::Order stored = Must(store().CreateOrder(o, std::move(authzs)));
    for (core::AuthzId id : stored.authz_ids) {
      core::ChallengeId ch = Must(store().GetAuthorization(id)).challenges.at(0).id;
      Must(store().SetChallengeProcessing(ch));
      Must(store().FinishValidation(ch, valid, std::nullopt, Now()));
    }
    return Must(store().GetOrder(stored.id));
  }

  // A stored certificate for `name`, valid for `validity` from now.
  core::Certificate Issue(core::AccountId account, const std::string& name,
                          const std::string& serial, std::chrono::seconds validity = 2400h) {
    core::Order o = OrderWithAuthzs(account, {name});
    Must(store().SetOrderProcessing(o.id));
    core::Certificate c;
    c.serial_hex = serial;
    c.der = "der-" + serial;
    c.chain_pem = "pem-" + serial;
    c.not_before = Now();
    c.not_after = Now() + validity;
    return Must(store().FinalizeOrder(o.id, c));
  }

};

TEST_P(StoreRevocationTest, ListsRevokedCertificatesInRevocationOrderWithReason) {
  core::AccountId acct = NewAccountId("t1");
  core::Certificate a = Issue(acct, "a.example.com", "0a");
  core::Certificate b = Issue(acct, "b.example.com", "0b");
  Issue(acct, "c.example.com", "0c");  // never revoked
  EXPECT_TRUE(Must(store().ListRevokedCertificates(Now())).empty());

  core::TimePoint t1 = std::chrono::floor<std::chrono::seconds>(Now());
  Must(store().RevokeCertificate(b.id, 1, t1));
  clock_.Advance(10s);
  Must(store().RevokeCertificate(a.id, 4, t1 + 10s));

  std::vector<RevokedCertificate> list = Must(store().ListRevokedCertificates(Now()));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].serial_hex, "0b");
  EXPECT_EQ(list[0].reason, 1);
  EXPECT_EQ(list[0].revoked_at, t1);
  EXPECT_EQ(list[0].not_after, b.not_after);
  EXPECT_EQ(list[1].serial_hex, "0a");
  EXPECT_EQ(list[1].reason, 4);
  EXPECT_EQ(list[1].revoked_at, t1 + 10s);
}

TEST_P(StoreRevocationTest, ExpiredRevokedCertificatesLeaveTheList) {
  core::AccountId acct = NewAccountId("t1");
  core::Certificate short_lived = Issue(acct, "a.example.com", "01", 1h);
  core::Certificate long_lived = Issue(acct, "b.example.com", "02", 100h);
  Must(store().RevokeCertificate(short_lived.id, 0, Now()));
  Must(store().RevokeCertificate(long_lived.id, 0, Now()));
  EXPECT_EQ(Must(store().ListRevokedCertificates(Now())).size(), 2u);
  std::vector<RevokedCertificate> later = Must(store().ListRevokedCertificates(Now() + 2h));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].serial_hex, "02");
}

TEST_P(StoreRevocationTest, SecondRevocationConflictsAndKeepsTheFirstReason) {
  core::AccountId acct = NewAccountId("t1");
  core::Certificate c = Issue(acct, "a.example.com", "01");
  Must(store().RevokeCertificate(c.id, 3, Now()));
  EXPECT_ERROR_TYPE(store().RevokeCertificate(c.id, 1, Now()), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().RevokeCertificate(core::CertificateId(999), 1, Now()),
                    ErrorType::kNotFound);
  core::Certificate got = Must(store().GetCertificateBySerial("01"));
  EXPECT_TRUE(got.revoked);
  EXPECT_EQ(got.revocation_reason, 3);
}

TEST_P(StoreRevocationTest, RevocationCountGrowsWithEveryRevocationSeenByEveryInstance) {
  testing::StoreHandle other = Must(db_->Open(clock_));
  EXPECT_EQ(Must(store().RevocationCount()), 0);
  core::AccountId acct = NewAccountId("t1");
  core::Certificate a = Issue(acct, "a.example.com", "0a");
  core::Certificate b = Issue(acct, "b.example.com", "0b");
  Must(store().RevokeCertificate(a.id, 1, Now()));
  EXPECT_EQ(Must(store().RevocationCount()), 1);
  EXPECT_EQ(Must(other.store->RevocationCount()), 1);
  EXPECT_ERROR_TYPE(other.store->RevokeCertificate(a.id, 1, Now()), ErrorType::kConflict);
  EXPECT_EQ(Must(store().RevocationCount()), 1);  // a refused revocation counts nothing
  Must(other.store->RevokeCertificate(b.id, 4, Now()));
  EXPECT_EQ(Must(store().RevocationCount()), 2);
}

TEST_P(StoreRevocationTest, CrlNumbersIncreaseAndRespectTheFloor) {
  EXPECT_EQ(Must(store().LastCrlNumber()), 0);
  EXPECT_EQ(Must(store().NextCrlNumber(100)), 100);
  EXPECT_EQ(Must(store().NextCrlNumber(100)), 101);
  EXPECT_EQ(Must(store().NextCrlNumber(50)), 102);  // never backwards
  EXPECT_EQ(Must(store().NextCrlNumber(500)), 500);
  EXPECT_EQ(Must(store().LastCrlNumber()), 500);
  EXPECT_EQ(Must(store().NextCrlNumber(0)), 501);
}

TEST_P(StoreRevocationTest, TheHighestPublishedCrlIsCurrentForEveryInstance) {
  EXPECT_EQ(Must(store().GetCurrentCrl(0)).number, 0);
  auto crl = [&](int64_t number, std::string der) {
    StoredCrl c;
    c.number = number;
    c.this_update = core::FromUnixSeconds(core::ToUnixSeconds(Now()));
    c.next_update = c.this_update + std::chrono::hours(24);
    c.revocations = number * 10;
    c.der = std::move(der);
    return c;
  };
  StoredCrl current = Must(store().PublishCrl(crl(7, std::string("crl\0seven", 9))));
  EXPECT_EQ(current.number, 7);
  EXPECT_EQ(current.der, std::string("crl\0seven", 9));
  testing::StoreHandle other = Must(db_->Open(clock_));
  // An older number loses to the current one, and learns it.
  current = Must(other.store->PublishCrl(crl(6, "six")));
  EXPECT_EQ(current.number, 7);
  EXPECT_EQ(current.revocations, 70);
  EXPECT_EQ(current.der, std::string("crl\0seven", 9));
  current = Must(other.store->PublishCrl(crl(9, "nine")));
  EXPECT_EQ(current.number, 9);
  StoredCrl read = Must(store().GetCurrentCrl(0));
  EXPECT_EQ(read.number, 9);
  EXPECT_EQ(read.der, "nine");
  EXPECT_EQ(read.this_update, current.this_update);
  EXPECT_EQ(read.next_update, current.next_update);
  // A reader that holds number 9 already gets the row without the DER.
  read = Must(store().GetCurrentCrl(9));
  EXPECT_EQ(read.number, 9);
  EXPECT_EQ(read.der, "");
}

TEST_P(StoreRevocationTest, CrlNumbersAreUniqueAcrossConcurrentInstances) {
  testing::StoreHandle other = Must(db_->Open(clock_));
  std::vector<int64_t> got_a, got_b;
  std::thread ta([&] {
    for (int i = 0; i < 25; ++i) got_a.push_back(Must(store().NextCrlNumber(1)));
  });
  std::thread tb([&] {
    for (int i = 0; i < 25; ++i) got_b.push_back(Must(other.store->NextCrlNumber(1)));
  });
  ta.join();
  tb.join();
  std::set<int64_t> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  EXPECT_EQ(all.size(), 50u);
  for (size_t i = 1; i < got_a.size(); ++i) EXPECT_GT(got_a[i], got_a[i - 1]);
  EXPECT_EQ(Must(store().LastCrlNumber()), *all.rbegin());
}

TEST_P(StoreRevocationTest, BlockedKeysAreIdempotentAndKeepTheFirstRecord) {
  const std::string spki(64, 'a');
  EXPECT_FALSE(Must(store().GetBlockedKey(spki)));
  core::TimePoint t = std::chrono::floor<std::chrono::seconds>(Now());
  Must(store().BlockKey({spki, t, "keyCompromise revocation of serial 01"}));
  clock_.Advance(5s);
  Must(store().BlockKey({spki, t + 5s, "admin"}));
  std::optional<BlockedKey> got = Must(store().GetBlockedKey(spki));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->spki_sha256, spki);
  EXPECT_EQ(got->blocked_at, t);
  EXPECT_EQ(got->source, "keyCompromise revocation of serial 01");
  EXPECT_FALSE(Must(store().GetBlockedKey(std::string(64, 'b'))));
}

TEST_P(StoreRevocationTest, ListsOnlyValidUnexpiredAuthorizationsOfTheAccount) {
  core::AccountId me = NewAccountId("me");
  core::AccountId other = NewAccountId("other");
  OrderWithAuthzs(me, {"a.example.com", "b.example.com"});
  OrderWithAuthzs(me, {"c.example.com"}, /*valid=*/false);
  OrderWithAuthzs(me, {"d.example.com"}, true, /*authz_life=*/1h);
  OrderWithAuthzs(other, {"e.example.com"});
  clock_.Advance(2h);  // d's authorization expires

  auto dns = [](const std::string& v) { return core::Identifier{core::IdentifierType::kDns, v}; };
  std::vector<core::Identifier> want = {dns("a.example.com"), dns("b.example.com"),
                                        dns("c.example.com"), dns("d.example.com"),
                                        dns("e.example.com"), dns("a.example.com")};
  std::vector<core::Authorization> got =
      Must(store().ListValidAuthorizations(me, want, Now()));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].identifier.value, "a.example.com");
  EXPECT_EQ(got[1].identifier.value, "b.example.com");
  for (const core::Authorization& a : got) {
    EXPECT_EQ(a.account_id, me);
    EXPECT_EQ(a.status, core::AuthzStatus::kValid);
  }
  // The identifier type matters.
  EXPECT_TRUE(Must(store().ListValidAuthorizations(
                       me, {core::Identifier{core::IdentifierType::kIp, "a.example.com"}}, Now()))
                  .empty());
  EXPECT_TRUE(Must(store().ListValidAuthorizations(other, {dns("a.example.com")}, Now())).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreRevocationTest,
                         ::testing::ValuesIn(testing::AllBackends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace flint::sa
