#include "ca/issuer.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ocsp.h>

#include <chrono>
#include <set>
#include <thread>

#include "ca/ca_files.h"
#include "ca/ca_test_util.h"
#include "ca/cert_info.h"
#include "ca/csr.h"
#include "ca/openssl_util.h"
#include "ca/signer.h"

namespace flint::ca {
namespace {

using core::Identifier;
using core::IdentifierType;
using std::chrono::days;

Identifier Dns(std::string v) { return {IdentifierType::kDns, std::move(v)}; }
Identifier Ip(std::string v) { return {IdentifierType::kIp, std::move(v)}; }

// One CA for the whole suite: creating it costs a few key generations.
class IssuerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new testing::TempDir();
    clock_ = new core::FakeClock();
    random_ = new core::SecureRandom();
    auto ca = LoadOrCreateCa(tmp_->path() + "/ca", {}, *clock_, *random_);
    ASSERT_TRUE(ca.ok()) << ca.error().detail;
    ca_ = new CaMaterial(std::move(ca).value());
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete random_;
    delete clock_;
    delete tmp_;
  }

  void SetUp() override {
    issuer_ = NewIntermediateIssuer(*ca_, *random_);
    key_ = GenerateEcKey("P-256").value();
  }

  IssueRequest Request(std::vector<Identifier> ids) const {
    IssueRequest r;
    r.identifiers = std::move(ids);
    r.public_key = key_.get();
    r.not_before = clock_->Now() - std::chrono::hours(1);
    r.not_after = clock_->Now() + days(90);
    return r;
  }

  UniqueX509 IssueOk(const IssueRequest& r) const {
    auto issued = issuer_->Issue(r);
    EXPECT_TRUE(issued.ok()) << issued.error().detail;
    if (!issued.ok()) return nullptr;
    return testing::ParseDerCert(issued->der);
  }

  int Verify(X509* leaf) const {
    return testing::VerifyChain(leaf, ca_->root_cert.get(), ca_->intermediate_cert.get(),
                                clock_->Now());
  }

  static testing::TempDir* tmp_;
  static core::FakeClock* clock_;
  static core::SecureRandom* random_;
  static CaMaterial* ca_;
  std::unique_ptr<Issuer> issuer_;
  UniquePkey key_;
};

testing::TempDir* IssuerTest::tmp_ = nullptr;
core::FakeClock* IssuerTest::clock_ = nullptr;
core::SecureRandom* IssuerTest::random_ = nullptr;
CaMaterial* IssuerTest::ca_ = nullptr;

TEST_F(IssuerTest, LeafVerifiesForTlsServerWithExactSans) {
  auto issued = issuer_->Issue(
      Request({Dns("a.example"), Ip("192.0.2.1"), Dns("*.b.example"), Ip("2001:0DB8::1")}));
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  UniqueX509 leaf = testing::ParseDerCert(issued->der);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
  EXPECT_EQ(testing::SanStrings(leaf.get()),
            (std::vector<std::string>{"DNS:a.example", "IP:192.0.2.1", "DNS:*.b.example",
                                      "IP:2001:db8::1"}));
  EXPECT_EQ(X509_get_version(leaf.get()), X509_VERSION_3);
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()),
                          X509_get_subject_name(ca_->intermediate_cert.get())),
            0);
  EXPECT_EQ(issued->chain_pem, CertToPem(leaf.get()).value() + ca_->intermediate_pem);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), key_.get()), 1);
}

TEST_F(IssuerTest, ValidityIsEncodedAtSecondPrecision) {
  IssueRequest r = Request({Dns("a.example")});
  r.not_before = clock_->Now() + std::chrono::milliseconds(1500);
  r.not_after = r.not_before + days(7);
  auto issued = issuer_->Issue(r);
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  UniqueX509 leaf = testing::ParseDerCert(issued->der);
  EXPECT_EQ(issued->not_before, std::chrono::floor<std::chrono::seconds>(r.not_before));
  EXPECT_EQ(issued->not_after, std::chrono::floor<std::chrono::seconds>(r.not_after));
  EXPECT_EQ(FromAsn1Time(X509_get0_notBefore(leaf.get())).value(), issued->not_before);
  EXPECT_EQ(FromAsn1Time(X509_get0_notAfter(leaf.get())).value(), issued->not_after);
}

