// The CA's client and an agent over real mutual TLS on 127.0.0.1 port 0: credentials minted by
// MintAgent, the quorum applied to real answers, and the refusals (a certificate of another
// name, a client of another CA, a dead or silent agent).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "core/clock.h"
#include "core/random.h"
#include "perspective/agent_server.h"
#include "perspective/credentials.h"
#include "perspective/multi_validator.h"

namespace flint::perspective {
namespace {

using core::ErrorType;

class FakePrimary final : public ra::Validator {
 public:
  void Validate(ra::ValidationRequest, Completion done) const override { Answer(done); }
  void CheckCaa(ra::ValidationRequest, Completion done) const override { Answer(done); }

 private:
  static void Answer(const Completion& done) {
    ra::ValidationOutcome o;
    ra::PerspectiveReport r;
    r.name = "primary";
    o.perspectives.push_back(r);
    done(o);
  }
};

// An agent whose "validation" fails for bad.test with kDns, never answers for silent.test, and
// succeeds otherwise.
class AgentTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flint-perspective-test-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(MintAgent(data(), "east", agent_dir(), clock_, random_).ok());
    auto id = LoadAgentIdentity(agent_dir());
    ASSERT_TRUE(id.ok()) << id.error().detail;
    AgentServerOptions options;
    options.identity = *id;
    auto server = AgentServer::Start(options, [this](AgentOp op, AgentRequest req,
                                                     std::function<void(ra::PerspectiveReport)> done) {
      ++calls_;
      last_op_ = op;
      ra::PerspectiveReport r;
      if (req.request.identifier.value == "silent.test") {
        std::lock_guard lock(mu_);
        held_.push_back(std::move(done));  // answered at teardown only
        return;
      }
      if (req.request.identifier.value == "bad.test") {
        r.error = core::Err(ErrorType::kDns, "NXDOMAIN looking up TXT for _acme-challenge.bad.test");
      }
      done(r);
    });
    ASSERT_TRUE(server.ok()) << server.error().detail;
    server_ = std::move(server).value();
  }
  void TearDown() override {
    validator_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string data() const { return (dir_ / "ca-data").string(); }
  std::string agent_dir() const { return (dir_ / "agent-east").string(); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }

  const ra::Validator& Validator(const std::vector<std::string>& flags,
                                 const std::string& ca_data, std::chrono::milliseconds timeout) {
    MultiPerspectiveOptions options;
    for (const std::string& f : flags) {
      auto ep = ParsePerspectiveFlag(f);
      EXPECT_TRUE(ep.ok()) << f;
      options.remotes.push_back(*ep);
    }
    options.timeout = timeout;
    auto client = LoadCaClientIdentity(ca_data);
    EXPECT_TRUE(client.ok()) << client.error().detail;
    auto v = MultiPerspectiveValidator::Create(options, *client, std::make_unique<FakePrimary>());
    EXPECT_TRUE(v.ok());
    validator_ = std::move(v).value();
    return *validator_;
  }

  static ra::ValidationRequest Request(const std::string& name) {
    ra::ValidationRequest r;
    r.identifier = {core::IdentifierType::kDns, name};
    r.type = core::ChallengeType::kDns01;
    r.token = "tok";
    r.key_authorization = "tok.thumb";
    return r;
  }

  core::SystemClock clock_;
  core::SecureRandom random_;
  std::filesystem::path dir_;
  std::unique_ptr<AgentServer> server_;
  std::unique_ptr<MultiPerspectiveValidator> validator_;
  std::atomic<int> calls_{0};
  AgentOp last_op_ = AgentOp::kValidate;
  std::mutex mu_;
  std::vector<std::function<void(ra::PerspectiveReport)>> held_;
};

TEST_F(AgentTest, CredentialsAreWrittenWithPrivateKeysOwnerOnly) {
  struct stat st {};
  ASSERT_EQ(::stat((agent_dir() + "/agent.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((data() + "/perspectives/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((data() + "/perspectives/client.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(agent_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(MintAgent(data(), "primary", agent_dir(), clock_, random_).error().type,
            ErrorType::kMalformed);
  EXPECT_EQ(MintAgent(data(), "Bad_Name", agent_dir(), clock_, random_).error().type,
            ErrorType::kMalformed);
}

TEST_F(AgentTest, AgreementOverMutualTls) {
  ra::ValidationOutcome out = ra::ValidateAndWait(
      Validator({"east=" + url()}, data(), std::chrono::seconds(20)), Request("good.test"));
  EXPECT_TRUE(out.result.ok()) << out.result.error().detail;
  ASSERT_EQ(out.perspectives.size(), 2u);
  EXPECT_EQ(out.perspectives[0].name, "primary");
  EXPECT_EQ(out.perspectives[1].name, "east");
  EXPECT_FALSE(out.perspectives[1].error);
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(last_op_, AgentOp::kValidate);

  out = ra::CheckCaaAndWait(*validator_, Request("good.test"));
  EXPECT_TRUE(out.result.ok());
  EXPECT_EQ(last_op_, AgentOp::kCaa);
}

TEST_F(AgentTest, DisagreementNamesThePerspectiveNotItsAddress) {
  ra::ValidationOutcome out = ra::ValidateAndWait(
      Validator({"east=" + url()}, data(), std::chrono::seconds(20)), Request("bad.test"));
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kDns);
  EXPECT_EQ(out.result.error().detail,
            "1 of 1 remote perspective did not corroborate (at most 0 may): east: dns :: "
            "NXDOMAIN looking up TXT for _acme-challenge.bad.test");
}

TEST_F(AgentTest, ServerCertificateOfAnotherNameIsUnreachable) {
  // "west" is configured at east's address: east's certificate does not name west.
  ra::ValidationOutcome out = ra::ValidateAndWait(
      Validator({"west=" + url()}, data(), std::chrono::seconds(20)), Request("good.test"));
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kConnection);
  EXPECT_EQ(out.result.error().detail,
            "1 of 1 remote perspective did not corroborate (at most 0 may): west: unreachable");
  EXPECT_EQ(calls_.load(), 0);
  ASSERT_TRUE(out.perspectives[1].error);
  EXPECT_NE(out.perspectives[1].error->detail.find("TLS handshake"), std::string::npos)
      << out.perspectives[1].error->detail;
}

TEST_F(AgentTest, ClientOfAnotherCaIsRefusedByTheAgent) {
  const std::string other = (dir_ / "other-ca").string();
  ASSERT_TRUE(MintAgent(other, "east", (dir_ / "other-agent").string(), clock_, random_).ok());
  ra::ValidationOutcome out = ra::ValidateAndWait(
      Validator({"east=" + url()}, other, std::chrono::seconds(20)), Request("good.test"));
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kConnection);
  EXPECT_EQ(calls_.load(), 0);  // the handler never ran
}

TEST_F(AgentTest, AnAgentsCredentialsCannotActAsTheCa) {
  // Another agent of the same CA presents its own (serverAuth, "west") certificate as a client.
  const std::string west = (dir_ / "agent-west").string();
  ASSERT_TRUE(MintAgent(data(), "west", west, clock_, random_).ok());
  auto west_id = LoadAgentIdentity(west);
  ASSERT_TRUE(west_id.ok());
  auto ep = ParsePerspectiveFlag("east=" + url());
  ASSERT_TRUE(ep.ok());
  MultiPerspectiveOptions options;
  options.remotes.push_back(*ep);
  auto v = MultiPerspectiveValidator::Create(options, *west_id, std::make_unique<FakePrimary>());
  ASSERT_TRUE(v.ok());
  ra::ValidationOutcome out = ra::ValidateAndWait(**v, Request("good.test"));
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kConnection);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(AgentTest, DeadAndSilentAgentsDoNotCorroborate) {
  // A port with nothing listening: bind one and close it.
  const std::string dead = "https://127.0.0.1:1";
  ra::ValidationOutcome out = ra::ValidateAndWait(
      Validator({"east=" + url(), "dead=" + dead}, data(), std::chrono::seconds(20)),
      Request("good.test"));
  EXPECT_TRUE(out.result.ok()) << "2 remotes: one may fail";
  ASSERT_EQ(out.perspectives.size(), 3u);
  ASSERT_TRUE(out.perspectives[2].error);
  EXPECT_EQ(out.perspectives[2].error->type, ErrorType::kConnection);

  out = ra::ValidateAndWait(
      Validator({"east=" + url()}, data(), std::chrono::milliseconds(500)),
      Request("silent.test"));
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kConnection);
  EXPECT_EQ(out.result.error().detail,
            "1 of 1 remote perspective did not corroborate (at most 0 may): east: unreachable");
  std::lock_guard lock(mu_);
  for (auto& done : held_) done(ra::PerspectiveReport{});
}

TEST(ParsePerspectiveFlag, AcceptsAndRefuses) {
  auto ep = ParsePerspectiveFlag("east=https://127.0.0.1:8443/");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->name, "east");
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 8443);
  ep = ParsePerspectiveFlag("v6=https://[::1]:9");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
  for (const char* bad : {"east", "east=http://127.0.0.1:1", "=https://a:1", "east=https://a",
                          "east=https://a:0", "east=https://a:99999", "primary=https://a:1",
                          "east=https://a/b:1", "East=https://a:1"}) {
    auto r = ParsePerspectiveFlag(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().type, ErrorType::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace flint::perspective
