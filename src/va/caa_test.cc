// CAA (RFC 8659, RFC 8657): value grammar, record-set evaluation and tree climbing.

#include "va/caa.h"

#include <gtest/gtest.h>

#include "va/fake_resolver.h"
#include "va/validator.h"

namespace flint::va {
namespace {

using core::ChallengeType;
using core::ErrorType;

TEST(ParseCaaIssueValueTest, AcceptsRfc8659Examples) {
  auto v = ParseCaaIssueValue("ca.example.net");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issuer_domain, "ca.example.net");
  EXPECT_TRUE(v->parameters.empty());

  v = ParseCaaIssueValue("ca.example.net; account=230123");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issuer_domain, "ca.example.net");
  ASSERT_EQ(v->parameters.size(), 1u);
  EXPECT_EQ(v->parameters[0], (std::pair<std::string, std::string>{"account", "230123"}));

  v = ParseCaaIssueValue(" ca.example.net ;  policy = ev ; x-y=a:b/c ");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issuer_domain, "ca.example.net");
  ASSERT_EQ(v->parameters.size(), 2u);
  EXPECT_EQ(v->parameters[1], (std::pair<std::string, std::string>{"x-y", "a:b/c"}));

  v = ParseCaaIssueValue(";");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issuer_domain, "");
  v = ParseCaaIssueValue("");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issuer_domain, "");
  v = ParseCaaIssueValue("ca.example; key=");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->parameters[0].second, "");
}

TEST(ParseCaaIssueValueTest, RejectsMalformedValues) {
  for (const char* bad : {"ca..example", "ca.example.", "-ca.example", "ca-.example",
                          "ca.example account=1", "ca.example; account", "ca.example; =1",
                          "ca.example; a=1 b=2", "ca.example; a=1;", "ca_example.net",
                          "ca.example; a=\x7f"}) {
    EXPECT_FALSE(ParseCaaIssueValue(bad)) << bad;
  }
}

CaaRecord Issue(std::string value, uint8_t flags = 0) { return {flags, "issue", std::move(value)}; }
CaaRecord IssueWild(std::string value) { return {0, "issuewild", std::move(value)}; }

constexpr char kAccount[] = "https://flint.test/acme/acct/42";

struct Case {
  const char* name;
  std::vector<CaaRecord> records;  // at example.test
  bool wildcard;
  ChallengeType method;
  bool ok;
};

std::vector<Case> Cases() {
  const ChallengeType http = ChallengeType::kHttp01;
  const ChallengeType dns = ChallengeType::kDns01;
  return {
      {"issue_for_us", {Issue("flint.test")}, false, http, true},
      {"issue_for_us_case_insensitive", {{0, "ISSUE", "Flint.Test"}}, false, http, true},
      {"issue_for_other_ca", {Issue("ca.example.net")}, false, http, false},
      {"one_of_several_issuers", {Issue("ca.example.net"), Issue("flint.test")}, false, http, true},
      {"empty_issuer_forbids", {Issue(";")}, false, http, false},
      {"malformed_value_does_not_authorize", {Issue("flint.test account=1")}, false, http, false},
      {"only_iodef_allows", {{0, "iodef", "mailto:security@example.test"}}, false, http, true},
      {"critical_iodef_allows", {{128, "iodef", "mailto:x@example.test"}, Issue("flint.test")},
       false, http, true},
      {"critical_unknown_tag_refuses", {Issue("flint.test"), {128, "tbs", "Unknown"}}, false, http,
       false},
      {"noncritical_unknown_tag_ignored", {Issue("flint.test"), {0, "tbs", "Unknown"}}, false, http,
       true},
      {"unknown_parameter_ignored", {Issue("flint.test; policy=ev")}, false, http, true},
      // RFC 8659 §4.3: issuewild replaces issue for wildcards only.
      {"issuewild_for_us_wildcard", {Issue(";"), IssueWild("flint.test")}, true, http, true},
      {"issuewild_other_wildcard", {Issue("flint.test"), IssueWild("ca.example.net")}, true, http,
       false},
      {"issuewild_ignored_for_non_wildcard", {Issue("flint.test"), IssueWild(";")}, false, http,
       true},
      {"issue_applies_to_wildcard_without_issuewild", {Issue("ca.example.net")}, true, http, false},
      {"only_issuewild_non_wildcard_allowed", {IssueWild("ca.example.net")}, false, http, true},
      // RFC 8657 §3 accounturi.
      {"accounturi_match", {Issue(std::string("flint.test; accounturi=") + kAccount)}, false, http,
       true},
      {"accounturi_mismatch", {Issue("flint.test; accounturi=https://flint.test/acme/acct/7")},
       false, http, false},
      {"accounturi_twice_voids",
       {Issue(std::string("flint.test; accounturi=") + kAccount + "; accounturi=" + kAccount)},
       false, http, false},
      // RFC 8657 §4 validationmethods.
      {"validationmethods_listed", {Issue("flint.test; validationmethods=dns-01,http-01")}, false,
       http, true},
      {"validationmethods_not_listed", {Issue("flint.test; validationmethods=dns-01")}, false,
       http, false},
      {"validationmethods_dns", {Issue("flint.test; validationmethods=dns-01")}, false, dns, true},
      {"validationmethods_malformed", {Issue("flint.test; validationmethods=http-01,,dns-01")},
       false, http, false},
      {"both_parameters",
       {Issue(std::string("flint.test; accounturi=") + kAccount + "; validationmethods=http-01")},
       false, http, true},
  };
}