struct CnCase {
  std::string name;
  std::vector<Identifier> ids;
  bool include_cn;
  std::string want_cn;  // "" = no CN, empty subject, critical SAN
};

class IssuerCnTest : public IssuerTest, public ::testing::WithParamInterface<CnCase> {};

TEST_P(IssuerCnTest, CommonNameRule) {
  IssueRequest r = Request(GetParam().ids);
  r.include_cn = GetParam().include_cn;
  UniqueX509 leaf = IssueOk(r);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(testing::SubjectCn(leaf.get()), GetParam().want_cn);
  bool empty_subject = GetParam().want_cn.empty();
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), empty_subject ? 0 : 1);
  EXPECT_EQ(testing::ExtCritical(leaf.get(), NID_subject_alt_name), empty_subject ? 1 : 0);
  EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
}

const std::string k64 = std::string(60, 'a') + ".com";  // 64 characters
const std::string k65 = std::string(61, 'a') + ".com";  // 65 characters

INSTANTIATE_TEST_SUITE_P(
    Cases, IssuerCnTest,
    ::testing::Values(CnCase{"first_dns", {Dns("a.example"), Dns("b.example")}, true, "a.example"},
                      CnCase{"ip_then_dns", {Ip("192.0.2.1"), Dns("b.example")}, true, "b.example"},
                      CnCase{"wildcard", {Dns("*.a.example")}, true, "*.a.example"},
                      CnCase{"ip_only", {Ip("192.0.2.1"), Ip("::1")}, true, ""},
                      CnCase{"exactly_64_chars", {Dns(k64)}, true, k64},
                      CnCase{"first_dns_65_chars", {Dns(k65), Dns("short.example")}, true, ""},
                      CnCase{"cn_not_wanted", {Dns("a.example")}, false, ""}),
    [](const ::testing::TestParamInfo<CnCase>& info) { return info.param.name; });

TEST_F(IssuerTest, SerialIs128BitPositiveAndMatchesHex) {
  auto issued = issuer_->Issue(Request({Dns("a.example")}));
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  UniqueX509 leaf = testing::ParseDerCert(issued->der);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(leaf.get());
  UniqueBignum bn(ASN1_INTEGER_to_BN(serial, nullptr));
  EXPECT_FALSE(BN_is_negative(bn.get()));
  EXPECT_FALSE(BN_is_zero(bn.get()));
  EXPECT_LE(BN_num_bits(bn.get()), 127);
  EXPECT_EQ(SerialToHex(serial).value(), issued->serial_hex);
  EXPECT_LE(issued->serial_hex.size(), 32u);
}

TEST_F(IssuerTest, SerialClearsTheTopBit) {
  testing::ScriptedRandom all_ones({0xff});
  Issuer issuer(std::make_shared<KeySigner>(ca_->intermediate_key), ca_->intermediate_cert,
                ca_->intermediate_pem, all_ones);
  auto issued = issuer.Issue(Request({Dns("a.example")}));
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  EXPECT_EQ(issued->serial_hex, "7fffffffffffffffffffffffffffffff");
}

TEST_F(IssuerTest, ZeroSerialIsDrawnAgain) {
  testing::ScriptedRandom zeros_then_ones({0x00, 0x00, 0x01});
  Issuer issuer(std::make_shared<KeySigner>(ca_->intermediate_key), ca_->intermediate_cert,
                ca_->intermediate_pem, zeros_then_ones);
  auto issued = issuer.Issue(Request({Dns("a.example")}));
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  EXPECT_EQ(issued->serial_hex, "01010101010101010101010101010101");

  testing::ScriptedRandom only_zeros({0x00});
  Issuer stuck(std::make_shared<KeySigner>(ca_->intermediate_key), ca_->intermediate_cert,
               ca_->intermediate_pem, only_zeros);
  auto failed = stuck.Issue(Request({Dns("a.example")}));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().type, core::ErrorType::kInternal);
}

