#include "ca/csr.h"

#include <gtest/gtest.h>

#include <functional>

#include "ca/ca_test_util.h"
#include "ca/openssl_util.h"
#include "ca/x509_ext.h"

namespace flint::ca {
namespace {

using testing::CsrSpec;
using testing::MakeCsrDer;

std::string Ip(std::string_view text) { return IpTextToBytes(text); }

struct ValidCase {
  std::string name;
  std::function<UniquePkey()> key;
};

class CsrValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(CsrValidTest, ParsesNamesAndKey) {
  UniquePkey key = GetParam().key();
  ASSERT_TRUE(key);
  CsrSpec spec;
  spec.common_names = {"WWW.Example.com"};
  spec.san = {NewDnsName("www.example.com"), NewDnsName("*.Example.COM"),
              NewIpName(Ip("192.0.2.1")), NewIpName(Ip("2001:db8:0:0:0:0:0:1")),
              NewDnsName("www.EXAMPLE.com")};
  auto csr = ParseCsr(MakeCsrDer(key.get(), std::move(spec)));
  ASSERT_TRUE(csr.ok()) << csr.error().detail;
  EXPECT_EQ(csr->dns_names, (std::vector<std::string>{"www.example.com", "*.example.com"}));
  EXPECT_EQ(csr->ip_addresses, (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  EXPECT_EQ(csr->common_name, "www.example.com");
  ASSERT_TRUE(csr->public_key);
  EXPECT_EQ(EVP_PKEY_eq(csr->public_key.get(), key.get()), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, CsrValidTest,
    ::testing::Values(ValidCase{"p256", [] { return GenerateEcKey("P-256").value(); }},
                      ValidCase{"p384", [] { return GenerateEcKey("P-384").value(); }},
                      ValidCase{"rsa2048", [] { return testing::NewRsaKey(2048); }}),
    [](const ::testing::TestParamInfo<ValidCase>& info) { return info.param.name; });

TEST(CsrTest, NoSanOnlyCommonName) {
  UniquePkey key = GenerateEcKey("P-256").value();
  CsrSpec spec;
  spec.common_names = {"only.example"};
  auto csr = ParseCsr(MakeCsrDer(key.get(), std::move(spec)));
  ASSERT_TRUE(csr.ok()) << csr.error().detail;
  EXPECT_TRUE(csr->dns_names.empty());
  EXPECT_TRUE(csr->ip_addresses.empty());
  EXPECT_EQ(csr->common_name, "only.example");
}

TEST(CsrTest, EmptySubjectWithSan) {
  UniquePkey key = GenerateEcKey("P-256").value();
  CsrSpec spec;
  spec.san = {NewIpName(Ip("::ffff:192.0.2.9"))};
  auto csr = ParseCsr(MakeCsrDer(key.get(), std::move(spec)));
  ASSERT_TRUE(csr.ok()) << csr.error().detail;
  EXPECT_EQ(csr->common_name, "");
  EXPECT_EQ(csr->ip_addresses, (std::vector<std::string>{"::ffff:192.0.2.9"}));
}

// A valid CSR for the invalid cases to damage.
std::string GoodCsr() {
  UniquePkey key = GenerateEcKey("P-256").value();
  CsrSpec spec;
  spec.common_names = {"a.example"};
  spec.san = {NewDnsName("a.example")};
  return MakeCsrDer(key.get(), std::move(spec));
}

std::string CsrWithSan(std::vector<GENERAL_NAME*> san) {
  UniquePkey key = GenerateEcKey("P-256").value();
  CsrSpec spec;
  spec.san = std::move(san);
  return MakeCsrDer(key.get(), std::move(spec));
}

GENERAL_NAME* EmailName(std::string_view email) {
  GENERAL_NAME* gn = NewDnsName(email);  // an IA5String; retag it as rfc822Name
  gn->type = GEN_EMAIL;
  return gn;
}

struct InvalidCase {
  std::string name;
  std::function<std::string()> der;
};

class CsrInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(CsrInvalidTest, IsBadCsr) {
  auto csr = ParseCsr(GetParam().der());
  ASSERT_FALSE(csr.ok());
  EXPECT_EQ(csr.error().type, core::ErrorType::kBadCsr);
  EXPECT_FALSE(csr.error().detail.empty());
  EXPECT_EQ(ERR_peek_error(), 0u) << "error queue left dirty";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CsrInvalidTest,
    ::testing::Values(
        InvalidCase{"empty", [] { return std::string(); }},
        InvalidCase{"garbage", [] { return std::string("this is not a certificate request"); }},
        InvalidCase{"truncated", [] { return GoodCsr().substr(0, 60); }},
        InvalidCase{"trailing_data", [] { return GoodCsr() + std::string(1, '\0'); }},
        InvalidCase{"flipped_signature_byte",
                    [] {
                      std::string der = GoodCsr();
                      der.back() = static_cast<char>(der.back() ^ 0x01);
                      return der;
                    }},
        InvalidCase{"ec_point_off_the_curve",
                    [] {
                      std::string der = GoodCsr();
                      // BIT STRING (66 bytes, 0 unused bits) holding 04 || X || Y
                      size_t at = der.find(std::string("\x03\x42\x00\x04", 4));
                      der[at + 4 + 63] = static_cast<char>(der[at + 4 + 63] ^ 0x01);
                      return der;
                    }},
        InvalidCase{"ec_point_with_unused_bits",
                    [] {
                      std::string der = GoodCsr();
                      size_t at = der.find(std::string("\x03\x42\x00\x04", 4));
                      der[at + 2] = 1;
                      return der;
                    }},
        InvalidCase{"flipped_body_byte",
                    [] {
                      std::string der = GoodCsr();
                      size_t at = der.find("a.example");  // inside the signed subject
                      der[at] = 'b';
                      return der;
                    }},
        InvalidCase{
            "uri_san",
            [] {
              return CsrWithSan({NewDnsName("a.example"), NewUriName("https://a.example/")});
            }},
        InvalidCase{"email_san", [] { return CsrWithSan({EmailName("x@a.example")}); }},
        InvalidCase{"ip_san_5_bytes",
                    [] { return CsrWithSan({NewIpName("\x01\x02\x03\x04\x05")}); }},
        InvalidCase{"empty_dns_san", [] { return CsrWithSan({NewDnsName("")}); }},
        InvalidCase{"dns_san_with_space", [] { return CsrWithSan({NewDnsName("a b.example")}); }},
        InvalidCase{"sha1_signature",
                    [] {
                      UniquePkey key = GenerateEcKey("P-256").value();
                      CsrSpec spec;
                      spec.san = {NewDnsName("a.example")};
                      spec.md = EVP_sha1();
                      return MakeCsrDer(key.get(), std::move(spec));
                    }},
        InvalidCase{"two_common_names",
                    [] {
                      UniquePkey key = GenerateEcKey("P-256").value();
                      CsrSpec spec;
                      spec.common_names = {"a.example", "b.example"};
                      return MakeCsrDer(key.get(), std::move(spec));
                    }},
        InvalidCase{"too_large", [] { return std::string(kMaxCsrBytes + 1, '\x30'); }}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

}  // namespace
}  // namespace flint::ca
