// The RA's decisions with fakes of the interfaces it consumes (fakes_test_util.h) over a real
// SQLite store: newOrder (authorization reuse, limits, profiles), validation outcomes, the CAA
// recheck at finalize, a CA failure once the order is processing, and concurrent finalizes.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "ra/fakes_test_util.h"
#include "ra/revocation_test_util.h"

namespace flint::ra {
namespace {

using core::ErrorType;
using namespace std::chrono_literals;

class RaTest : public testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    options_.validation_workers = 2;
    Rebuild();
  }
  void Rebuild() { UseRa(options_, validator_, ca_fake_); }

  static Profile NamedProfile(std::string name, std::vector<core::ChallengeType> challenges) {
    Profile p;
    p.name = std::move(name);
    p.description = p.name;
    p.challenges = std::move(challenges);
    return p;
  }

  static NewOrderRequest OrderFor(const std::vector<std::string>& names) {
    NewOrderRequest req;
    for (const std::string& n : names) req.identifiers.push_back({core::IdentifierType::kDns, n});
    return req;
  }

  // Responds to the first challenge of `type` in the order's first authorization and waits
  // until the validation pool has recorded its outcome.
  core::Challenge RespondAndWait(const core::Account& account, const core::Order& order,
                                 core::ChallengeType type = core::ChallengeType::kHttp01) {
    core::Authorization authz = store_->GetAuthorization(order.authz_ids.at(0)).value();
    core::ChallengeId id;
    for (const core::Challenge& ch : authz.challenges)
      if (ch.type == type) id = ch.id;
    auto started = ra_->RespondToChallenge(account, id);
    EXPECT_TRUE(started.ok()) << started.error().detail;
    for (int i = 0; i < 500; ++i) {
      core::Challenge ch = store_->GetChallenge(id).value();
      if (ch.status != core::ChallengeStatus::kProcessing) return ch;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "validation did not finish";
    return store_->GetChallenge(id).value();
  }

  // Polls the order until a background finalize has settled it.
  core::Order WaitWhileProcessing(core::OrderId id) {
    for (int i = 0; i < 500; ++i) {
      core::Order o = store_->GetOrder(id).value();
      if (o.status != core::OrderStatus::kProcessing) return o;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "order stayed processing";
    return store_->GetOrder(id).value();
  }

  RaOptions options_;
  testing::FakeValidator validator_;
  testing::FakeCertificateAuthority ca_fake_;
};

// --- newOrder ---

TEST_F(RaTest, NewOrderReusesAValidAuthorizationOfTheAccount) {
  core::Account acct = NewAccount(NewKey());
  core::Order first = ReadyOrder(acct, {"reuse.example.com"});
  auto second = ra_->NewOrder(acct, OrderFor({"reuse.example.com", "new.example.com"}));
  ASSERT_TRUE(second.ok()) << second.error().detail;
  ASSERT_EQ(second->authz_ids.size(), 2u);
  EXPECT_EQ(second->authz_ids.at(0), first.authz_ids.at(0));
  EXPECT_EQ(second->status, core::OrderStatus::kPending);  // new.example.com is pending

  // Another account's authorization is never reused.
  core::Account other = NewAccount(NewKey());
  auto theirs = ra_->NewOrder(other, OrderFor({"reuse.example.com"}));
  ASSERT_TRUE(theirs.ok()) << theirs.error().detail;
  EXPECT_NE(theirs->authz_ids.at(0), first.authz_ids.at(0));
  EXPECT_EQ(theirs->status, core::OrderStatus::kPending);
}

// PEBBLE_AUTHZREUSE (flint pebble): the chance of reuse, 0 never and 100 always.
TEST_F(RaTest, NewOrderReusesAuthorizationsAtTheConfiguredPercentage) {
  core::Account acct = NewAccount(NewKey());
  core::Order first = ReadyOrder(acct, {"percent.example.com"});
  options_.authz_reuse_percent = 0;
  Rebuild();
  for (int i = 0; i < 5; ++i) {
    auto again = ra_->NewOrder(acct, OrderFor({"percent.example.com"}));
    ASSERT_TRUE(again.ok()) << again.error().detail;
    EXPECT_NE(again->authz_ids.at(0), first.authz_ids.at(0));
    EXPECT_EQ(again->status, core::OrderStatus::kPending);
  }
  options_.authz_reuse_percent = 100;
  Rebuild();
  auto reused = ra_->NewOrder(acct, OrderFor({"percent.example.com"}));
  ASSERT_TRUE(reused.ok()) << reused.error().detail;
  EXPECT_EQ(reused->authz_ids.at(0), first.authz_ids.at(0));
  EXPECT_EQ(reused->status, core::OrderStatus::kReady);
}

TEST_F(RaTest, NewOrderDoesNotReuseAnAuthorizationValidatedByAChallengeTheProfileForbids) {
  Profile any = NamedProfile("default", {});
  Profile dns_only = NamedProfile("dns-only", {core::ChallengeType::kDns01});
  options_.profiles = {any, dns_only};
  Rebuild();
  core::Account acct = NewAccount(NewKey());
  core::Order first = ReadyOrder(acct, {"p.example.com"});  // validated by http-01 (first)
  ASSERT_EQ(store_->GetAuthorization(first.authz_ids.at(0))->challenges.at(0).type,
            core::ChallengeType::kHttp01);
  NewOrderRequest req = OrderFor({"p.example.com"});
  req.profile = "dns-only";
  auto second = ra_->NewOrder(acct, req);
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_EQ(second->profile, "dns-only");
  EXPECT_NE(second->authz_ids.at(0), first.authz_ids.at(0));
  core::Authorization fresh = store_->GetAuthorization(second->authz_ids.at(0)).value();
  ASSERT_EQ(fresh.challenges.size(), 1u);
  EXPECT_EQ(fresh.challenges.at(0).type, core::ChallengeType::kDns01);
}

TEST_F(RaTest, NewOrderRefusals) {
  core::Account acct = NewAccount(NewKey());
  const core::TimePoint now = clock_.Now();
  struct Case {
    const char* name;
    NewOrderRequest req;
    ErrorType want;
  };
  std::vector<Case> cases;
  {
    NewOrderRequest r = OrderFor({"a.example.com"});
    r.profile = "no-such-profile";
    cases.push_back({"fail/unknown-profile", r, ErrorType::kInvalidProfile});
  }
  {
    NewOrderRequest r = OrderFor({"a.example.com"});
    r.not_before = now - 25h;
    cases.push_back({"fail/not-before-too-far-in-the-past", r, ErrorType::kMalformed});
  }
  {
    NewOrderRequest r = OrderFor({"a.example.com"});
    r.not_before = now + 169h;
    cases.push_back({"fail/not-before-beyond-order-lifetime", r, ErrorType::kMalformed});
  }
  {
    NewOrderRequest r = OrderFor({"a.example.com"});
    r.not_before = now + 1h;
    r.not_after = now;
    cases.push_back({"fail/not-after-before-not-before", r, ErrorType::kMalformed});
  }
  {
    NewOrderRequest r = OrderFor({"a.example.com"});
    r.not_after = now + std::chrono::hours(24 * 91);
    cases.push_back({"fail/not-after-beyond-profile-validity", r, ErrorType::kMalformed});
  }
  {
    std::vector<std::string> names;
    for (int i = 0; i <= 100; ++i) names.push_back("n" + std::to_string(i) + ".example.com");
    cases.push_back({"fail/too-many-identifiers", OrderFor(names), ErrorType::kMalformed});
  }
  cases.push_back({"fail/rejected-identifier", OrderFor({"bad_name.example.com"}),
                   ErrorType::kRejectedIdentifier});
  for (const Case& c : cases) {
    auto r = ra_->NewOrder(acct, c.req);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().type, c.want) << c.name << ": " << r.error().detail;
  }
}

TEST_F(RaTest, NewOrderWithAProfileOffersOnlyItsChallenges) {
  Profile def = NamedProfile("default", {});
  Profile tls = NamedProfile("tls", {core::ChallengeType::kTlsAlpn01});
  options_.profiles = {def, tls};
  Rebuild();
  core::Account acct = NewAccount(NewKey());
  NewOrderRequest req = OrderFor({"tls.example.com"});
  req.profile = "tls";
  auto order = ra_->NewOrder(acct, req);
  ASSERT_TRUE(order.ok()) << order.error().detail;
  EXPECT_EQ(order->profile, "tls");
  core::Authorization authz = store_->GetAuthorization(order->authz_ids.at(0)).value();
  ASSERT_EQ(authz.challenges.size(), 1u);
  EXPECT_EQ(authz.challenges.at(0).type, core::ChallengeType::kTlsAlpn01);

  // No profile named: the default one.
  auto plain = ra_->NewOrder(acct, OrderFor({"plain.example.com"}));
  ASSERT_TRUE(plain.ok()) << plain.error().detail;
  EXPECT_EQ(plain->profile, "default");
}

// --- validation ---

TEST_F(RaTest, ValidationThatSucceedsMakesTheOrderReady) {
  core::Account acct = NewAccount(NewKey());
  core::Order order = ra_->NewOrder(acct, OrderFor({"ok.example.com"})).value();
  core::Challenge ch = RespondAndWait(acct, order);
  EXPECT_EQ(ch.status, core::ChallengeStatus::kValid);
  EXPECT_FALSE(ch.error.has_value());
  std::vector<testing::FakeValidator::Call> calls = validator_.validate_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].id.value, "ok.example.com");
  EXPECT_EQ(calls[0].type, core::ChallengeType::kHttp01);
  EXPECT_EQ(calls[0].key_authorization, ch.token + "." + acct.jwk_thumbprint);
  EXPECT_EQ(validator_.caa_calls(), 1);  // CAA is checked with every validation
  EXPECT_EQ(store_->GetAuthorization(ch.authz_id)->status, core::AuthzStatus::kValid);
  EXPECT_EQ(store_->GetOrder(order.id)->status, core::OrderStatus::kReady);
}

