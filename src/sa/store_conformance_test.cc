// The Store contract (store.h), run against every backend in store_test_backends.cc.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/types.h"
#include "sa/store.h"
#include "sa/store_test_backends.h"
#include "sa/store_test_fixture.h"
#include "sa/test_util.h"

namespace flint::sa {
namespace {

using namespace std::chrono_literals;
using core::AccountId;
using core::AuthzStatus;
using core::ChallengeStatus;
using core::ErrorType;
using core::OrderStatus;
using testing::Backend;
using testing::Must;
using testing::RaceEightThreads;

constexpr auto kAuthzLifetime = std::chrono::hours(24 * 7);
constexpr auto kOrderLifetime = std::chrono::hours(24 * 7);

class StoreConformanceTest : public testing::BackendTest {
 protected:
  core::Account CreateAccount(const std::string& thumbprint) {
    core::Account a;
    a.contacts = {"mailto:admin@example.com"};
    a.jwk_json = R"({"crv":"P-256","kty":"EC","x":")" + thumbprint + R"(","y":"y"})";
    a.jwk_thumbprint = thumbprint;
    a.terms_of_service_agreed = true;
    return Must(store().CreateAccount(a));
  }

  static core::Authorization NewAuthz(const std::string& name, bool wildcard = false) {
    core::Authorization a;
    a.identifier = {core::IdentifierType::kDns, name};
    a.wildcard = wildcard;
    return a;
  }

  core::Order CreateOrderWith(AccountId account, std::vector<core::Authorization> authzs,
                              std::vector<core::AuthzId> reused = {}) {
    core::Order o;
    o.account_id = account;
    o.expires = Now() + kOrderLifetime;
    for (core::AuthzId id : reused) o.authz_ids.push_back(id);
    for (core::Authorization& a : authzs) {
      o.identifiers.push_back(a.identifier);
      if (a.expires == core::TimePoint()) a.expires = Now() + kAuthzLifetime;
      if (a.challenges.empty()) {
        a.challenges.resize(2);
        a.challenges[0].type = core::ChallengeType::kHttp01;
        a.challenges[0].token = "tok-http-" + a.identifier.value;
        a.challenges[1].type = core::ChallengeType::kDns01;
        a.challenges[1].token = "tok-dns-" + a.identifier.value;
      }
    }
    return Must(store().CreateOrder(o, std::move(authzs)));
  }

  core::Order CreateOrder(AccountId account, const std::vector<std::string>& names) {
    std::vector<core::Authorization> authzs;
    for (const std::string& n : names) authzs.push_back(NewAuthz(n));
    return CreateOrderWith(account, std::move(authzs));
  }

  // Runs the first challenge of `id` through processing to `valid` (or invalid with `error`).
  void Validate(core::AuthzId id, bool valid = true, std::optional<core::Error> error = {}) {
    core::Authorization a = Must(store().GetAuthorization(id));
    core::ChallengeId ch = a.challenges.at(0).id;
    Must(store().SetChallengeProcessing(ch));
    Must(store().FinishValidation(ch, valid, std::move(error), Now()));
  }

  core::Order ReadyOrder(AccountId account, const std::vector<std::string>& names) {
    core::Order o = CreateOrder(account, names);
    for (core::AuthzId id : o.authz_ids) Validate(id);
    return Must(store().GetOrder(o.id));
  }

