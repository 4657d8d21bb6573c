// tls-alpn-01 (RFC 8737, RFC 8738 §6) against a real loopback TLS server.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "va/fake_resolver.h"
#include "va/test_servers.h"
#include "va/validator.h"

namespace flint::va {
namespace {

using core::ErrorType;
using testing::CertSpec;
using testing::LoopbackTlsServer;
using testing::TestCert;

constexpr char kKeyAuth[] =
    "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

CertSpec GoodDnsCert() {
  CertSpec spec;
  spec.dns_names = {"example.test"};
  spec.acme_identifier_der = testing::AcmeIdentifierValue(kKeyAuth);
  return spec;
}

testing::TlsServerConfig ServerConfig(const TestCert& cert, bool offer_acme_tls = true) {
  testing::TlsServerConfig config;
  config.cert = cert.cert;
  config.key = cert.key;
  config.offer_acme_tls = offer_acme_tls;
  return config;
}

struct Case {
  const char* name;
  CertSpec spec;
  bool offer_acme_tls;
  bool ok;
  ErrorType type;  // when !ok
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back({"ok", GoodDnsCert(), true, true, ErrorType::kInternal});
  CertSpec upper = GoodDnsCert();
  upper.dns_names = {"EXAMPLE.test"};
  cases.push_back({"ok_san_case_insensitive", upper, true, true, ErrorType::kInternal});
  CertSpec wrong_digest = GoodDnsCert();
  wrong_digest.acme_identifier_der = testing::AcmeIdentifierValue("other key authorization");
  cases.push_back({"wrong_digest", wrong_digest, true, false, ErrorType::kIncorrectResponse});
  CertSpec not_critical = GoodDnsCert();
  not_critical.acme_identifier_critical = false;
  cases.push_back({"extension_not_critical", not_critical, true, false, ErrorType::kUnauthorized});
  CertSpec missing = GoodDnsCert();
  missing.with_acme_identifier = false;
  cases.push_back({"extension_missing", missing, true, false, ErrorType::kUnauthorized});
  CertSpec raw_digest = GoodDnsCert();  // digest not wrapped in an OCTET STRING
  raw_digest.acme_identifier_der = raw_digest.acme_identifier_der.substr(2);
  cases.push_back({"extension_not_octet_string", raw_digest, true, false,
                   ErrorType::kUnauthorized});
  CertSpec two_sans = GoodDnsCert();
  two_sans.dns_names = {"example.test", "www.example.test"};
  cases.push_back({"two_sans", two_sans, true, false, ErrorType::kUnauthorized});
  CertSpec other_san = GoodDnsCert();
  other_san.dns_names = {"other.test"};
  cases.push_back({"other_san", other_san, true, false, ErrorType::kUnauthorized});
  CertSpec ip_san = GoodDnsCert();
  ip_san.dns_names = {};
  ip_san.ips = {"127.0.0.1"};
  cases.push_back({"ip_san_for_dns_identifier", ip_san, true, false, ErrorType::kUnauthorized});
  CertSpec no_san = GoodDnsCert();
  no_san.dns_names = {};
  cases.push_back({"no_san", no_san, true, false, ErrorType::kUnauthorized});
  cases.push_back({"no_alpn", GoodDnsCert(), false, false, ErrorType::kTls});
  return cases;
}

class TlsAlpn01Test : public ::testing::TestWithParam<Case> {};

TEST_P(TlsAlpn01Test, ChecksCertificateAndProtocol) {
  const Case& c = GetParam();
  TestCert cert;
  testing::MakeTestCert(c.spec, &cert);
  LoopbackTlsServer server(ServerConfig(cert, c.offer_acme_tls));
  FakeResolver resolver;
  resolver.SetIp("example.test", {"127.0.0.1"});
  VaOptions options;
  options.allow_private_targets = true;
  options.tlsalpn01_port = server.port();
  ValidationAuthority va(options, resolver);
  auto result = va.Validate({core::IdentifierType::kDns, "example.test"},
                            core::ChallengeType::kTlsAlpn01, "token", kKeyAuth);
  if (c.ok) {
    EXPECT_TRUE(result.ok()) << result.error().detail;
  } else {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().type, c.type) << result.error().detail;
  }
  EXPECT_EQ(server.server_names(), std::vector<std::string>{"example.test"});
}

INSTANTIATE_TEST_SUITE_P(Table, TlsAlpn01Test, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TlsAlpn01IpTest, IpIdentifierUsesReverseNameSniAndIpAddressSan) {
  CertSpec spec;
  spec.ips = {"127.0.0.1"};
  spec.acme_identifier_der = testing::AcmeIdentifierValue(kKeyAuth);
  TestCert cert;
  testing::MakeTestCert(spec, &cert);
  LoopbackTlsServer server(ServerConfig(cert));
  FakeResolver resolver;
  VaOptions options;
  options.allow_private_targets = true;
  options.tlsalpn01_port = server.port();
  ValidationAuthority va(options, resolver);
  auto result = va.Validate({core::IdentifierType::kIp, "127.0.0.1"},
                            core::ChallengeType::kTlsAlpn01, "token", kKeyAuth);
  EXPECT_TRUE(result.ok()) << result.error().detail;
  // RFC 8738 §6: the SNI is the reverse-mapping name of the address.
  EXPECT_EQ(server.server_names(), std::vector<std::string>{"1.0.0.127.in-addr.arpa"});
}

TEST(TlsAlpn01IpTest, DnsSanForIpIdentifierIsUnauthorized) {
  CertSpec spec;
  spec.dns_names = {"127.0.0.1"};
  spec.acme_identifier_der = testing::AcmeIdentifierValue(kKeyAuth);
  TestCert cert;
  testing::MakeTestCert(spec, &cert);
  LoopbackTlsServer server(ServerConfig(cert));
  FakeResolver resolver;
  VaOptions options;
  options.allow_private_targets = true;
  options.tlsalpn01_port = server.port();
  ValidationAuthority va(options, resolver);
  auto result = va.Validate({core::IdentifierType::kIp, "127.0.0.1"},
                            core::ChallengeType::kTlsAlpn01, "token", kKeyAuth);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kUnauthorized);
}

TEST(TlsAlpn01ConnectTest, PlainTcpServerIsTlsError) {
  // Answers every connection with plain HTTP bytes, whatever the client sent.
  testing::LoopbackListener server;
  server.Start([](int fd) {
    std::string reply = testing::HttpReply(400, "not TLS");
    (void)!send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  });
  FakeResolver resolver;
  resolver.SetIp("example.test", {"127.0.0.1"});
  VaOptions options;
  options.allow_private_targets = true;
  options.tlsalpn01_port = server.port();
  ValidationAuthority va(options, resolver);
  auto result = va.Validate({core::IdentifierType::kDns, "example.test"},
                            core::ChallengeType::kTlsAlpn01, "token", kKeyAuth);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kTls) << result.error().detail;
}

TEST(TlsAlpn01ConnectTest, PrivateAddressIsRefusedUnlessAllowed) {
  TestCert cert;
  testing::MakeTestCert(GoodDnsCert(), &cert);
  LoopbackTlsServer server(ServerConfig(cert));
  FakeResolver resolver;
  resolver.SetIp("example.test", {"127.0.0.1"});
  VaOptions options;
  options.tlsalpn01_port = server.port();
  ValidationAuthority va(options, resolver);
  auto result = va.Validate({core::IdentifierType::kDns, "example.test"},
                            core::ChallengeType::kTlsAlpn01, "token", kKeyAuth);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kConnection);
  EXPECT_TRUE(server.server_names().empty());
}

}  // namespace
}  // namespace flint::va