TEST_F(IssuerTest, SerialsAreUniqueAcrossAThousandIssues) {
  std::set<std::string> serials;
  for (int i = 0; i < 1000; ++i) {
    auto issued = issuer_->Issue(Request({Dns("a.example")}));
    ASSERT_TRUE(issued.ok()) << issued.error().detail;
    serials.insert(issued->serial_hex);
  }
  EXPECT_EQ(serials.size(), 1000u);
}

TEST_F(IssuerTest, ExtensionsAndCriticalFlags) {
  IssueRequest r = Request({Dns("a.example")});
  r.ocsp_url = "http://ocsp.flint.test/";
  r.aia_issuer_url = "http://flint.test/intermediate.der";
  r.crl_url = "http://flint.test/crl/1.crl";
  UniqueX509 leaf = IssueOk(r);
  ASSERT_TRUE(leaf);
  X509* cert = leaf.get();
  EXPECT_EQ(testing::ExtCritical(cert, NID_basic_constraints), 1);
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_EQ(testing::ExtCritical(cert, NID_key_usage), 1);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(testing::ExtCritical(cert, NID_ext_key_usage), 0);
  EXPECT_EQ(X509_get_extended_key_usage(cert), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(testing::ExtCritical(cert, NID_subject_key_identifier), 0);
  EXPECT_EQ(testing::ExtCritical(cert, NID_authority_key_identifier), 0);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert),
                                  X509_get0_subject_key_id(ca_->intermediate_cert.get())),
            0);
  EXPECT_EQ(testing::ExtCritical(cert, NID_info_access), 0);
  EXPECT_EQ(testing::ExtCritical(cert, NID_crl_distribution_points), 0);
  EXPECT_EQ(testing::ExtCritical(cert, NID_certificate_policies), -1);

  STACK_OF(OPENSSL_STRING)* ocsp = X509_get1_ocsp(cert);
  ASSERT_EQ(sk_OPENSSL_STRING_num(ocsp), 1);
  EXPECT_STREQ(sk_OPENSSL_STRING_value(ocsp, 0), "http://ocsp.flint.test/");
  X509_email_free(ocsp);

  auto* aia = static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr));
  ASSERT_EQ(sk_ACCESS_DESCRIPTION_num(aia), 2);
  ACCESS_DESCRIPTION* issuers = sk_ACCESS_DESCRIPTION_value(aia, 1);
  EXPECT_EQ(OBJ_obj2nid(issuers->method), NID_ad_ca_issuers);
  const ASN1_IA5STRING* uri = issuers->location->d.uniformResourceIdentifier;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri))),
            "http://flint.test/intermediate.der");
  AUTHORITY_INFO_ACCESS_free(aia);

  auto* dps = static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  ASSERT_EQ(sk_DIST_POINT_num(dps), 1);
  GENERAL_NAMES* full = sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname;
  ASSERT_EQ(sk_GENERAL_NAME_num(full), 1);
  const ASN1_IA5STRING* crl = sk_GENERAL_NAME_value(full, 0)->d.uniformResourceIdentifier;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(crl))),
            "http://flint.test/crl/1.crl");
  CRL_DIST_POINTS_free(dps);
  EXPECT_EQ(Verify(cert), X509_V_OK);
}

TEST_F(IssuerTest, NoUrlsMeansNoAiaOrCrlDistributionPoint) {
  UniqueX509 leaf = IssueOk(Request({Dns("a.example")}));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(testing::ExtCritical(leaf.get(), NID_info_access), -1);
  EXPECT_EQ(testing::ExtCritical(leaf.get(), NID_crl_distribution_points), -1);
}