  core::Certificate MakeCert(const std::string& serial) {
    core::Certificate c;
    c.serial_hex = serial;
    c.der = std::string("\x30\x82\x00\x00\x01", 5) + serial;  // NUL bytes must survive
    c.chain_pem = "-----BEGIN CERTIFICATE-----\n" + serial + "\n-----END CERTIFICATE-----\n";
    c.not_before = Now();
    c.not_after = Now() + 90 * 24h;
    return c;
  }

};

// --- Accounts ---

TEST_P(StoreConformanceTest, CreateAccountStoresAValidAccount) {
  core::Account in;
  in.status = core::AccountStatus::kDeactivated;  // ignored: new accounts are valid
  in.contacts = {"mailto:a@example.com", "mailto:b@example.com"};
  in.jwk_json = R"({"e":"AQAB","kty":"RSA","n":"abc"})";
  in.jwk_thumbprint = "thumb-1";
  in.terms_of_service_agreed = true;
  in.eab_key_id = "kid-7";
  EabKey eab;  // CreateAccount binds the account's EAB key, which must exist (store.h)
  eab.key_id = "kid-7";
  eab.hmac_key = "mac";
  eab.created_at = Now();
  Must(store().CreateEabKey(eab));
  core::Account out = Must(store().CreateAccount(in));
  EXPECT_GT(out.id.value, 0);
  EXPECT_EQ(out.status, core::AccountStatus::kValid);
  EXPECT_EQ(out.created_at, Now());

  for (const core::Account& got :
       {Must(store().GetAccount(out.id)), Must(store().GetAccountByThumbprint("thumb-1"))}) {
    EXPECT_EQ(got.id, out.id);
    EXPECT_EQ(got.status, core::AccountStatus::kValid);
    EXPECT_EQ(got.contacts, in.contacts);
    EXPECT_EQ(got.jwk_json, in.jwk_json);
    EXPECT_EQ(got.jwk_thumbprint, "thumb-1");
    EXPECT_TRUE(got.terms_of_service_agreed);
    EXPECT_EQ(got.eab_key_id, "kid-7");
    EXPECT_EQ(got.created_at, Now());
  }
}

TEST_P(StoreConformanceTest, CreateAccountWithTakenThumbprintConflicts) {
  core::Account first = CreateAccount("same");
  core::Account dup;
  dup.jwk_json = "{}";
  dup.jwk_thumbprint = "same";
  EXPECT_ERROR_TYPE(store().CreateAccount(dup), ErrorType::kConflict);
  EXPECT_EQ(Must(store().GetAccountByThumbprint("same")).id, first.id);
  EXPECT_EQ(Must(store().GetAccountByThumbprint("same")).jwk_json, first.jwk_json);
}

TEST_P(StoreConformanceTest, UpdateAccountContactsReplacesTheList) {
  core::Account a = CreateAccount("t");
  core::Account updated = Must(store().UpdateAccountContacts(a.id, {"mailto:new@example.com"}));
  EXPECT_EQ(updated.contacts, std::vector<std::string>{"mailto:new@example.com"});
  EXPECT_TRUE(Must(store().UpdateAccountContacts(a.id, {})).contacts.empty());
  EXPECT_TRUE(Must(store().GetAccount(a.id)).contacts.empty());
}

TEST_P(StoreConformanceTest, DeactivatedAccountRefusesFurtherChanges) {
  core::Account a = CreateAccount("t");
  EXPECT_EQ(Must(store().DeactivateAccount(a.id)).status, core::AccountStatus::kDeactivated);
  EXPECT_ERROR_TYPE(store().DeactivateAccount(a.id), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().UpdateAccountContacts(a.id, {}), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().ChangeAccountKey(a.id, "t", "{}", "t2"), ErrorType::kConflict);
  core::Account got = Must(store().GetAccount(a.id));
  EXPECT_EQ(got.status, core::AccountStatus::kDeactivated);
  EXPECT_EQ(got.contacts, a.contacts);
}

TEST_P(StoreConformanceTest, ChangeAccountKeyMovesTheAccountToTheNewKey) {
  core::Account a = CreateAccount("old");
  core::Account moved = Must(store().ChangeAccountKey(a.id, "old", R"({"new":1})", "new"));
  EXPECT_EQ(moved.jwk_thumbprint, "new");
  EXPECT_EQ(moved.jwk_json, R"({"new":1})");
  EXPECT_EQ(Must(store().GetAccountByThumbprint("new")).id, a.id);
  EXPECT_ERROR_TYPE(store().GetAccountByThumbprint("old"), ErrorType::kNotFound);
}

TEST_P(StoreConformanceTest, ChangeAccountKeyToATakenKeyConflictsAndChangesNothing) {
  core::Account a = CreateAccount("key-a");
  core::Account b = CreateAccount("key-b");
  EXPECT_ERROR_TYPE(store().ChangeAccountKey(a.id, "key-a", "{}", "key-b"), ErrorType::kConflict);
  core::Account got_a = Must(store().GetAccount(a.id));
  EXPECT_EQ(got_a.jwk_thumbprint, "key-a");
  EXPECT_EQ(got_a.jwk_json, a.jwk_json);
  EXPECT_EQ(Must(store().GetAccountByThumbprint("key-b")).id, b.id);
}

TEST_P(StoreConformanceTest, ChangeAccountKeyWithStaleOldThumbprintConflicts) {
  core::Account a = CreateAccount("current");
  EXPECT_ERROR_TYPE(store().ChangeAccountKey(a.id, "stale", "{}", "next"), ErrorType::kConflict);
  EXPECT_EQ(Must(store().GetAccount(a.id)).jwk_thumbprint, "current");
}

// A backend that keeps accounts in memory (CachingStore) must still show every change to the
// next read, including for an account read (and cached) before the change.
TEST_P(StoreConformanceTest, GetAccountSeesEveryEarlierAccountWrite) {
  core::Account a = CreateAccount("k1");
  EXPECT_EQ(Must(store().GetAccount(a.id)).jwk_thumbprint, "k1");
  Must(store().UpdateAccountContacts(a.id, {"mailto:x@example.com"}));
  EXPECT_EQ(Must(store().GetAccount(a.id)).contacts,
            std::vector<std::string>{"mailto:x@example.com"});
  Must(store().ChangeAccountKey(a.id, "k1", R"({"k":2})", "k2"));
  core::Account moved = Must(store().GetAccount(a.id));
  EXPECT_EQ(moved.jwk_thumbprint, "k2");
  EXPECT_EQ(moved.jwk_json, R"({"k":2})");
  Must(store().DeactivateAccount(a.id));
  EXPECT_EQ(Must(store().GetAccount(a.id)).status, core::AccountStatus::kDeactivated);
}

// --- Orders, authorizations, challenges ---

TEST_P(StoreConformanceTest, CreateOrderStoresOrderAuthorizationsAndChallenges) {
  core::Account acct = CreateAccount("t");
  core::Order in;
  in.account_id = acct.id;
  in.expires = Now() + 48h;
  in.identifiers = {{core::IdentifierType::kDns, "example.com"},
                    {core::IdentifierType::kIp, "192.0.2.1"}};
  in.not_before = Now() + 1h;
  in.not_after = Now() + 24h;
  in.profile = "shortlived";
  in.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
  std::vector<core::Authorization> authzs = {NewAuthz("example.com", /*wildcard=*/true),
                                             NewAuthz("192.0.2.1")};
  authzs[1].identifier.type = core::IdentifierType::kIp;
  for (core::Authorization& a : authzs) {
    a.expires = Now() + 24h;
    a.challenges.resize(1);
    a.challenges[0].type = core::ChallengeType::kTlsAlpn01;
    a.challenges[0].token = "token-" + a.identifier.value;
  }
  core::Order out = Must(store().CreateOrder(in, authzs));

  core::Order got = Must(store().GetOrder(out.id));
  EXPECT_EQ(got.id, out.id);
  EXPECT_EQ(got.account_id, acct.id);
  EXPECT_EQ(got.status, OrderStatus::kPending);
  EXPECT_EQ(got.expires, in.expires);
  EXPECT_EQ(got.identifiers, in.identifiers);
  EXPECT_EQ(got.not_before, in.not_before);
  EXPECT_EQ(got.not_after, in.not_after);
  EXPECT_EQ(got.profile, "shortlived");
  EXPECT_EQ(got.replaces, in.replaces);
  EXPECT_EQ(got.created_at, Now());
  EXPECT_FALSE(got.error.has_value());
  EXPECT_FALSE(got.certificate_id.has_value());
  ASSERT_EQ(got.authz_ids.size(), 2u);
  EXPECT_EQ(got.authz_ids, out.authz_ids);

  for (size_t i = 0; i < 2; ++i) {
    core::Authorization a = Must(store().GetAuthorization(got.authz_ids[i]));
    EXPECT_EQ(a.account_id, acct.id);
    EXPECT_EQ(a.identifier, authzs[i].identifier);
    EXPECT_EQ(a.wildcard, i == 0);
    EXPECT_EQ(a.status, AuthzStatus::kPending);
    EXPECT_EQ(a.expires, Now() + 24h);
    ASSERT_EQ(a.challenges.size(), 1u);
    const core::Challenge& ch = a.challenges[0];
    EXPECT_EQ(ch.authz_id, a.id);
    EXPECT_EQ(ch.type, core::ChallengeType::kTlsAlpn01);
    EXPECT_EQ(ch.status, ChallengeStatus::kPending);
    EXPECT_EQ(ch.token, "token-" + a.identifier.value);
    EXPECT_FALSE(ch.validated_at.has_value());
    core::Challenge direct = Must(store().GetChallenge(ch.id));
    EXPECT_EQ(direct.token, ch.token);
    EXPECT_EQ(direct.authz_id, a.id);
  }
}

TEST_P(StoreConformanceTest, CreateOrderAppendsNewAuthorizationsAfterReusedOnes) {
  core::Account acct = CreateAccount("t");
  core::Order first = ReadyOrder(acct.id, {"a.example"});
  core::AuthzId reused = first.authz_ids[0];
  core::Order second = CreateOrderWith(acct.id, {NewAuthz("b.example")}, {reused});
  ASSERT_EQ(second.authz_ids.size(), 2u);
  EXPECT_EQ(second.authz_ids[0], reused);
  EXPECT_EQ(Must(store().GetOrder(second.id)).authz_ids, second.authz_ids);
  EXPECT_EQ(Must(store().GetAuthorization(second.authz_ids[1])).identifier.value, "b.example");
}

TEST_P(StoreConformanceTest, CreateOrderWithUnknownAccountOrForeignAuthorizationIsNotFound) {
  core::Account mine = CreateAccount("mine");
  core::Account other = CreateAccount("other");
  core::Order theirs = CreateOrder(other.id, {"x.example"});

  core::Order o;
  o.account_id = AccountId(999999);
  o.expires = Now() + 1h;
  EXPECT_ERROR_TYPE(store().CreateOrder(o, {NewAuthz("a.example")}), ErrorType::kNotFound);
  o.account_id = mine.id;
  o.authz_ids = {theirs.authz_ids[0]};
  EXPECT_ERROR_TYPE(store().CreateOrder(o, {}), ErrorType::kNotFound);
  o.authz_ids = {core::AuthzId(999999)};
  EXPECT_ERROR_TYPE(store().CreateOrder(o, {}), ErrorType::kNotFound);
  EXPECT_TRUE(Must(store().ListOrderIds(mine.id, 0, 10)).empty());
}

TEST_P(StoreConformanceTest, OrderBecomesReadyWhenEveryAuthorizationIsValid) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example", "b.example"});
  Validate(o.authz_ids[0]);
  EXPECT_EQ(Must(store().GetAuthorization(o.authz_ids[0])).status, AuthzStatus::kValid);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kPending);
  Validate(o.authz_ids[1]);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kReady);

  core::Challenge ch = Must(store().GetAuthorization(o.authz_ids[1])).challenges[0];
  EXPECT_EQ(ch.status, ChallengeStatus::kValid);
  EXPECT_EQ(ch.validated_at, Now());
  EXPECT_FALSE(ch.error.has_value());
}