// core/metrics.h: each finished validation with its outcome (CAA included), each issuance with
// its profile; a refused finalize counts nothing.
TEST_F(RaTest, CountsFinishedValidationsAndIssuances) {
  testing::RecordingMetrics metrics;
  ra_->SetMetrics(metrics);
  core::Account acct = NewAccount(NewKey());
  core::Order ok = ra_->NewOrder(acct, OrderFor({"m1.example.com"})).value();
  EXPECT_EQ(RespondAndWait(acct, ok).status, core::ChallengeStatus::kValid);
  validator_.SetCaaResult(core::Err(ErrorType::kCaa, "CAA forbids"));
  core::Order bad = ra_->NewOrder(acct, OrderFor({"m2.example.com"})).value();
  EXPECT_EQ(RespondAndWait(acct, bad, core::ChallengeType::kDns01).status,
            core::ChallengeStatus::kInvalid);
  EXPECT_FALSE(ra_->Finalize(acct, bad.id, CsrFor({"m2.example.com"}, NewKey().pkey())).ok());
  auto done = ra_->Finalize(acct, ok.id, CsrFor({"m1.example.com"}, NewKey().pkey()));
  ASSERT_TRUE(done.ok()) << done.error().detail;
  EXPECT_EQ(metrics.events(),
            (std::vector<std::string>{"validation http-01 valid", "validation dns-01 invalid",
                                      "issued default"}));
}

