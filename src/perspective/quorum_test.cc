#include "perspective/quorum.h"

#include <gtest/gtest.h>

namespace flint::perspective {
namespace {

using core::ErrorType;

ra::PerspectiveReport Ok(const std::string& name) {
  ra::PerspectiveReport r;
  r.name = name;
  return r;
}

ra::PerspectiveReport Failed(const std::string& name, ErrorType type, const std::string& detail) {
  ra::PerspectiveReport r = Ok(name);
  r.error = core::Err(type, detail);
  return r;
}

RemoteResult Agrees(const std::string& name) { return RemoteResult{Ok(name), true}; }
RemoteResult Disagrees(const std::string& name, ErrorType type = ErrorType::kDns,
                       const std::string& detail = "NXDOMAIN looking up TXT for "
                                                   "_acme-challenge.example.test") {
  return RemoteResult{Failed(name, type, detail), true};
}
// As the client records it: the agent's URL and the transport error, for the audit only.
RemoteResult Unreachable(const std::string& name) {
  return RemoteResult{Failed(name, ErrorType::kConnection,
                             "unreachable: https://10.9.8.7:4443: connect: Connection refused"),
                      false};
}

TEST(AllowedRemoteFailures, FollowsTheBrTable) {
  EXPECT_EQ(AllowedRemoteFailures(0), 0u);
  EXPECT_EQ(AllowedRemoteFailures(1), 0u);
  for (size_t n = 2; n <= 5; ++n) EXPECT_EQ(AllowedRemoteFailures(n), 1u) << n;
  for (size_t n = 6; n <= 12; ++n) EXPECT_EQ(AllowedRemoteFailures(n), 2u) << n;
}

struct QuorumCase {
  const char* name;
  size_t remotes;
  size_t failing;
  bool valid;
};

class QuorumTable : public testing::TestWithParam<QuorumCase> {};

TEST_P(QuorumTable, Decides) {
  const QuorumCase& c = GetParam();
  std::vector<RemoteResult> remotes;
  for (size_t i = 0; i < c.remotes; ++i) {
    const std::string name = "r" + std::to_string(i);
    remotes.push_back(i < c.failing ? Disagrees(name) : Agrees(name));
  }
  ra::ValidationOutcome out = Combine(Ok("primary"), remotes);
  EXPECT_EQ(out.result.ok(), c.valid);
  if (!c.valid) {
    EXPECT_EQ(out.result.error().type, ErrorType::kDns);
  }
  ASSERT_EQ(out.perspectives.size(), c.remotes + 1);
  EXPECT_EQ(out.perspectives[0].name, "primary");
  for (size_t i = 0; i < c.remotes; ++i) {
    EXPECT_EQ(out.perspectives[i + 1].name, "r" + std::to_string(i));
    EXPECT_EQ(out.perspectives[i + 1].error.has_value(), i < c.failing);
  }
}

INSTANTIATE_TEST_SUITE_P(
    BrTable, QuorumTable,
    testing::Values(QuorumCase{"ok_0_remotes", 0, 0, true},
                    QuorumCase{"ok_1_remote_agrees", 1, 0, true},
                    QuorumCase{"fail_1_remote_disagrees", 1, 1, false},
                    QuorumCase{"ok_2_remotes_1_fails", 2, 1, true},
                    QuorumCase{"fail_2_remotes_2_fail", 2, 2, false},
                    QuorumCase{"ok_3_remotes_0_fail", 3, 0, true},
                    QuorumCase{"ok_3_remotes_1_fails", 3, 1, true},
                    QuorumCase{"fail_3_remotes_2_fail", 3, 2, false},
                    QuorumCase{"ok_5_remotes_1_fails", 5, 1, true},
                    QuorumCase{"fail_5_remotes_2_fail", 5, 2, false},
                    QuorumCase{"ok_6_remotes_2_fail", 6, 2, true},
                    QuorumCase{"fail_6_remotes_3_fail", 6, 3, false},
                    QuorumCase{"ok_7_remotes_2_fail", 7, 2, true},
                    QuorumCase{"fail_7_remotes_3_fail", 7, 3, false},
                    QuorumCase{"fail_7_remotes_7_fail", 7, 7, false}),
    [](const testing::TestParamInfo<QuorumCase>& info) { return std::string(info.param.name); });

TEST(Combine, PrimaryFailureWinsWithItsOwnError) {
  ra::ValidationOutcome out =
      Combine(Failed("primary", ErrorType::kUnauthorized, "HTTP 404 from http://a.test/x"),
              {Agrees("east"), Agrees("west"), Agrees("north")});
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kUnauthorized);
  EXPECT_EQ(out.result.error().detail, "HTTP 404 from http://a.test/x");
}

TEST(Combine, PrimaryFailureWithZeroRemotesIsUnchanged) {
  ra::ValidationOutcome out = Combine(Failed("primary", ErrorType::kCaa, "forbidden"), {});
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kCaa);
  EXPECT_EQ(out.result.error().detail, "forbidden");
}

TEST(Combine, DetailNamesDisagreeingPerspectivesAndHow) {
  ra::ValidationOutcome out =
      Combine(Ok("primary"), {Disagrees("east"), Agrees("north"), Unreachable("west")});
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kDns);
  EXPECT_EQ(out.result.error().detail,
            "2 of 3 remote perspectives did not corroborate (at most 1 may): east: dns :: "
            "NXDOMAIN looking up TXT for _acme-challenge.example.test; west: unreachable");
}

TEST(Combine, DetailNeverCarriesAnAgentAddress) {
  ra::ValidationOutcome out =
      Combine(Ok("primary"), {Unreachable("east"), Unreachable("west"), Agrees("north")});
  ASSERT_FALSE(out.result.ok());
  const std::string& detail = out.result.error().detail;
  EXPECT_EQ(detail.find("10.9.8.7"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("https://"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("4443"), std::string::npos) << detail;
  EXPECT_EQ(detail,
            "2 of 3 remote perspectives did not corroborate (at most 1 may): east: unreachable; "
            "west: unreachable");
  // The audit record keeps why.
  ASSERT_EQ(out.perspectives.size(), 4u);
  ASSERT_TRUE(out.perspectives[1].error);
  EXPECT_NE(out.perspectives[1].error->detail.find("10.9.8.7"), std::string::npos);
}

TEST(Combine, AllUnreachableIsConnection) {
  ra::ValidationOutcome out = Combine(Ok("primary"), {Unreachable("east"), Unreachable("west")});
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kConnection);
}

TEST(Combine, TypeIsTheFirstAnsweringRemotesEvenAfterAnUnreachableOne) {
  ra::ValidationOutcome out =
      Combine(Ok("primary"), {Unreachable("a"), Disagrees("b", ErrorType::kCaa, "CAA forbids"),
                              Disagrees("c", ErrorType::kDns, "SERVFAIL")});
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kCaa);
}

TEST(Combine, SingleRemoteDisagreeingFailsWithSingularWording) {
  ra::ValidationOutcome out =
      Combine(Ok("primary"), {Disagrees("east", ErrorType::kCaa, "CAA record forbids")});
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().type, ErrorType::kCaa);
  EXPECT_EQ(out.result.error().detail,
            "1 of 1 remote perspective did not corroborate (at most 0 may): east: caa :: CAA "
            "record forbids");
}

}  // namespace
}  // namespace flint::perspective