TEST_P(StoreConformanceTest, FailedChallengeInvalidatesAuthorizationAndOrder) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example", "b.example"});
  core::Error err = core::Err(ErrorType::kConnection, "connection refused");
  err.subproblems.push_back({ErrorType::kDns, "NXDOMAIN", "dns", "a.example"});
  Validate(o.authz_ids[0], /*valid=*/false, err);

  core::Authorization a = Must(store().GetAuthorization(o.authz_ids[0]));
  EXPECT_EQ(a.status, AuthzStatus::kInvalid);
  const core::Challenge& ch = a.challenges[0];
  EXPECT_EQ(ch.status, ChallengeStatus::kInvalid);
  EXPECT_FALSE(ch.validated_at.has_value());  // RFC 8555 §7.1.5: only a valid one is dated
  ASSERT_TRUE(ch.error.has_value());
  EXPECT_EQ(ch.error->type, ErrorType::kConnection);
  EXPECT_EQ(ch.error->detail, "connection refused");
  ASSERT_EQ(ch.error->subproblems.size(), 1u);
  EXPECT_EQ(ch.error->subproblems[0].type, ErrorType::kDns);
  EXPECT_EQ(ch.error->subproblems[0].identifier_value, "a.example");
  EXPECT_EQ(a.challenges[1].status, ChallengeStatus::kPending);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kInvalid);
}