class CheckCaaTest : public ::testing::TestWithParam<Case> {};

TEST_P(CheckCaaTest, Decides) {
  const Case& c = GetParam();
  FakeResolver resolver;
  resolver.SetCaa("example.test", c.records);
  VaOptions options;
  options.caa_identities = {"flint.test"};
  ValidationAuthority va(options, resolver);
  auto result = va.CheckCaa({core::IdentifierType::kDns, "example.test"}, c.wildcard, kAccount,
                            c.method);
  if (c.ok) {
    EXPECT_TRUE(result.ok()) << result.error().detail;
  } else {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().type, ErrorType::kCaa);
    EXPECT_NE(result.error().detail.find("CAA record for example.test"), std::string::npos)
        << result.error().detail;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, CheckCaaTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return std::string(info.param.name); });

class CaaClimbTest : public ::testing::Test {
 protected:
  CaaClimbTest() { options_.caa_identities = {"flint.test"}; }
  core::Result<void> Check(const std::string& name, bool wildcard = false) {
    ValidationAuthority va(options_, resolver_);
    return va.CheckCaa({core::IdentifierType::kDns, name}, wildcard, kAccount,
                       ChallengeType::kHttp01);
  }
  VaOptions options_;
  FakeResolver resolver_;
};

TEST_F(CaaClimbTest, RecordOnParentApplies) {
  resolver_.SetCaa("example.test", {Issue("ca.example.net")});
  auto result = Check("www.sub.example.test");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kCaa);
  EXPECT_NE(result.error().detail.find("CAA record for example.test"), std::string::npos);
  // Every label is looked up at once (one round trip); the lowest non-empty set decides.
  EXPECT_EQ(resolver_.queries(),
            (std::vector<std::string>{"CAA www.sub.example.test", "CAA sub.example.test",
                                      "CAA example.test", "CAA test"}));
}

TEST_F(CaaClimbTest, ClosestNonEmptySetWins) {
  resolver_.SetCaa("example.test", {Issue("ca.example.net")});
  resolver_.SetCaa("sub.example.test", {Issue("flint.test")});
  EXPECT_TRUE(Check("www.sub.example.test").ok());
  EXPECT_EQ(resolver_.queries().size(), 4u);  // all labels, in parallel
}

TEST_F(CaaClimbTest, LookupFailureAboveTheRelevantSetDoesNotMatter) {
  resolver_.SetCaa("sub.example.test", {Issue("flint.test")});
  resolver_.SetError("example.test", core::Err(ErrorType::kDns, "SERVFAIL"));
  EXPECT_TRUE(Check("www.sub.example.test").ok());
}

TEST_F(CaaClimbTest, NoRecordsAnywhereAllowsAfterQueryingUpToTheTld) {
  EXPECT_TRUE(Check("a.b.example.test").ok());
  EXPECT_EQ(resolver_.queries(),
            (std::vector<std::string>{"CAA a.b.example.test", "CAA b.example.test",
                                      "CAA example.test", "CAA test"}));
}

TEST_F(CaaClimbTest, WildcardClimbsFromTheBaseName) {
  resolver_.SetCaa("example.test", {Issue("flint.test"), IssueWild(";")});
  auto result = Check("*.example.test");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kCaa);
  EXPECT_EQ(resolver_.queries().front(), "CAA example.test");
  EXPECT_TRUE(Check("example.test", false).ok());
}

TEST_F(CaaClimbTest, LookupFailureIsDnsError) {
  resolver_.SetError("sub.example.test", core::Err(ErrorType::kDns, "SERVFAIL"));
  auto result = Check("www.sub.example.test");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kDns);
  EXPECT_NE(result.error().detail.find("CAA"), std::string::npos);
}

TEST_F(CaaClimbTest, IpIdentifiersAreNotChecked) {
  ValidationAuthority va(options_, resolver_);
  EXPECT_TRUE(va.CheckCaa({core::IdentifierType::kIp, "192.0.2.1"}, false, kAccount,
                          ChallengeType::kHttp01)
                  .ok());
  EXPECT_TRUE(resolver_.queries().empty());
}

}  // namespace
}  // namespace flint::va
