#include "ca/crl.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <chrono>

#include "ca/openssl_util.h"
#include "ca/status_test_fixture.h"

namespace flint::ca {
namespace {

using namespace std::chrono_literals;
using UniqueCrl = std::unique_ptr<X509_CRL, OsslDeleter<X509_CRL_free>>;

class CrlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ca_ = new testing::StatusTestCa(); }
  static void TearDownTestSuite() { delete ca_; }

  CrlIssuer Crls() const {
    return CrlIssuer(ca_->signer(), ca_->material().intermediate_cert);
  }
  static std::string Serial(X509* cert) { return SerialToHex(X509_get0_serialNumber(cert)).value(); }

  static UniqueCrl Parse(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    return UniqueCrl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  }

  // X509_verify_cert of `leaf` against the root with CRL checking of the leaf.
  static int VerifyWithCrl(X509* leaf, X509_CRL* crl) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca_->root());
    X509_STORE_add_crl(store, crl);
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, ca_->intermediate());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, untrusted);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_X509_STRICT);
    int rc = X509_verify_cert(ctx);
    int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    ERR_clear_error();
    return err;
  }

  static inline testing::StatusTestCa* ca_ = nullptr;
};

TEST_F(CrlTest, ParsesBackAsSignedV2WithNumberAkiTimesAndEntries) {
  UniqueX509 a = ca_->IssueLeaf("a.example.com");
  UniqueX509 b = ca_->IssueLeaf("b.example.com");
  core::TimePoint now = std::chrono::floor<std::chrono::seconds>(ca_->clock().Now());
  CrlContents c;
  c.number = 1234567;
  c.this_update = now;
  c.next_update = now + 24h;
  c.entries = {{Serial(a.get()), now - 1h, 1}, {Serial(b.get()), now - 2h, 0}};
  std::string der = Crls().Issue(c).value();

  UniqueCrl crl = Parse(der);
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()),
                          X509_get_subject_name(ca_->intermediate())), 0);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca_->intermediate())), 1);
  EXPECT_EQ(FromAsn1Time(X509_CRL_get0_lastUpdate(crl.get())).value(), now);
  EXPECT_EQ(FromAsn1Time(X509_CRL_get0_nextUpdate(crl.get())).value(), now + 24h);

  auto* number = static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number), 1234567);
  ASN1_INTEGER_free(number);
  auto* akid = static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, nullptr, nullptr));
  ASSERT_NE(akid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(ca_->intermediate())), 0);
  AUTHORITY_KEYID_free(akid);

  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 2);
  int found = 0;
  for (int i = 0; i < 2; ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    std::string serial = SerialToHex(X509_REVOKED_get0_serialNumber(r)).value();
    auto* reason = static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr));
    core::TimePoint date = FromAsn1Time(X509_REVOKED_get0_revocationDate(r)).value();
    if (serial == Serial(a.get())) {
      ++found;
      ASSERT_NE(reason, nullptr);
      EXPECT_EQ(ASN1_ENUMERATED_get(reason), 1);  // keyCompromise
      EXPECT_EQ(date, now - 1h);
    } else if (serial == Serial(b.get())) {
      ++found;
      EXPECT_EQ(reason, nullptr);  // RFC 5280 §5.3.1: unspecified is left out
      EXPECT_EQ(date, now - 2h);
    }
    ASN1_ENUMERATED_free(reason);
  }
  EXPECT_EQ(found, 2);
}

TEST_F(CrlTest, OpenSslVerificationReportsRevokedAndAcceptsOthers) {
  UniqueX509 revoked = ca_->IssueLeaf("revoked.example.com");
  UniqueX509 fine = ca_->IssueLeaf("fine.example.com");
  core::TimePoint now = ca_->clock().Now();
  CrlContents c{7, now - 1min, now + 24h, {{Serial(revoked.get()), now - 1min, 4}}};
  UniqueCrl crl = Parse(Crls().Issue(c).value());
  ASSERT_TRUE(crl);
  EXPECT_EQ(VerifyWithCrl(revoked.get(), crl.get()), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(VerifyWithCrl(fine.get(), crl.get()), X509_V_OK);
}

TEST_F(CrlTest, EmptyCrlIsValid) {
  core::TimePoint now = ca_->clock().Now();
  UniqueCrl crl = Parse(Crls().Issue({1, now, now + 1h, {}}).value());
  ASSERT_TRUE(crl);
  // RFC 5280 §5.1.2.6: with no revoked certificates the list is absent.
  EXPECT_EQ(X509_CRL_get_REVOKED(crl.get()), nullptr);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca_->intermediate())), 1);
}

struct BadCrlCase {
  const char* name;
  CrlContents contents;
};

class CrlRefusalTest : public CrlTest, public ::testing::WithParamInterface<BadCrlCase> {};

TEST_P(CrlRefusalTest, IsInternal) {
  auto r = Crls().Issue(GetParam().contents);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kInternal) << r.error().detail;
}

const core::TimePoint kT = core::FromUnixSeconds(1'800'000'000);

INSTANTIATE_TEST_SUITE_P(
    Cases, CrlRefusalTest,
    ::testing::Values(BadCrlCase{"zero_number", {0, kT, kT + 1h, {}}},
                      BadCrlCase{"next_not_after_this", {1, kT, kT, {}}},
                      BadCrlCase{"bad_serial", {1, kT, kT + 1h, {{"zz", kT, 0}}}},
                      BadCrlCase{"odd_serial", {1, kT, kT + 1h, {{"abc", kT, 0}}}},
                      BadCrlCase{"reason_unused_7", {1, kT, kT + 1h, {{"01", kT, 7}}}},
                      BadCrlCase{"reason_11", {1, kT, kT + 1h, {{"01", kT, 11}}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SerialFromHexTest, RoundTripsWithSerialToHex) {
  for (const char* hex : {"01", "7f", "0080", "00ff01", "1234567890abcdef1234567890abcdef"}) {
    ASN1_INTEGER* i = SerialFromHex(hex);
    ASSERT_NE(i, nullptr) << hex;
    EXPECT_EQ(SerialToHex(i).value(), hex);
    ASN1_INTEGER_free(i);
  }
  const std::vector<std::string> bad = {"", "0", "xy", std::string(44, '1')};
  for (const std::string& b : bad) EXPECT_EQ(SerialFromHex(b), nullptr) << b;
}

}  // namespace
}  // namespace flint::ca