TEST_P(StoreConformanceTest, DeactivatedAuthorizationInvalidatesOrder) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example", "b.example"});
  Validate(o.authz_ids[0]);
  EXPECT_EQ(Must(store().DeactivateAuthorization(o.authz_ids[1])).status,
            AuthzStatus::kDeactivated);
  EXPECT_ERROR_TYPE(store().DeactivateAuthorization(o.authz_ids[1]), ErrorType::kConflict);
  EXPECT_EQ(Must(store().DeactivateAuthorization(o.authz_ids[0])).status,
            AuthzStatus::kDeactivated);  // valid -> deactivated is allowed too (§7.5.2)
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kInvalid);
}

TEST_P(StoreConformanceTest, AuthorizationExpiryInvalidatesPendingOrder) {
  core::Account acct = CreateAccount("t");
  core::Authorization short_lived = NewAuthz("a.example");
  short_lived.expires = Now() + 1h;
  core::Order o = CreateOrderWith(acct.id, {short_lived});
  clock_.Advance(1h - 1s);
  EXPECT_EQ(Must(store().GetAuthorization(o.authz_ids[0])).status, AuthzStatus::kPending);
  clock_.Advance(1s);
  EXPECT_EQ(Must(store().GetAuthorization(o.authz_ids[0])).status, AuthzStatus::kExpired);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kInvalid);
  EXPECT_ERROR_TYPE(store().DeactivateAuthorization(o.authz_ids[0]), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().SetChallengeProcessing(
                        Must(store().GetAuthorization(o.authz_ids[0])).challenges[0].id),
                    ErrorType::kConflict);
}

TEST_P(StoreConformanceTest, ExpiredValidAuthorizationMakesReadyOrderInvalid) {
  core::Account acct = CreateAccount("t");
  core::Authorization a = NewAuthz("a.example");
  a.expires = Now() + 2h;
  core::Order o = CreateOrderWith(acct.id, {a});
  Validate(o.authz_ids[0]);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kReady);
  clock_.Advance(2h);
  EXPECT_EQ(Must(store().GetAuthorization(o.authz_ids[0])).status, AuthzStatus::kExpired);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kInvalid);
  EXPECT_ERROR_TYPE(store().SetOrderProcessing(o.id), ErrorType::kConflict);
}

TEST_P(StoreConformanceTest, OrderPastExpiresIsInvalidUnlessFinished) {
  core::Account acct = CreateAccount("t");
  core::Order pending = CreateOrder(acct.id, {"a.example"});
  core::Order done = ReadyOrder(acct.id, {"b.example"});
  Must(store().SetOrderProcessing(done.id));
  Must(store().FinalizeOrder(done.id, MakeCert("01")));
  clock_.Advance(kOrderLifetime);
  EXPECT_EQ(Must(store().GetOrder(pending.id)).status, OrderStatus::kInvalid);
  EXPECT_EQ(Must(store().GetOrder(done.id)).status, OrderStatus::kValid);
}

// --- Rate limits ---

TEST_P(StoreConformanceTest, RateLimitUpdatesAreAtomicCompareAndSets) {
  EXPECT_EQ(Must(store().GetRateLimit("k")), std::nullopt);
  // A refusing admit writes nothing.
  EXPECT_FALSE(Must(store().UpdateRateLimit("k", [](std::optional<int64_t>) {
    return std::optional<int64_t>();
  })));
  EXPECT_EQ(Must(store().GetRateLimit("k")), std::nullopt);
  // Eight threads each add 1 to the stored value ten times: no update is lost.
  EXPECT_EQ(RaceEightThreads([&](int) -> core::Result<void> {
              for (int i = 0; i < 10; ++i) {
                FLINT_TRY(store().UpdateRateLimit("k", [](std::optional<int64_t> v) {
                  return std::optional<int64_t>(v.value_or(0) + 1);
                }));
              }
              return core::Ok();
            }),
            8);
  EXPECT_EQ(Must(store().GetRateLimit("k")), std::optional<int64_t>(80));
  EXPECT_EQ(Must(store().GetRateLimit("other")), std::nullopt);
}

TEST_P(StoreConformanceTest, CountPendingAuthorizationsCountsLivePendingOnesUpToTheBound) {
  AccountId account = CreateAccount("count").id;
  AccountId other = CreateAccount("count-other").id;
  core::Order o = CreateOrder(account, {"a.example", "b.example", "c.example"});
  CreateOrder(other, {"d.example"});
  EXPECT_EQ(Must(store().CountPendingAuthorizations(account, Now(), 100)), 3);
  EXPECT_EQ(Must(store().CountPendingAuthorizations(account, Now(), 2)), 2);  // bounded
  Validate(o.authz_ids[0]);
  EXPECT_EQ(Must(store().CountPendingAuthorizations(account, Now(), 100)), 2);
  // Expired ones no longer count.
  EXPECT_EQ(Must(store().CountPendingAuthorizations(account, Now() + kAuthzLifetime, 100)), 0);
}

