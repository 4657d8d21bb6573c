// The asynchronous VA's own contract (va/validator.h): one deadline over the whole attempt, CAA
// included; the report of what was resolved and seen; many attempts in flight on one thread.

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>

#include "va/challenges.h"
#include "va/fake_resolver.h"
#include "va/test_servers.h"
#include "va/validator.h"

namespace flint::va {
namespace {

using core::ErrorType;
using testing::HttpReply;
using testing::HttpRequest;
using testing::LoopbackHttpServer;
using testing::LoopbackListener;

constexpr char kToken[] = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
constexpr char kKeyAuth[] =
    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

// A FakeResolver whose CAA lookups never answer (a DNS server that drops them).
class SilentCaaResolver : public FakeResolver {
 public:
  void LookupCaaAsync(const std::string& name, Callback<CaaAnswer> done) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_.push_back(name);
    held_.push_back(std::move(done));  // never called while the test runs
  }
  std::vector<std::string> asked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> asked_;
  std::vector<Callback<CaaAnswer>> held_;
};

ValidationReport RunJob(const ValidationAuthority& va, ValidationJob job) {
  std::promise<ValidationReport> promise;
  auto report = promise.get_future();
  va.ValidateAsync(std::move(job),
                   [&promise](ValidationReport r) { promise.set_value(std::move(r)); });
  return report.get();
}

ValidationJob Http01Job(std::string name) {
  ValidationJob job;
  job.identifier = {core::IdentifierType::kDns, std::move(name)};
  job.type = core::ChallengeType::kHttp01;
  job.token = kToken;
  job.key_authorization = kKeyAuth;
  job.account_uri = "https://ca.test/acme/acct/1";
  return job;
}

TEST(AsyncVaTest, TheDeadlineCoversTheCaaCheckAfterTheChallenge) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, kKeyAuth); });
  SilentCaaResolver resolver;
  resolver.SetIp("www.example.test", {"127.0.0.1"});
  VaOptions options;
  options.http01_port = server.port();
  options.allow_private_targets = true;
  options.timeout = std::chrono::milliseconds(500);
  ValidationAuthority va(options, resolver);
  ValidationReport report = RunJob(va, Http01Job("www.example.test"));
  ASSERT_FALSE(report.result.ok());
  EXPECT_EQ(report.result.error().type, ErrorType::kDns);
  EXPECT_NE(report.result.error().detail.find("query timed out looking up CAA"),
            std::string::npos)
      << report.result.error().detail;
  // Every label was asked at once: the climb did not wait for one answer before the next.
  EXPECT_EQ(resolver.asked(),
            (std::vector<std::string>{"www.example.test", "example.test", "test"}));
  EXPECT_EQ(server.requests().size(), 1u);  // the challenge itself passed first
}

TEST(AsyncVaTest, ReportCarriesTheAddressesAndRecordsSeen) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, kKeyAuth); });
  FakeResolver resolver;
  resolver.SetIp("www.example.test", {"127.0.0.1"});
  resolver.SetCaa("example.test", {CaaRecord{0, "issue", "flint.test"}});
  VaOptions options;
  options.http01_port = server.port();
  options.allow_private_targets = true;
  options.caa_identities = {"flint.test"};
  ValidationAuthority va(options, resolver);
  ValidationReport report = RunJob(va, Http01Job("www.example.test"));
  ASSERT_TRUE(report.result.ok()) << report.result.error().detail;
  EXPECT_EQ(report.addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(report.records, std::vector<std::string>{"example.test CAA 0 issue \"flint.test\""});

  ValidationJob dns = Http01Job("www.example.test");
  dns.type = core::ChallengeType::kDns01;
  resolver.SetTxt("_acme-challenge.www.example.test", {"not-the-digest"});
  ValidationReport failed = RunJob(va, dns);
  ASSERT_FALSE(failed.result.ok());
  EXPECT_EQ(failed.result.error().type, ErrorType::kIncorrectResponse);
  EXPECT_EQ(failed.records,
            std::vector<std::string>{"_acme-challenge.www.example.test TXT \"not-the-digest\""});
}

// 200 attempts against a server that accepts and never answers are all in flight at once on the
// VA's one thread, and another account's validation still completes meanwhile.
TEST(AsyncVaTest, AVictimCompletesWhileManyAttemptsWaitOnATarpit) {
  LoopbackListener tarpit;
  std::mutex mu;
  std::vector<int> held;  // accepted and never answered
  tarpit.Start([&](int fd) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(dup(fd));
  });
  FakeResolver resolver;
  resolver.SetIp("tarpit.example.test", {"127.0.0.1"});
  resolver.SetTxt("_acme-challenge.victim.example.test",
                  {internal::Base64Url(internal::Sha256(kKeyAuth))});
  VaOptions options;
  options.http01_port = tarpit.port();
  options.allow_private_targets = true;
  options.timeout = std::chrono::seconds(60);
  options.io_threads = 1;
  std::atomic<int> finished{0};
  {
    ValidationAuthority va(options, resolver);
    for (int i = 0; i < 200; ++i) {
      ValidationJob job = Http01Job("tarpit.example.test");
      job.check_caa = false;
      va.ValidateAsync(std::move(job), [&finished](ValidationReport) { ++finished; });
    }
    EXPECT_EQ(va.in_flight(), 200u);
    EXPECT_EQ(va.queued(), 0u);
    ValidationJob victim = Http01Job("victim.example.test");
    victim.type = core::ChallengeType::kDns01;
    victim.account_uri = "https://ca.test/acme/acct/2";
    ValidationReport report = RunJob(va, victim);
    EXPECT_TRUE(report.result.ok()) << report.result.error().detail;
    EXPECT_EQ(finished.load(), 0);  // every attacker attempt still waiting on the tarpit
    EXPECT_EQ(va.in_flight(), 200u);
  }  // destroying the VA drops its attempts: their completions never run
  EXPECT_EQ(finished.load(), 0);
  tarpit.Stop();
  std::lock_guard<std::mutex> lock(mu);
  for (int fd : held) close(fd);
}

}  // namespace
}  // namespace flint::va
