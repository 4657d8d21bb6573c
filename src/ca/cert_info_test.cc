#include "ca/cert_info.h"

#include <gtest/gtest.h>

#include "ca/openssl_util.h"
#include "ca/status_test_fixture.h"

namespace flint::ca {
namespace {

TEST(CertInfoTest, ReadsSerialNamesKeyAndFingerprint) {
  testing::StatusTestCa ca;
  UniqueX509 leaf = ca.IssueLeaf("info.example.com");
  std::string der = CertToDer(leaf.get()).value();
  CertificateFacts f = ParseCertificateDer(der).value();
  EXPECT_EQ(f.serial_hex, SerialToHex(X509_get0_serialNumber(leaf.get())).value());
  ASSERT_EQ(f.identifiers.size(), 1u);
  EXPECT_EQ(f.identifiers[0].value, "info.example.com");
  EXPECT_EQ(EVP_PKEY_eq(f.public_key.get(), X509_get0_pubkey(leaf.get())), 1);
  EXPECT_EQ(f.spki_sha256, SpkiSha256Hex(X509_get0_pubkey(leaf.get())).value());
  EXPECT_EQ(f.spki_sha256.size(), 64u);
  // The fingerprint is of the public key only: the private key object gives the same value.
  UniquePkey key = GenerateEcKey("P-256").value();
  UniquePkey pub(EVP_PKEY_dup(key.get()));
  EXPECT_EQ(SpkiSha256Hex(key.get()).value(), SpkiSha256Hex(pub.get()).value());
}

TEST(CertInfoTest, RefusesWhatIsNotOneCertificate) {
  testing::StatusTestCa ca;
  std::string der = CertToDer(ca.intermediate()).value();
  for (const std::string& bad : {std::string(), std::string("junk"), der + "x",
                                 der.substr(0, der.size() - 1), std::string(20000, '\x30')}) {
    auto r = ParseCertificateDer(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, core::ErrorType::kMalformed) << r.error().detail;
  }
}

}  // namespace
}  // namespace flint::ca