TEST_P(StoreConformanceTest, CreateAuthorizationStoresAPreAuthorizationOutsideAnyOrder) {
  AccountId account = CreateAccount("pre").id;
  core::Authorization in = NewAuthz("pre.example");
  in.account_id = account;
  in.status = core::AuthzStatus::kPending;
  in.expires = Now() + kAuthzLifetime;
  in.challenges.resize(1);
  in.challenges[0].type = core::ChallengeType::kDnsAccount01;
  in.challenges[0].token = "tok-pre";
  core::Authorization stored = Must(store().CreateAuthorization(in));
  EXPECT_NE(stored.id.value, 0);
  EXPECT_EQ(stored.account_id, account);
  EXPECT_EQ(stored.status, core::AuthzStatus::kPending);
  ASSERT_EQ(stored.challenges.size(), 1u);
  EXPECT_EQ(stored.challenges[0].type, core::ChallengeType::kDnsAccount01);
  EXPECT_EQ(stored.challenges[0].status, core::ChallengeStatus::kPending);

  // Validated, it is reusable by a later order of the same account.
  Validate(stored.id);
  auto reuse = Must(store().FindReusableAuthorization(account, in.identifier, false, Now()));
  ASSERT_TRUE(reuse.has_value());
  EXPECT_EQ(reuse->id, stored.id);
  core::Order order = CreateOrderWith(account, {}, {stored.id});
  EXPECT_EQ(order.status, core::OrderStatus::kReady);
}

TEST_P(StoreConformanceTest, FindReusableAuthorizationMatchesOnlyValidLiveExactAuthorizations) {
  core::Account acct = CreateAccount("t");
  core::Account other = CreateAccount("other");
  core::Order o = ReadyOrder(acct.id, {"a.example"});
  CreateOrder(acct.id, {"pending.example"});
  core::AuthzId valid_id = o.authz_ids[0];
  core::TimePoint expires = Must(store().GetAuthorization(valid_id)).expires;
  const core::Identifier a{core::IdentifierType::kDns, "a.example"};

  struct Case {
    std::string name;
    AccountId account;
    core::Identifier identifier;
    bool wildcard;
    core::TimePoint now;
    bool found;
  };
  const std::vector<Case> cases = {
      {"ok/exact", acct.id, a, false, Now(), true},
      {"ok/just-before-expiry", acct.id, a, false, expires - 1s, true},
      {"none/at-expiry", acct.id, a, false, expires, false},
      {"none/wildcard-differs", acct.id, a, true, Now(), false},
      {"none/other-account", other.id, a, false, Now(), false},
      {"none/ip-type", acct.id, {core::IdentifierType::kIp, "a.example"}, false, Now(), false},
      {"none/pending-only",
       acct.id,
       {core::IdentifierType::kDns, "pending.example"},
       false,
       Now(),
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto found =
        Must(store().FindReusableAuthorization(c.account, c.identifier, c.wildcard, c.now));
    ASSERT_EQ(found.has_value(), c.found);
    if (c.found) {
      EXPECT_EQ(found->id, valid_id);
      EXPECT_EQ(found->status, AuthzStatus::kValid);
      EXPECT_EQ(found->challenges.size(), 2u);
    }
  }
}

TEST_P(StoreConformanceTest, ListOrderIdsPaginatesNewestFirst) {
  core::Account acct = CreateAccount("t");
  core::Account other = CreateAccount("other");
  std::vector<core::OrderId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(CreateOrder(acct.id, {"n" + std::to_string(i) + ".example"}).id);
    CreateOrder(other.id, {"o" + std::to_string(i) + ".example"});
  }
  using V = std::vector<core::OrderId>;
  EXPECT_EQ(Must(store().ListOrderIds(acct.id, 0, 2)), (V{ids[4], ids[3]}));
  EXPECT_EQ(Must(store().ListOrderIds(acct.id, ids[3].value, 2)), (V{ids[2], ids[1]}));
  EXPECT_EQ(Must(store().ListOrderIds(acct.id, ids[1].value, 2)), (V{ids[0]}));
  EXPECT_EQ(Must(store().ListOrderIds(acct.id, ids[0].value, 2)), V{});
  EXPECT_EQ(Must(store().ListOrderIds(acct.id, 0, 100)).size(), 5u);
  EXPECT_EQ(Must(store().ListOrderIds(acct.id, 0, 0)), V{});
  EXPECT_EQ(Must(store().ListOrderIds(AccountId(999999), 0, 10)), V{});
}

TEST_P(StoreConformanceTest, SetChallengeProcessingSucceedsOnce) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example"});
  core::Authorization a = Must(store().GetAuthorization(o.authz_ids[0]));
  core::Challenge ch = Must(store().SetChallengeProcessing(a.challenges[0].id));
  EXPECT_EQ(ch.status, ChallengeStatus::kProcessing);
  EXPECT_ERROR_TYPE(store().SetChallengeProcessing(a.challenges[0].id), ErrorType::kConflict);
  // One validation at a time per authorization.
  EXPECT_ERROR_TYPE(store().SetChallengeProcessing(a.challenges[1].id), ErrorType::kConflict);
  EXPECT_EQ(Must(store().GetChallenge(a.challenges[1].id)).status, ChallengeStatus::kPending);
}

TEST_P(StoreConformanceTest, SetChallengeProcessingNeedsPendingAuthorization) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example", "b.example"});
  Validate(o.authz_ids[0]);
  core::Authorization valid = Must(store().GetAuthorization(o.authz_ids[0]));
  EXPECT_ERROR_TYPE(store().SetChallengeProcessing(valid.challenges[1].id), ErrorType::kConflict);
  Must(store().DeactivateAuthorization(o.authz_ids[1]));
  core::Authorization gone = Must(store().GetAuthorization(o.authz_ids[1]));
  EXPECT_ERROR_TYPE(store().SetChallengeProcessing(gone.challenges[0].id), ErrorType::kConflict);
}