// --- Work left behind by a dead instance (sa/store.h "Leases") ---

// A challenge started (leased) by another instance, as if that instance then died.
core::ChallengeId StartedElsewhere(sa::Store& store, const core::Order& order) {
  core::Authorization authz = store.GetAuthorization(order.authz_ids.at(0)).value();
  return store.SetChallengeProcessing(authz.challenges.at(0).id).value().id;
}

TEST_F(RaTest, SharingTheDatabaseALiveInstancesValidationIsLeftAloneUntilItsLeaseEnds) {
  options_.shared_database = true;
  Rebuild();
  core::Account acct = NewAccount(NewKey());
  core::Order order = ra_->NewOrder(acct, OrderFor({"leased.example.com"})).value();
  core::ChallengeId id = StartedElsewhere(*store_, order);
  ra_->RecoverAbandonedWork();
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(validator_.validate_calls().empty());
  EXPECT_EQ(store_->GetChallenge(id)->status, core::ChallengeStatus::kProcessing);
  clock_.Advance(sa::kValidationLease);  // its instance died: the lease runs out
  ra_->RecoverAbandonedWork();
  for (int i = 0; i < 500 && store_->GetChallenge(id)->status ==
                                 core::ChallengeStatus::kProcessing; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(store_->GetChallenge(id)->status, core::ChallengeStatus::kValid);
  EXPECT_EQ(validator_.validate_calls().size(), 1u);
}

TEST_F(RaTest, AloneOnItsDatabaseAnInstanceResumesItsPreviousRunsValidationsAtOnce) {
  core::Account acct = NewAccount(NewKey());
  core::Order order = ra_->NewOrder(acct, OrderFor({"resumed.example.com"})).value();
  core::ChallengeId id = StartedElsewhere(*store_, order);
  ra_->RecoverAbandonedWork();
  for (int i = 0; i < 500 && store_->GetChallenge(id)->status ==
                                 core::ChallengeStatus::kProcessing; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(store_->GetChallenge(id)->status, core::ChallengeStatus::kValid);
}

TEST_F(RaTest, SharingTheDatabaseAnAbandonedFinalizationFailsOnlyAfterItsLease) {
  options_.shared_database = true;
  Rebuild();
  core::Account acct = NewAccount(NewKey());
  core::Order order = ra_->NewOrder(acct, OrderFor({"stuck.example.com"})).value();
  RespondAndWait(acct, order);
  ASSERT_TRUE(store_->SetOrderProcessing(order.id).ok());  // another instance's finalize
  ra_->RecoverAbandonedWork();
  EXPECT_EQ(store_->GetOrder(order.id)->status, core::OrderStatus::kProcessing);
  clock_.Advance(sa::kFinalizationLease);
  ra_->RecoverAbandonedWork();
  core::Order got = store_->GetOrder(order.id).value();
  EXPECT_EQ(got.status, core::OrderStatus::kInvalid);
  ASSERT_TRUE(got.error.has_value());
  EXPECT_EQ(got.error->type, core::ErrorType::kServerInternal);
}

TEST_F(RaTest, ValidationFailuresRecordTheValidatorsErrorAndInvalidateTheOrder) {
  struct Case {
    const char* name;
    core::Result<void> validate;
    core::Result<void> caa;
    ErrorType want;
  };
  const std::vector<Case> cases = {
      {"fail/incorrect-response", core::Err(ErrorType::kIncorrectResponse, "wrong key authz"),
       core::Ok(), ErrorType::kIncorrectResponse},
      {"fail/timeout", core::Err(ErrorType::kConnection, "timeout after 10 s"), core::Ok(),
       ErrorType::kConnection},
      {"fail/caa-forbids", core::Ok(), core::Err(ErrorType::kCaa, "CAA forbids"),
       ErrorType::kCaa},
  };
  core::Account acct = NewAccount(NewKey());
  int n = 0;
  for (const Case& c : cases) {
    validator_.SetValidateResult(c.validate);
    validator_.SetCaaResult(c.caa);
    std::string name = "f" + std::to_string(n++) + ".example.com";
    core::Order order = ra_->NewOrder(acct, OrderFor({name})).value();
    core::Challenge ch = RespondAndWait(acct, order);
    EXPECT_EQ(ch.status, core::ChallengeStatus::kInvalid) << c.name;
    ASSERT_TRUE(ch.error.has_value()) << c.name;
    EXPECT_EQ(ch.error->type, c.want) << c.name;
    EXPECT_EQ(store_->GetAuthorization(ch.authz_id)->status, core::AuthzStatus::kInvalid)
        << c.name;
    EXPECT_EQ(store_->GetOrder(order.id)->status, core::OrderStatus::kInvalid) << c.name;
  }
}

// --- finalize ---

TEST_F(RaTest, FinalizeIssuesThroughTheCertificateAuthority) {
  core::Account acct = NewAccount(NewKey());
  core::Order order = ReadyOrder(acct, {"fin.example.com"});
  jose::KeyPair key = NewKey();
  auto done = ra_->Finalize(acct, order.id, CsrFor({"fin.example.com"}, key.pkey()));
  ASSERT_TRUE(done.ok()) << done.error().detail;
  EXPECT_EQ(done->status, core::OrderStatus::kValid);
  EXPECT_EQ(ca_fake_.issue_calls(), 1);
  std::optional<IssueRequest> req = ca_fake_.last_request();
  ASSERT_TRUE(req && req->public_key);
  EXPECT_TRUE(req->public_key->Equals(key.public_key()));
  ASSERT_EQ(req->identifiers.size(), 1u);
  EXPECT_EQ(req->identifiers[0].value, "fin.example.com");
  core::Certificate cert = store_->GetCertificate(done->certificate_id.value()).value();
  EXPECT_EQ(cert.der, "fake-cert-01");
  EXPECT_EQ(validator_.caa_calls(), 0);  // validated just now: no CAA recheck
}

TEST_F(RaTest, FinalizeRechecksCaaForValidationsOlderThanEightHours) {
  core::Account acct = NewAccount(NewKey());
  core::Order order = ReadyOrder(acct, {"caa.example.com"});
  clock_.Advance(8h + 1min);
  validator_.SetCaaResult(core::Err(ErrorType::kCaa, "CAA record forbids issuance"));
  // The recheck runs off the request worker: finalize answers `processing`, and the order turns
  // invalid with the CAA error once the validator has answered.
  auto refused = ra_->Finalize(acct, order.id, CsrFor({"caa.example.com"}, NewKey().pkey()));
  ASSERT_TRUE(refused.ok()) << refused.error().detail;
  EXPECT_NE(refused->status, core::OrderStatus::kValid);
  core::Order after = WaitWhileProcessing(order.id);
  EXPECT_EQ(after.status, core::OrderStatus::kInvalid);
  ASSERT_TRUE(after.error.has_value());
  EXPECT_EQ(after.error->type, ErrorType::kCaa);
  EXPECT_EQ(validator_.caa_calls(), 1);
  EXPECT_EQ(ca_fake_.issue_calls(), 0);

  validator_.SetCaaResult(core::Ok());
  core::Order second = ReadyOrder(acct, {"caa2.example.com"});
  clock_.Advance(8h + 1min);
  auto issued = ra_->Finalize(acct, second.id, CsrFor({"caa2.example.com"}, NewKey().pkey()));
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  EXPECT_EQ(WaitWhileProcessing(second.id).status, core::OrderStatus::kValid);
  EXPECT_EQ(ca_fake_.issue_calls(), 1);
}

TEST_F(RaTest, CaFailureAfterProcessingLeavesTheOrderInvalidWithTheErrorRecorded) {
  struct Case {
    const char* name;
    core::Error ca_error;
    ErrorType recorded;
  };
  const std::vector<Case> cases = {
      // Internal details are not recorded for the client: serverInternal.
      {"fail/signer-error", core::Err(ErrorType::kInternal, "HSM unreachable"),
       ErrorType::kServerInternal},
      {"fail/rejected-identifier", core::Err(ErrorType::kRejectedIdentifier, "not issuable"),
       ErrorType::kRejectedIdentifier},
  };
  core::Account acct = NewAccount(NewKey());
  int n = 0;
  for (const Case& c : cases) {
    ca_fake_.SetIssueError(c.ca_error);
    std::string name = "cafail" + std::to_string(n++) + ".example.com";
    core::Order order = ReadyOrder(acct, {name});
    auto r = ra_->Finalize(acct, order.id, CsrFor({name}, NewKey().pkey()));
    // The finalize request itself succeeds and answers with the order, now invalid (RFC 8555
    // §7.1.6: processing -> invalid), carrying the error.
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().detail;
    EXPECT_EQ(r->status, core::OrderStatus::kInvalid) << c.name;
    ASSERT_TRUE(r->error.has_value()) << c.name;
    EXPECT_EQ(r->error->type, c.recorded) << c.name;
    EXPECT_FALSE(r->certificate_id.has_value()) << c.name;
    EXPECT_EQ(store_->GetOrder(order.id)->status, core::OrderStatus::kInvalid) << c.name;
    // A later finalize of the same order: orderNotReady.
    auto again = ra_->Finalize(acct, order.id, CsrFor({name}, NewKey().pkey()));
    ASSERT_FALSE(again.ok()) << c.name;
    EXPECT_EQ(again.error().type, ErrorType::kOrderNotReady) << c.name;
  }
}

TEST_F(RaTest, ASerialCollisionIsResignedAndTheThirdGivesUp) {
  core::Account acct = NewAccount(NewKey());
  core::Order first = ReadyOrder(acct, {"s1.example.com"});
  ca_fake_.SetFixedSerial("7f");
  ASSERT_EQ(ra_->Finalize(acct, first.id, CsrFor({"s1.example.com"}, NewKey().pkey()))->status,
            core::OrderStatus::kValid);
  core::Order second = ReadyOrder(acct, {"s2.example.com"});
  const int before = ca_fake_.issue_calls();
  auto r = ra_->Finalize(acct, second.id, CsrFor({"s2.example.com"}, NewKey().pkey()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(ca_fake_.issue_calls() - before, 3);  // kSerialAttempts
  EXPECT_EQ(r->status, core::OrderStatus::kInvalid);
  ASSERT_TRUE(r->error.has_value());
  EXPECT_EQ(r->error->type, ErrorType::kServerInternal);  // not a 409 naming SQLite's constraint
  EXPECT_EQ(r->error->detail, "issuance failed");
}

// While one finalize is inside the CA (the order is processing), a second one of the same order
// is refused with orderNotReady, and exactly one certificate is issued.
TEST_F(RaTest, ASecondFinalizeWhileTheFirstIsSigningGetsOrderNotReady) {
  core::Account acct = NewAccount(NewKey());
  core::Order order = ReadyOrder(acct, {"twice.example.com"});
  const std::string csr = CsrFor({"twice.example.com"}, NewKey().pkey());
  ca_fake_.Hold();
  core::Result<core::Order> first = core::Err(ErrorType::kInternal, "not run");
  std::thread t([&] { first = ra_->Finalize(acct, order.id, csr); });
  ca_fake_.WaitForIssueCalls(1);
  EXPECT_EQ(store_->GetOrder(order.id)->status, core::OrderStatus::kProcessing);
  auto second = ra_->Finalize(acct, order.id, csr);
  ca_fake_.Release();
  t.join();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().type, ErrorType::kOrderNotReady);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_EQ(first->status, core::OrderStatus::kValid);
  EXPECT_EQ(ca_fake_.issue_calls(), 1);
}

// Two finalizes racing from the start: exactly one wins, the other gets orderNotReady (from
// the status check or from the ready -> processing compare-and-set, whichever it reaches).
TEST_F(RaTest, TwoConcurrentFinalizesIssueExactlyOnce) {
  core::Account acct = NewAccount(NewKey());
  for (int round = 0; round < 10; ++round) {
    std::string name = "race" + std::to_string(round) + ".example.com";
    core::Order order = ReadyOrder(acct, {name});
    const std::string csr = CsrFor({name}, NewKey().pkey());
    const int before = ca_fake_.issue_calls();
    core::Result<core::Order> a = core::Err(ErrorType::kInternal, "not run");
    core::Result<core::Order> b = a;
    std::thread ta([&] { a = ra_->Finalize(acct, order.id, csr); });
    std::thread tb([&] { b = ra_->Finalize(acct, order.id, csr); });
    ta.join();
    tb.join();
    ASSERT_NE(a.ok(), b.ok()) << "round " << round;
    const core::Result<core::Order>& won = a.ok() ? a : b;
    const core::Result<core::Order>& lost = a.ok() ? b : a;
    EXPECT_EQ(won->status, core::OrderStatus::kValid);
    EXPECT_EQ(lost.error().type, ErrorType::kOrderNotReady) << lost.error().detail;
    EXPECT_EQ(ca_fake_.issue_calls() - before, 1);
  }
}

}  // namespace
}  // namespace flint::ra

namespace flint::ra {
namespace {

// Keeps every validation in flight until the test releases them (the slow target of issue 14).
class HoldingValidator final : public Validator {
 public:
  void Validate(ValidationRequest, Completion done) const override {
    std::lock_guard<std::mutex> lock(mu_);
    held_.push_back(std::move(done));
  }
  void CheckCaa(ValidationRequest, Completion done) const override { done(ValidationOutcome()); }
  void ReleaseAll() const {
    std::vector<Completion> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
    for (Completion& done : held) done(ValidationOutcome());
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<Completion> held_;
};

class PendingValidationsTest : public testing::RaFixture {
 protected:
  void SetUp() override {
    RaFixture::SetUp();
    RaOptions options;
    options.validation_workers = 2;
    options.max_pending_validations_per_account = 2;
    UseRa(options, validator_, ca_fake_);
  }
  core::ChallengeId FirstChallenge(const core::Account& account, const std::string& name) {
    NewOrderRequest req;
    req.identifiers.push_back({core::IdentifierType::kDns, name});
    core::Order order = ra_->NewOrder(account, req).value();
    return store_->GetAuthorization(order.authz_ids.at(0))->challenges.at(0).id;
  }
  HoldingValidator validator_;
  testing::FakeCertificateAuthority ca_fake_;
};

TEST_F(PendingValidationsTest, BeyondTheBoundRespondIsRateLimitedAndLeavesTheChallengePending) {
  core::Account acct = NewAccount(NewKey());
  core::Account other = NewAccount(NewKey());
  core::ChallengeId a1 = FirstChallenge(acct, "p1.example.com");
  core::ChallengeId a2 = FirstChallenge(acct, "p2.example.com");
  core::ChallengeId a3 = FirstChallenge(acct, "p3.example.com");
  core::ChallengeId b1 = FirstChallenge(other, "q1.example.com");
  ASSERT_TRUE(ra_->RespondToChallenge(acct, a1).ok());
  ASSERT_TRUE(ra_->RespondToChallenge(acct, a2).ok());
  auto refused = ra_->RespondToChallenge(acct, a3);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().type, core::ErrorType::kRateLimited);
  EXPECT_TRUE(refused.error().retry_after.has_value());
  EXPECT_EQ(store_->GetChallenge(a3)->status, core::ChallengeStatus::kPending);
  // Another account is not affected.
  auto theirs = ra_->RespondToChallenge(other, b1);
  ASSERT_TRUE(theirs.ok()) << theirs.error().detail;
  EXPECT_EQ(theirs->status, core::ChallengeStatus::kProcessing);
  // Once the held validations are recorded, the account may start more.
  validator_.ReleaseAll();
  for (int i = 0; i < 500 && store_->GetChallenge(a1)->status ==
                                 core::ChallengeStatus::kProcessing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < 500 && store_->GetChallenge(a2)->status ==
                                 core::ChallengeStatus::kProcessing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The count is released after the outcome is stored: retry until it is.
  Result<core::Challenge> again = ra_->RespondToChallenge(acct, a3);
  for (int i = 0; i < 500 && !again.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    again = ra_->RespondToChallenge(acct, a3);
  }
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(again->status, core::ChallengeStatus::kProcessing);
  validator_.ReleaseAll();
}

}  // namespace
}  // namespace flint::ra
