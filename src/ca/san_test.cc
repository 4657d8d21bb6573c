#include "ca/san.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

GENERAL_NAME* Name(int type, const std::string& bytes) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_STRING* s = ASN1_STRING_type_new(type == GEN_IPADD ? V_ASN1_OCTET_STRING : V_ASN1_IA5STRING);
  ASN1_STRING_set(s, bytes.data(), static_cast<int>(bytes.size()));
  GENERAL_NAME_set0_value(gn, type, s);
  return gn;
}

// A certificate carrying only a subjectAltName with `names`, in order.
UniqueX509 CertWithSan(std::vector<GENERAL_NAME*> names) {
  UniqueX509 cert(X509_new());
  GENERAL_NAMES* sans = sk_GENERAL_NAME_new_null();
  for (GENERAL_NAME* n : names) sk_GENERAL_NAME_push(sans, n);
  X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(sans);
  return cert;
}

TEST(SanTest, ReadsDnsLowercasedAndIpCanonicalAndSkipsTheRest) {
  UniqueX509 cert = CertWithSan({
      Name(GEN_DNS, "WWW.Example.COM"),
      Name(GEN_IPADD, std::string("\xc0\x00\x02\x01", 4)),
      Name(GEN_IPADD, std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x01"),
      Name(GEN_URI, "https://example.com/"),
      Name(GEN_DNS, ""),
      Name(GEN_DNS, "bad name"),
      Name(GEN_IPADD, std::string("\x01\x02\x03", 3)),
      Name(GEN_DNS, "last.example"),
  });
  const std::vector<core::Identifier> want = {
      {core::IdentifierType::kDns, "www.example.com"},
      {core::IdentifierType::kIp, "192.0.2.1"},
      {core::IdentifierType::kIp, "2001:db8::1"},
      {core::IdentifierType::kDns, "last.example"},
  };
  EXPECT_EQ(SanIdentifiers(cert.get()), want);
}

TEST(SanTest, NoSubjectAltNameIsEmpty) {
  UniqueX509 cert(X509_new());
  EXPECT_TRUE(SanIdentifiers(cert.get()).empty());
}

TEST(SanTest, ReadSanNameKinds) {
  GENERAL_NAME* uri = Name(GEN_URI, "https://x/");
  EXPECT_EQ(ReadSanName(uri).kind, SanName::Kind::kOther);
  GENERAL_NAME_free(uri);
  GENERAL_NAME* ip = Name(GEN_IPADD, "\x01\x02");
  SanName n = ReadSanName(ip);
  EXPECT_EQ(n.kind, SanName::Kind::kIp);
  EXPECT_EQ(n.value, "");  // not 4 or 16 octets
  GENERAL_NAME_free(ip);
  EXPECT_FALSE(IsPrintableDnsName(""));
  EXPECT_FALSE(IsPrintableDnsName("a\x7f"));
  EXPECT_TRUE(IsPrintableDnsName("*.example.com"));
}

}  // namespace
}  // namespace flint::ca