TEST_P(StoreConformanceTest, FinishValidationNeedsAProcessingChallenge) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example"});
  core::Authorization a = Must(store().GetAuthorization(o.authz_ids[0]));
  EXPECT_ERROR_TYPE(store().FinishValidation(a.challenges[0].id, true, std::nullopt, Now()),
                    ErrorType::kConflict);
  Validate(a.id);
  EXPECT_ERROR_TYPE(store().FinishValidation(a.challenges[0].id, false, std::nullopt, Now()),
                    ErrorType::kConflict);
  EXPECT_EQ(Must(store().GetAuthorization(a.id)).status, AuthzStatus::kValid);
}

TEST_P(StoreConformanceTest, AbandonedValidationsAreClaimedOnceTheirLeaseEnds) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example", "b.example", "c.example"});
  std::vector<core::ChallengeId> started;
  for (int i : {0, 2}) {
    core::Authorization a = Must(store().GetAuthorization(o.authz_ids[i]));
    started.push_back(Must(store().SetChallengeProcessing(a.challenges[1].id)).id);
  }
  testing::StoreHandle other = Must(db_->Open(clock_));
  // While the owner's lease holds, no other instance takes the validations over.
  EXPECT_TRUE(Must(other.store->ClaimAbandonedValidations(Now())).empty());
  clock_.Advance(kValidationLease - std::chrono::seconds(1));
  EXPECT_TRUE(Must(other.store->ClaimAbandonedValidations(Now())).empty());
  // Once it has ended (the owner died), exactly one claimant gets each, in id order.
  clock_.Advance(std::chrono::seconds(1));
  std::vector<core::Challenge> claimed = Must(other.store->ClaimAbandonedValidations(Now()));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, started[0]);
  EXPECT_EQ(claimed[1].id, started[1]);
  EXPECT_EQ(claimed[0].status, ChallengeStatus::kProcessing);
  EXPECT_TRUE(Must(store().ClaimAbandonedValidations(Now())).empty());
  // The claim is a new lease: it too runs out if the claimant dies.
  clock_.Advance(kValidationLease);
  Must(store().FinishValidation(started[0], true, std::nullopt, Now()));
  claimed = Must(store().ClaimAbandonedValidations(Now()));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, started[1]);
}

TEST_P(StoreConformanceTest, AnInstanceAloneOnItsDatabaseResumesEveryValidation) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example"});
  core::Authorization a = Must(store().GetAuthorization(o.authz_ids[0]));
  core::ChallengeId id = Must(store().SetChallengeProcessing(a.challenges[0].id)).id;
  testing::StoreHandle restarted = Must(db_->Open(clock_));
  std::vector<core::Challenge> claimed =
      Must(restarted.store->ClaimAbandonedValidations(core::TimePoint::max()));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, id);
}

TEST_P(StoreConformanceTest, ConcurrentClaimsOfAbandonedValidationsNeverShareOne) {
  core::Account acct = CreateAccount("t");
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("n" + std::to_string(i) + ".example");
  core::Order o = CreateOrder(acct.id, names);
  for (core::AuthzId id : o.authz_ids) {
    Must(store().SetChallengeProcessing(Must(store().GetAuthorization(id)).challenges[0].id));
  }
  clock_.Advance(kValidationLease);
  std::vector<testing::StoreHandle> instances;
  for (int i = 0; i < 8; ++i) instances.push_back(Must(db_->Open(clock_)));
  std::mutex mu;
  std::vector<int64_t> all;
  RaceEightThreads([&](int i) -> core::Result<void> {
    FLINT_ASSIGN_OR_RETURN(std::vector<core::Challenge> got,
                           instances[i].store->ClaimAbandonedValidations(Now()));
    std::lock_guard<std::mutex> lock(mu);
    for (const core::Challenge& ch : got) all.push_back(ch.id.value);
    return core::Ok();
  });
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 20u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

TEST_P(StoreConformanceTest, SetOrderProcessingNeedsAReadyOrder) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example"});
  EXPECT_ERROR_TYPE(store().SetOrderProcessing(o.id), ErrorType::kConflict);
  Validate(o.authz_ids[0]);
  Must(store().SetOrderProcessing(o.id));
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kProcessing);
  EXPECT_ERROR_TYPE(store().SetOrderProcessing(o.id), ErrorType::kConflict);
}

TEST_P(StoreConformanceTest, ConcurrentFinalizeOnOneInstanceHasExactlyOneWinner) {
  core::Account acct = CreateAccount("t");
  core::Order o = ReadyOrder(acct.id, {"a.example", "b.example"});
  ASSERT_EQ(o.status, OrderStatus::kReady);
  EXPECT_EQ(RaceEightThreads([&](int) { return store().SetOrderProcessing(o.id); }), 1);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kProcessing);
}

TEST_P(StoreConformanceTest, ConcurrentFinalizeAcrossInstancesHasExactlyOneWinner) {
  core::Account acct = CreateAccount("t");
  core::Order o = ReadyOrder(acct.id, {"a.example"});
  std::vector<testing::StoreHandle> instances;
  for (int i = 0; i < 8; ++i) instances.push_back(Must(db_->Open(clock_)));
  EXPECT_EQ(RaceEightThreads([&](int i) { return instances[i].store->SetOrderProcessing(o.id); }),
            1);
  EXPECT_EQ(Must(store().GetOrder(o.id)).status, OrderStatus::kProcessing);
}

