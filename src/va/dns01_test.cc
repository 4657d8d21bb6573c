// dns-01 (RFC 8555 §8.4) through a FakeResolver.

#include <gtest/gtest.h>

#include "va/challenges.h"
#include "va/fake_resolver.h"
#include "va/validator.h"

namespace flint::va {
namespace {

using core::ErrorType;

constexpr char kKeyAuth[] =
    "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

TEST(Base64UrlTest, MatchesRfc4648Vectors) {
  EXPECT_EQ(internal::Base64Url(""), "");
  EXPECT_EQ(internal::Base64Url("f"), "Zg");
  EXPECT_EQ(internal::Base64Url("fo"), "Zm8");
  EXPECT_EQ(internal::Base64Url("foo"), "Zm9v");
  EXPECT_EQ(internal::Base64Url("foob"), "Zm9vYg");
  EXPECT_EQ(internal::Base64Url("\xfb\xff\xfe"), "-__-");
  // SHA-256("abc"), FIPS 180-2 test vector, in base64url.
  EXPECT_EQ(internal::Base64Url(internal::Sha256("abc")),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

class Dns01Test : public ::testing::Test {
 protected:
  core::Result<void> Validate(const core::Identifier& id) {
    ValidationAuthority va(VaOptions{}, resolver_);
    return va.Validate(id, core::ChallengeType::kDns01, "token", kKeyAuth);
  }
  static std::string Digest() { return internal::Base64Url(internal::Sha256(kKeyAuth)); }
  FakeResolver resolver_;
};

TEST_F(Dns01Test, MatchingRecordAmongOthersValidates) {
  resolver_.SetTxt("_acme-challenge.example.test", {"unrelated", Digest()});
  auto result = Validate({core::IdentifierType::kDns, "example.test"});
  EXPECT_TRUE(result.ok()) << result.error().detail;
}

TEST_F(Dns01Test, WildcardUsesTheBaseName) {
  resolver_.SetTxt("_acme-challenge.example.test", {Digest()});
  auto result = Validate({core::IdentifierType::kDns, "*.example.test"});
  EXPECT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(resolver_.queries(), std::vector<std::string>{"TXT _acme-challenge.example.test"});
}

TEST_F(Dns01Test, MismatchingRecordIsIncorrectResponse) {
  resolver_.SetTxt("_acme-challenge.example.test", {"wrong-digest"});
  auto result = Validate({core::IdentifierType::kDns, "example.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kIncorrectResponse);
  EXPECT_NE(result.error().detail.find("wrong-digest"), std::string::npos);
}

TEST_F(Dns01Test, NoRecordIsUnauthorized) {
  auto result = Validate({core::IdentifierType::kDns, "example.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kUnauthorized);
}

TEST_F(Dns01Test, LookupFailureIsDnsError) {
  resolver_.SetError("_acme-challenge.example.test", core::Err(ErrorType::kDns, "SERVFAIL"));
  auto result = Validate({core::IdentifierType::kDns, "example.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kDns);
}

TEST_F(Dns01Test, IpIdentifierIsMalformed) {
  auto result = Validate({core::IdentifierType::kIp, "192.0.2.1"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kMalformed);
}

// draft-ietf-acme-dns-account-label-01: the record lives under a label derived from the
// account's URL, so that several accounts can validate one name at once.
class DnsAccount01Test : public Dns01Test {
 protected:
  core::Result<void> ValidateFor(const std::string& account_uri, const core::Identifier& id) {
    ValidationAuthority va(VaOptions{}, resolver_);
    return va.Validate(id, core::ChallengeType::kDnsAccount01, "token", kKeyAuth, account_uri);
  }
};

TEST_F(DnsAccount01Test, LabelMatchesTheDraftsTestVector) {
  EXPECT_EQ(DnsAccountLabel("https://example.com/acme/acct/ExampleAccount"), "_ujmmovf2vn55tgye");
}

TEST_F(DnsAccount01Test, RecordUnderTheAccountsLabelValidates) {
  const std::string account = "https://example.com/acme/acct/ExampleAccount";
  resolver_.SetTxt("_ujmmovf2vn55tgye._acme-challenge.example.test", {Digest()});
  auto result = ValidateFor(account, {core::IdentifierType::kDns, "example.test"});
  EXPECT_TRUE(result.ok()) << result.error().detail;
}

TEST_F(DnsAccount01Test, WildcardUsesTheBaseName) {
  const std::string account = "https://example.com/acme/acct/ExampleAccount";
  resolver_.SetTxt("_ujmmovf2vn55tgye._acme-challenge.example.test", {Digest()});
  auto result = ValidateFor(account, {core::IdentifierType::kDns, "*.example.test"});
  EXPECT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(resolver_.queries(),
            std::vector<std::string>{"TXT _ujmmovf2vn55tgye._acme-challenge.example.test"});
}

TEST_F(DnsAccount01Test, RecordUnderAnotherAccountsLabelFails) {
  // The right digest, but published for another account: it proves nothing for this one.
  resolver_.SetTxt(DnsAccountLabel("https://example.com/acme/acct/Other") +
                       "._acme-challenge.example.test",
                   {Digest()});
  resolver_.SetTxt("_acme-challenge.example.test", {Digest()});  // nor does a dns-01 record
  auto result = ValidateFor("https://example.com/acme/acct/ExampleAccount",
                            {core::IdentifierType::kDns, "example.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kUnauthorized);
  EXPECT_NE(result.error().detail.find("_ujmmovf2vn55tgye._acme-challenge.example.test"),
            std::string::npos);
}

TEST_F(DnsAccount01Test, IpIdentifierIsMalformed) {
  auto result = ValidateFor("https://example.com/acme/acct/1", {core::IdentifierType::kIp, "192.0.2.1"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kMalformed);
}

}  // namespace
}  // namespace flint::va
