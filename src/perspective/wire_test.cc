#include "perspective/wire.h"

#include <gtest/gtest.h>

namespace flint::perspective {
namespace {

using core::ErrorType;

TEST(Wire, RequestRoundTrips) {
  AgentRequest r;
  r.request.identifier = {core::IdentifierType::kDns, "example.test"};
  r.request.wildcard = true;
  r.request.type = core::ChallengeType::kDnsAccount01;
  r.request.token = "tok";
  r.request.key_authorization = "tok.thumb";
  r.request.account_uri = "https://ca.test/acme/acct/1";
  r.request.check_caa = false;
  r.caa_identities = {"flint.test"};
  auto back = DecodeRequest(EncodeRequest(r));
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->request.identifier.value, "example.test");
  EXPECT_TRUE(back->request.wildcard);
  EXPECT_EQ(back->request.type, core::ChallengeType::kDnsAccount01);
  EXPECT_EQ(back->request.key_authorization, "tok.thumb");
  EXPECT_EQ(back->request.account_uri, "https://ca.test/acme/acct/1");
  EXPECT_FALSE(back->request.check_caa);
  EXPECT_EQ(back->caa_identities, std::vector<std::string>{"flint.test"});
}

TEST(Wire, ReportRoundTrips) {
  ra::PerspectiveReport r;
  r.name = "east";
  r.error = core::Err(ErrorType::kCaa, "CAA forbids");
  r.records = {"0 issue \"other.test\""};
  auto back = DecodeReport(EncodeReport(r));
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->name, "east");
  ASSERT_TRUE(back->error);
  EXPECT_EQ(back->error->type, ErrorType::kCaa);
  EXPECT_EQ(back->error->detail, "CAA forbids");
  EXPECT_EQ(back->records, r.records);
}

TEST(Wire, RefusesMalformedRequests) {
  const char* bad[] = {
      "",
      "[]",
      "{",
      R"({"identifier":{"type":"dns","value":"a.test"}})",
      R"({"identifier":{"type":"email","value":"a"},"wildcard":false,"challenge_type":"http-01","check_caa":true})",
      R"({"identifier":{"type":"dns","value":"a.test"},"wildcard":false,"challenge_type":"foo-01","check_caa":true})",
      R"({"identifier":{"type":"dns","value":"a.test"},"wildcard":"no","challenge_type":"http-01","check_caa":true})",
      R"({"identifier":{"type":"dns","value":"a.test","value":"b.test"},"wildcard":false,"challenge_type":"http-01","check_caa":true})",
      R"({"identifier":{"type":"dns","value":"a.test"},"wildcard":false,"challenge_type":"http-01","check_caa":true,"caa_identities":[1]})",
  };
  for (const char* b : bad) {
    auto r = DecodeRequest(b);
    ASSERT_FALSE(r.ok()) << b;
    EXPECT_EQ(r.error().type, ErrorType::kMalformed) << b;
  }
  EXPECT_FALSE(DecodeRequest(std::string(kMaxRequestBody + 1, ' ')).ok());
}

TEST(Wire, RefusesReportsWithInternalErrorKinds) {
  auto r = DecodeReport(R"({"name":"x","result":"invalid","error":{"type":"internal","detail":"d"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, ErrorType::kMalformed);
  EXPECT_FALSE(DecodeReport(R"({"name":"x","result":"maybe"})").ok());
  EXPECT_FALSE(DecodeReport(R"({"name":"x","result":"invalid"})").ok());
}

}  // namespace
}  // namespace flint::perspective