TEST_P(StoreConformanceTest, ConcurrentChallengeStartsAcrossInstancesHaveExactlyOneWinner) {
  core::Account acct = CreateAccount("t");
  core::Order o = CreateOrder(acct.id, {"a.example"});
  core::Authorization a = Must(store().GetAuthorization(o.authz_ids[0]));
  ASSERT_EQ(a.challenges.size(), 2u);
  std::vector<testing::StoreHandle> instances;
  for (int i = 0; i < 8; ++i) instances.push_back(Must(db_->Open(clock_)));
  // Half the instances start one challenge, half the other: one validation at a time in all.
  EXPECT_EQ(RaceEightThreads([&](int i) -> core::Result<void> {
              FLINT_TRY(instances[i].store->SetChallengeProcessing(a.challenges[i % 2].id));
              return core::Ok();
            }),
            1);
  clock_.Advance(kValidationLease);
  EXPECT_EQ(Must(store().ClaimAbandonedValidations(Now())).size(), 1u);
}

TEST_P(StoreConformanceTest, ReadyOrderPastExpiresCannotStartProcessing) {
  core::Account acct = CreateAccount("t");
  core::Order o = ReadyOrder(acct.id, {"a.example"});
  clock_.Advance(kOrderLifetime);
  EXPECT_ERROR_TYPE(store().SetOrderProcessing(o.id), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().SetOrderProcessing(core::OrderId(999999)), ErrorType::kNotFound);
}

TEST_P(StoreConformanceTest, SetOrderInvalidRecordsTheError) {
  core::Account acct = CreateAccount("t");
  core::Order o = ReadyOrder(acct.id, {"a.example"});
  core::Error err = core::Err(ErrorType::kBadCsr, "CSR names differ");
  EXPECT_ERROR_TYPE(store().SetOrderInvalid(o.id, err), ErrorType::kConflict);  // not processing
  Must(store().SetOrderProcessing(o.id));
  Must(store().SetOrderInvalid(o.id, err));
  core::Order got = Must(store().GetOrder(o.id));
  EXPECT_EQ(got.status, OrderStatus::kInvalid);
  ASSERT_TRUE(got.error.has_value());
  EXPECT_EQ(got.error->type, ErrorType::kBadCsr);
  EXPECT_EQ(got.error->detail, "CSR names differ");
  EXPECT_ERROR_TYPE(store().FinalizeOrder(o.id, MakeCert("0a")), ErrorType::kConflict);
}

TEST_P(StoreConformanceTest, AbandonedFinalizationsBecomeInvalidOnceTheirLeaseEnds) {
  core::Account acct = CreateAccount("t");
  core::Order stuck = ReadyOrder(acct.id, {"a.example"});
  core::Order done = ReadyOrder(acct.id, {"b.example"});
  core::Order ready = ReadyOrder(acct.id, {"c.example"});
  Must(store().SetOrderProcessing(stuck.id));
  Must(store().SetOrderProcessing(done.id));
  Must(store().FinalizeOrder(done.id, MakeCert("0b")));
  testing::StoreHandle other = Must(db_->Open(clock_));
  core::Error err = core::Err(ErrorType::kServerInternal, "issuance was interrupted");
  // Another instance leaves a live finalize alone...
  EXPECT_EQ(Must(other.store->FailAbandonedFinalizations(err, Now())), 0);
  clock_.Advance(kFinalizationLease - std::chrono::seconds(1));
  EXPECT_EQ(Must(other.store->FailAbandonedFinalizations(err, Now())), 0);
  EXPECT_EQ(Must(store().GetOrder(stuck.id)).status, OrderStatus::kProcessing);
  // ...and closes one whose owner's lease has run out.
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Must(other.store->FailAbandonedFinalizations(err, Now())), 1);
  core::Order got = Must(store().GetOrder(stuck.id));
  EXPECT_EQ(got.status, OrderStatus::kInvalid);
  ASSERT_TRUE(got.error.has_value());
  EXPECT_EQ(got.error->type, ErrorType::kServerInternal);
  EXPECT_EQ(Must(store().GetOrder(done.id)).status, OrderStatus::kValid);
  EXPECT_EQ(Must(store().GetOrder(ready.id)).status, OrderStatus::kReady);
  EXPECT_EQ(Must(other.store->FailAbandonedFinalizations(err, Now())), 0);
}

TEST_P(StoreConformanceTest, AnInstanceAloneOnItsDatabaseClosesEveryInterruptedFinalization) {
  core::Account acct = CreateAccount("t");
  core::Order stuck = ReadyOrder(acct.id, {"a.example"});
  Must(store().SetOrderProcessing(stuck.id));
  testing::StoreHandle restarted = Must(db_->Open(clock_));
  core::Error err = core::Err(ErrorType::kServerInternal, "issuance was interrupted");
  EXPECT_EQ(Must(restarted.store->FailAbandonedFinalizations(err, core::TimePoint::max())), 1);
  EXPECT_EQ(Must(store().GetOrder(stuck.id)).status, OrderStatus::kInvalid);
}

