#include "sa/codec.h"

#include <gtest/gtest.h>

#include <set>

#include "sa/test_util.h"

namespace flint::sa {
namespace {

using core::ErrorType;
using testing::Must;

std::vector<ErrorType> AllErrorTypes() {
  std::vector<ErrorType> all;
  for (int i = 0; i <= static_cast<int>(ErrorType::kInternal); ++i) {
    all.push_back(static_cast<ErrorType>(i));
  }
  return all;
}

core::Error Decode(const std::string& json) {
  core::Error e;
  Must(DecodeError(json, e));
  return e;
}

TEST(CodecTest, EveryErrorTypeHasADistinctKey) {
  std::set<std::string_view> keys;
  for (ErrorType t : AllErrorTypes()) {
    EXPECT_TRUE(keys.insert(ErrorTypeKey(t)).second) << ErrorTypeKey(t);
    EXPECT_EQ(ErrorTypeFromKey(ErrorTypeKey(t)), t);
  }
  EXPECT_EQ(ErrorTypeFromKey("bogus"), std::nullopt);
}

TEST(CodecTest, EveryErrorTypeRoundTrips) {
  for (ErrorType t : AllErrorTypes()) {
    SCOPED_TRACE(ErrorTypeKey(t));
    core::Error e = core::Err(t, "detail \"quoted\" \xc3\xa9");
    core::Error got = Decode(EncodeError(e));
    EXPECT_EQ(got.type, t);
    EXPECT_EQ(got.detail, e.detail);
    EXPECT_TRUE(got.subproblems.empty());
    EXPECT_FALSE(got.retry_after.has_value());
  }
}

TEST(CodecTest, ErrorWithEveryMemberRoundTrips) {
  core::Error e = core::Err(ErrorType::kCompound, "several problems");
  e.subproblems = {{ErrorType::kCaa, "CAA forbids", "dns", "a.example"},
                   {ErrorType::kNotFound, "", "", ""}};
  e.retry_after = std::chrono::seconds(3600);
  e.algorithms = {"ES256", "EdDSA"};
  e.location = "https://ca.example/acme/acct/7";
  core::Error got = Decode(EncodeError(e));
  EXPECT_EQ(got.type, ErrorType::kCompound);
  EXPECT_EQ(got.detail, e.detail);
  ASSERT_EQ(got.subproblems.size(), 2u);
  EXPECT_EQ(got.subproblems[0].type, ErrorType::kCaa);
  EXPECT_EQ(got.subproblems[0].detail, "CAA forbids");
  EXPECT_EQ(got.subproblems[0].identifier_type, "dns");
  EXPECT_EQ(got.subproblems[0].identifier_value, "a.example");
  EXPECT_EQ(got.subproblems[1].type, ErrorType::kNotFound);
  EXPECT_EQ(got.retry_after, e.retry_after);
  EXPECT_EQ(got.algorithms, e.algorithms);
  EXPECT_EQ(got.location, e.location);
}

TEST(CodecTest, UnknownKindFallsBackToTheRfcType) {
  EXPECT_EQ(Decode(R"({"type":"caa","kind":"fromTheFuture"})").type, ErrorType::kCaa);
  EXPECT_EQ(Decode(R"({"type":"malformed"})").type, ErrorType::kMalformed);
  EXPECT_EQ(Decode(R"({"type":"someNewType","kind":"someNewType"})").type,
            ErrorType::kServerInternal);
}

TEST(CodecTest, CorruptColumnsAreInternalErrors) {
  core::Error e;
  const std::vector<std::string> bad_errors = {"",
                                               "not json",
                                               "[]",
                                               R"({"subproblems":{}})",
                                               R"({"retryAfter":"soon"})",
                                               R"({"algorithms":[1]})",
                                               R"({"subproblems":[1]})"};
  for (const std::string& text : bad_errors) {
    SCOPED_TRACE(text);
    EXPECT_ERROR_TYPE(DecodeError(text, e), ErrorType::kInternal);
  }
  EXPECT_ERROR_TYPE(DecodeIdentifiers(R"([{"type":"email","value":"x"}])"), ErrorType::kInternal);
  EXPECT_ERROR_TYPE(DecodeIdentifiers("{}"), ErrorType::kInternal);
  EXPECT_ERROR_TYPE(DecodeStrings(R"(["a",2])"), ErrorType::kInternal);
  EXPECT_ERROR_TYPE(ParseOrderStatus("done"), ErrorType::kInternal);
}

TEST(CodecTest, IdentifiersAndStringsRoundTrip) {
  std::vector<core::Identifier> ids = {{core::IdentifierType::kDns, "xn--bcher-kva.example"},
                                       {core::IdentifierType::kIp, "2001:db8::1"}};
  EXPECT_EQ(Must(DecodeIdentifiers(EncodeIdentifiers(ids))), ids);
  std::vector<std::string> strings = {"mailto:a@example.com", "", "\"\\"};
  EXPECT_EQ(Must(DecodeStrings(EncodeStrings(strings))), strings);
  EXPECT_TRUE(Must(DecodeStrings(EncodeStrings({}))).empty());
}

TEST(CodecTest, StatusNamesRoundTrip) {
  using S = core::AuthzStatus;
  for (S s : {S::kPending, S::kValid, S::kInvalid, S::kDeactivated, S::kExpired, S::kRevoked}) {
    EXPECT_EQ(Must(ParseAuthzStatus(core::ToString(s))), s);
  }
  using C = core::ChallengeType;
  for (C c : {C::kHttp01, C::kDns01, C::kTlsAlpn01}) {
    EXPECT_EQ(Must(ParseChallengeType(core::ToString(c))), c);
  }
}

}  // namespace
}  // namespace flint::sa