TEST_F(IssuerTest, RsaKeyGetsKeyEnciphermentAndClientAuthOnRequest) {
  UniquePkey rsa = testing::NewRsaKey(2048);
  IssueRequest r = Request({Dns("a.example")});
  r.public_key = rsa.get();
  r.include_client_auth = true;
  UniqueX509 leaf = IssueOk(r);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_get_key_usage(leaf.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
  EXPECT_EQ(testing::VerifyChain(leaf.get(), ca_->root_cert.get(), ca_->intermediate_cert.get(),
                                 clock_->Now(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
}

// The KeyUsage a profile asks for, as the subject key's algorithm allows it.
struct KeyUsageCase {
  std::string name;
  std::string key;  // "EC", "RSA" or "ED25519"
  std::vector<core::KeyUsage> wanted;
  uint32_t want_bits;       // X509_get_key_usage
  std::string want_der_hex;  // the extension's value: the DER BIT STRING
};

class IssuerKeyUsageTest : public IssuerTest,
                           public ::testing::WithParamInterface<KeyUsageCase> {};

TEST_P(IssuerKeyUsageTest, CarriesExactlyTheUsagesTheKeyAllows) {
  const KeyUsageCase& c = GetParam();
  UniquePkey key = c.key == "RSA"  ? testing::NewRsaKey(2048)
                   : c.key == "EC" ? GenerateEcKey("P-256").value()
                                   : UniquePkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(key);
  IssueRequest r = Request({Dns("a.example")});
  r.public_key = key.get();
  r.key_usages = c.wanted;
  auto issued = issuer_->Issue(r);
  ASSERT_TRUE(issued.ok()) << issued.error().detail;

  // Parse the DER afresh: exactly one keyUsage extension, critical, with exactly these bits.
  UniqueX509 leaf = testing::ParseDerCert(issued->der);
  ASSERT_TRUE(leaf);
  const int idx = X509_get_ext_by_NID(leaf.get(), NID_key_usage, -1);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(X509_get_ext_by_NID(leaf.get(), NID_key_usage, idx), -1);
  X509_EXTENSION* ext = X509_get_ext(leaf.get(), idx);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  std::string hex;
  for (int i = 0; i < ASN1_STRING_length(value); ++i) {
    static const char kDigits[] = "0123456789abcdef";
    const unsigned char b = ASN1_STRING_get0_data(value)[i];
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  EXPECT_EQ(hex, c.want_der_hex);
  EXPECT_EQ(X509_get_key_usage(leaf.get()), c.want_bits);
  EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
}

using core::KeyUsage;
constexpr KeyUsage kDs = KeyUsage::kDigitalSignature;
constexpr KeyUsage kNr = KeyUsage::kNonRepudiation;
constexpr KeyUsage kKe = KeyUsage::kKeyEncipherment;
constexpr KeyUsage kDe = KeyUsage::kDataEncipherment;
constexpr KeyUsage kKa = KeyUsage::kKeyAgreement;

INSTANTIATE_TEST_SUITE_P(
    Cases, IssuerKeyUsageTest,
    ::testing::Values(
        // The default: digitalSignature, plus keyEncipherment for RSA keys only.
        KeyUsageCase{"default_ec", "EC", {kDs, kKe}, KU_DIGITAL_SIGNATURE, "03020780"},
        KeyUsageCase{"default_rsa", "RSA", {kDs, kKe},
                     KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, "030205a0"},
        KeyUsageCase{"default_ed25519", "ED25519", {kDs, kKe}, KU_DIGITAL_SIGNATURE, "03020780"},
        KeyUsageCase{"ec_key_agreement", "EC", {kDs, kKa},
                     KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT, "03020388"},
        KeyUsageCase{"ec_drops_encipherment", "EC", {kKe, kDe, kDs}, KU_DIGITAL_SIGNATURE,
                     "03020780"},
        KeyUsageCase{"rsa_drops_key_agreement", "RSA", {kDs, kKa, kKe},
                     KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, "030205a0"},
        KeyUsageCase{"rsa_digital_signature_only", "RSA", {kDs}, KU_DIGITAL_SIGNATURE,
                     "03020780"},
        KeyUsageCase{"rsa_all_four", "RSA", {kDe, kNr, kKe, kDs},
                     KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_ENCIPHERMENT |
                         KU_DATA_ENCIPHERMENT,
                     "030204f0"},
        KeyUsageCase{"ed25519_non_repudiation", "ED25519", {kDs, kNr, kKa, kKe},
                     KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, "030206c0"}),
    [](const ::testing::TestParamInfo<KeyUsageCase>& info) { return info.param.name; });

TEST_F(IssuerTest, IssuesForAParsedCsrKey) {
  testing::CsrSpec spec;
  spec.san = {NewDnsName("csr.example")};
  auto csr = ParseCsr(testing::MakeCsrDer(key_.get(), std::move(spec)));
  ASSERT_TRUE(csr.ok()) << csr.error().detail;
  IssueRequest r = Request({Dns(csr->dns_names[0])});
  r.public_key = csr->public_key.get();
  UniqueX509 leaf = IssueOk(r);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
}

// The CSR's SubjectPublicKeyInfo copied verbatim gives the same certificate key as
// X509_set_pubkey, for EC and RSA keys alike.
TEST_F(IssuerTest, CopiesTheCsrSubjectPublicKeyInfo) {
  UniquePkey rsa = testing::NewRsaKey(2048);
  for (EVP_PKEY* key : {key_.get(), rsa.get()}) {
    testing::CsrSpec spec;
    spec.san = {NewDnsName("spki.example")};
    auto csr = ParseCsr(testing::MakeCsrDer(key, std::move(spec)));
    ASSERT_TRUE(csr.ok()) << csr.error().detail;
    IssueRequest r = Request({Dns("spki.example")});
    r.public_key = csr->public_key.get();
    r.spki_der = csr->spki_der;
    UniqueX509 leaf = IssueOk(r);
    ASSERT_TRUE(leaf);
    EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
    EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), key), 1);
    auto from_cert = SpkiDer(X509_get_X509_PUBKEY(leaf.get()));
    ASSERT_TRUE(from_cert.ok());
    EXPECT_EQ(*from_cert, csr->spki_der);
    EXPECT_EQ(SpkiSha256HexOfDer(csr->spki_der), SpkiSha256Hex(key).value());
  }
}

struct BadRequestCase {
  std::string name;
  std::function<void(IssueRequest&)> mutate;
  core::ErrorType want;
};

class IssuerBadRequestTest : public IssuerTest,
                             public ::testing::WithParamInterface<BadRequestCase> {};

TEST_P(IssuerBadRequestTest, IsRefused) {
  IssueRequest r = Request({Dns("a.example")});
  GetParam().mutate(r);
  auto issued = issuer_->Issue(r);
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.error().type, GetParam().want) << issued.error().detail;
}

using core::ErrorType;
INSTANTIATE_TEST_SUITE_P(
    Cases, IssuerBadRequestTest,
    ::testing::Values(
        BadRequestCase{"no_identifiers", [](IssueRequest& r) { r.identifiers.clear(); },
                       ErrorType::kInternal},
        BadRequestCase{"no_key", [](IssueRequest& r) { r.public_key = nullptr; },
                       ErrorType::kInternal},
        BadRequestCase{"inverted_validity",
                       [](IssueRequest& r) { std::swap(r.not_before, r.not_after); },
                       ErrorType::kInternal},
        BadRequestCase{"empty_validity", [](IssueRequest& r) { r.not_after = r.not_before; },
                       ErrorType::kInternal},
        BadRequestCase{"beyond_issuer",
                       [](IssueRequest& r) { r.not_after = r.not_before + days(6 * 366); },
                       ErrorType::kInternal},
        BadRequestCase{"duplicate_identifier",
                       [](IssueRequest& r) { r.identifiers.push_back(Dns("a.example")); },
                       ErrorType::kInternal},
        BadRequestCase{"uppercase_dns", [](IssueRequest& r) { r.identifiers = {Dns("A.example")}; },
                       ErrorType::kRejectedIdentifier},
        BadRequestCase{"empty_label", [](IssueRequest& r) { r.identifiers = {Dns("a..example")}; },
                       ErrorType::kRejectedIdentifier},
        BadRequestCase{"inner_wildcard",
                       [](IssueRequest& r) { r.identifiers = {Dns("a.*.example")}; },
                       ErrorType::kRejectedIdentifier},
        BadRequestCase{"config_injection",
                       [](IssueRequest& r) { r.identifiers = {Dns("a.example,DNS:evil.example")}; },
                       ErrorType::kRejectedIdentifier},
        BadRequestCase{
            "label_64_chars",
            [](IssueRequest& r) { r.identifiers = {Dns(std::string(64, 'a') + ".com")}; },
            ErrorType::kRejectedIdentifier},
        BadRequestCase{"bad_ip", [](IssueRequest& r) { r.identifiers = {Ip("192.0.2")}; },
                       ErrorType::kRejectedIdentifier},
        BadRequestCase{"no_key_usage", [](IssueRequest& r) { r.key_usages.clear(); },
                       ErrorType::kInternal},
        // The test key is EC: key transport does not fit it, and nothing else is asked for.
        BadRequestCase{"no_key_usage_fits_the_key",
                       [](IssueRequest& r) {
                         r.key_usages = {core::KeyUsage::kKeyEncipherment,
                                         core::KeyUsage::kDataEncipherment};
                       },
                       ErrorType::kInternal}),
    [](const ::testing::TestParamInfo<BadRequestCase>& info) { return info.param.name; });

// Built with += : g++ 12 reports a false -Wrestrict for `"literal" + std::string&&` at -O2.
std::string ThreadName(int t) {
  std::string name = "t";
  name += std::to_string(t);
  name += ".example";
  return name;
}

TEST_F(IssuerTest, ConcurrentIssuanceFromEightThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::vector<IssuedCertificate>> results(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      UniquePkey key = GenerateEcKey("P-256").value();
      for (int i = 0; i < kPerThread; ++i) {
        IssueRequest r = Request({Dns(ThreadName(t))});
        r.public_key = key.get();
        auto issued = issuer_->Issue(r);
        if (issued.ok()) {
          results[t].push_back(std::move(issued).value());
        } else {
          ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> serials;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0);
    for (const IssuedCertificate& c : results[t]) {
      serials.insert(c.serial_hex);
      UniqueX509 leaf = testing::ParseDerCert(c.der);
      ASSERT_TRUE(leaf);
      EXPECT_EQ(Verify(leaf.get()), X509_V_OK);
      EXPECT_EQ(testing::SanStrings(leaf.get()),
                (std::vector<std::string>{"DNS:" + ThreadName(t)}));
    }
  }
  EXPECT_EQ(serials.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(IssuerTest, KeySignerSignsCrlsAndOcspResponses) {
  KeySigner signer(ca_->intermediate_key);
  X509* inter = ca_->intermediate_cert.get();

  X509_CRL* crl = X509_CRL_new();
  ASSERT_EQ(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
  ASSERT_EQ(X509_CRL_set_issuer_name(crl, X509_get_subject_name(inter)), 1);
  UniqueAsn1Time now = ToAsn1Time(clock_->Now()).value();
  ASSERT_EQ(X509_CRL_set1_lastUpdate(crl, now.get()), 1);
  ASSERT_TRUE(signer.SignCrl(crl).ok());
  EXPECT_EQ(X509_CRL_verify(crl, X509_get0_pubkey(inter)), 1);
  X509_CRL_free(crl);

  UniqueX509 leaf = IssueOk(Request({Dns("ocsp.example")}));
  ASSERT_TRUE(leaf);
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, leaf.get(), inter);
  ASSERT_NE(
      OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, now.get(), nullptr),
      nullptr);
  ASSERT_TRUE(signer.SignOcspResponse(basic, inter, nullptr, OCSP_RESPID_KEY | OCSP_NOCERTS).ok());
  STACK_OF(X509)* certs = sk_X509_new_null();
  sk_X509_push(certs, inter);
  EXPECT_EQ(OCSP_basic_verify(basic, certs, nullptr, OCSP_NOVERIFY), 1);
  sk_X509_free(certs);
  OCSP_CERTID_free(id);
  OCSP_BASICRESP_free(basic);
  EXPECT_EQ(signer.public_key(), ca_->intermediate_key.get());
}

}  // namespace
}  // namespace flint::ca