TEST_P(StoreConformanceTest, FinalizeOrderStoresCertificateAndMakesOrderValid) {
  core::Account acct = CreateAccount("t");
  core::Order o = ReadyOrder(acct.id, {"a.example"});
  EXPECT_ERROR_TYPE(store().FinalizeOrder(o.id, MakeCert("00ff")), ErrorType::kConflict);
  Must(store().SetOrderProcessing(o.id));
  core::Certificate in = MakeCert("00ff");
  core::Certificate out = Must(store().FinalizeOrder(o.id, in));
  EXPECT_GT(out.id.value, 0);

  core::Order got = Must(store().GetOrder(o.id));
  EXPECT_EQ(got.status, OrderStatus::kValid);
  ASSERT_TRUE(got.certificate_id.has_value());
  EXPECT_EQ(*got.certificate_id, out.id);
  for (const core::Certificate& c :
       {Must(store().GetCertificate(out.id)), Must(store().GetCertificateBySerial("00ff"))}) {
    EXPECT_EQ(c.id, out.id);
    EXPECT_EQ(c.account_id, acct.id);
    EXPECT_EQ(c.order_id, o.id);
    EXPECT_EQ(c.serial_hex, "00ff");
    EXPECT_EQ(c.der, in.der);
    EXPECT_EQ(c.chain_pem, in.chain_pem);
    EXPECT_EQ(c.not_before, in.not_before);
    EXPECT_EQ(c.not_after, in.not_after);
    EXPECT_FALSE(c.revoked);
    EXPECT_FALSE(c.revoked_at.has_value());
  }
  EXPECT_ERROR_TYPE(store().FinalizeOrder(o.id, MakeCert("0100")), ErrorType::kConflict);
  EXPECT_ERROR_TYPE(store().GetCertificateBySerial("0100"), ErrorType::kNotFound);
}

TEST_P(StoreConformanceTest, FinalizeOrderWithReusedSerialConflictsAndChangesNothing) {
  core::Account acct = CreateAccount("t");
  core::Order first = ReadyOrder(acct.id, {"a.example"});
  core::Order second = ReadyOrder(acct.id, {"b.example"});
  Must(store().SetOrderProcessing(first.id));
  Must(store().SetOrderProcessing(second.id));
  core::Certificate stored = Must(store().FinalizeOrder(first.id, MakeCert("1234")));
  core::Certificate dup = MakeCert("1234");
  dup.der = "other";
  EXPECT_ERROR_TYPE(store().FinalizeOrder(second.id, dup), ErrorType::kConflict);
  core::Order got = Must(store().GetOrder(second.id));
  EXPECT_EQ(got.status, OrderStatus::kProcessing);
  EXPECT_FALSE(got.certificate_id.has_value());
  EXPECT_EQ(Must(store().GetCertificateBySerial("1234")).id, stored.id);
  EXPECT_EQ(Must(store().GetCertificateBySerial("1234")).der, MakeCert("1234").der);
}

TEST_P(StoreConformanceTest, RevokeCertificateOnce) {
  core::Account acct = CreateAccount("t");
  core::Order o = ReadyOrder(acct.id, {"a.example"});
  Must(store().SetOrderProcessing(o.id));
  core::Certificate c = Must(store().FinalizeOrder(o.id, MakeCert("abcd")));
  core::TimePoint at = Now() + 5min;
  Must(store().RevokeCertificate(c.id, 4, at));
  core::Certificate got = Must(store().GetCertificate(c.id));
  EXPECT_TRUE(got.revoked);
  EXPECT_EQ(got.revocation_reason, 4);
  EXPECT_EQ(got.revoked_at, at);
  EXPECT_ERROR_TYPE(store().RevokeCertificate(c.id, 1, Now()), ErrorType::kConflict);
  EXPECT_EQ(Must(store().GetCertificate(c.id)).revocation_reason, 4);
}

TEST_P(StoreConformanceTest, UnknownIdsAreNotFound) {
  constexpr int64_t kMissing = 424242;
  Store& s = store();
  const std::vector<std::pair<std::string, std::function<core::Error()>>> cases = {
#define FLINT_CASE(name, call)                   \
  {                                              \
    name, [&] {                                  \
      auto r = (call);                           \
      return r.ok() ? core::Error{} : r.error(); \
    }                                            \
  }
      FLINT_CASE("GetAccount", s.GetAccount(AccountId(kMissing))),
      FLINT_CASE("GetAccountByThumbprint", s.GetAccountByThumbprint("missing")),
      FLINT_CASE("GetOrder", s.GetOrder(core::OrderId(kMissing))),
      FLINT_CASE("GetAuthorization", s.GetAuthorization(core::AuthzId(kMissing))),
      FLINT_CASE("GetChallenge", s.GetChallenge(core::ChallengeId(kMissing))),
      FLINT_CASE("GetCertificate", s.GetCertificate(core::CertificateId(kMissing))),
      FLINT_CASE("GetCertificateBySerial", s.GetCertificateBySerial("ffff")),
      FLINT_CASE("UpdateAccountContacts", s.UpdateAccountContacts(AccountId(kMissing), {})),
      FLINT_CASE("DeactivateAccount", s.DeactivateAccount(AccountId(kMissing))),
      FLINT_CASE("ChangeAccountKey", s.ChangeAccountKey(AccountId(kMissing), "a", "{}", "b")),
      FLINT_CASE("SetChallengeProcessing", s.SetChallengeProcessing(core::ChallengeId(kMissing))),
      FLINT_CASE("FinishValidation",
                 s.FinishValidation(core::ChallengeId(kMissing), true, std::nullopt, Now())),
      FLINT_CASE("DeactivateAuthorization", s.DeactivateAuthorization(core::AuthzId(kMissing))),
      FLINT_CASE("SetOrderProcessing", s.SetOrderProcessing(core::OrderId(kMissing))),
      FLINT_CASE("SetOrderInvalid", s.SetOrderInvalid(core::OrderId(kMissing), core::Error{})),
      FLINT_CASE("FinalizeOrder", s.FinalizeOrder(core::OrderId(kMissing), MakeCert("77"))),
      FLINT_CASE("RevokeCertificate", s.RevokeCertificate(core::CertificateId(kMissing), 0, Now())),
#undef FLINT_CASE
  };
  for (const auto& [name, call] : cases) {
    EXPECT_EQ(ErrorTypeKey(call().type), ErrorTypeKey(ErrorType::kNotFound)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace flint::sa
