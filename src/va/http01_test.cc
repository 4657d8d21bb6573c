// http-01 (RFC 8555 §8.3) against a real loopback HTTP server.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "va/challenges.h"
#include "va/fake_resolver.h"
#include "va/test_servers.h"
#include "va/validator.h"

namespace flint::va {
namespace {

using core::ErrorType;
using testing::HttpReply;
using testing::HttpRequest;
using testing::LoopbackHttpServer;

constexpr char kToken[] = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
constexpr char kKeyAuth[] =
    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
const std::string kPath = std::string("/.well-known/acme-challenge/") + kToken;

core::Identifier Dns(std::string name) { return {core::IdentifierType::kDns, std::move(name)}; }
core::Identifier Ip(std::string ip) { return {core::IdentifierType::kIp, std::move(ip)}; }

class Http01Test : public ::testing::Test {
 protected:
  Http01Test() { resolver_.SetIp("example.test", {"127.0.0.1"}); }

  VaOptions Options(uint16_t port) {
    VaOptions options;
    options.http01_port = port;
    options.allow_private_targets = true;
    options.timeout = std::chrono::milliseconds(5000);
    return options;
  }

  core::Result<void> Validate(const VaOptions& options, const core::Identifier& id,
                              const std::string& token = kToken) {
    ValidationAuthority va(options, resolver_);
    return va.Validate(id, core::ChallengeType::kHttp01, token, kKeyAuth);
  }

  FakeResolver resolver_;
};

ErrorType TypeOf(const core::Result<void>& r) { return r.error().type; }

TEST_F(Http01Test, CorrectBodyWithTrailingNewlineValidates) {
  LoopbackHttpServer server([](const HttpRequest& req) {
    return req.target == kPath ? HttpReply(200, std::string(kKeyAuth) + "\r\n")
                               : HttpReply(404, "");
  });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, kPath);
  EXPECT_EQ(server.requests()[0].host, "example.test:" + std::to_string(server.port()));
}

TEST_F(Http01Test, WildcardPrefixAndCaseAreNormalized) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, kKeyAuth); });
  auto result = Validate(Options(server.port()), Dns("*.Example.TEST"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(server.requests()[0].host, "example.test:" + std::to_string(server.port()));
}

TEST_F(Http01Test, ChunkedBodyValidates) {
  std::string ka = kKeyAuth;
  LoopbackHttpServer server([&](const HttpRequest&) {
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string("a\r\n") + ka.substr(0, 10) + "\r\n" +
           (std::stringstream() << std::hex << ka.size() - 10).str() + "\r\n" + ka.substr(10) +
           "\r\n0\r\n\r\n";
  });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  EXPECT_TRUE(result.ok()) << result.error().detail;
}

TEST_F(Http01Test, IpIdentifierUsesTheLiteralAsHost) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, kKeyAuth); });
  auto result = Validate(Options(server.port()), Ip("127.0.0.1"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(server.requests()[0].host, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_TRUE(resolver_.queries().empty());
}

TEST_F(Http01Test, WrongBodyIsIncorrectResponse) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, "nope"); });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kIncorrectResponse);
  EXPECT_NE(result.error().detail.find("got \"nope\""), std::string::npos)
      << result.error().detail;
}

TEST_F(Http01Test, OversizedBodyIsIncorrectResponseWithTruncatedDetail) {
  LoopbackHttpServer server(
      [](const HttpRequest&) { return HttpReply(200, std::string(200 * 1024, 'x')); });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kIncorrectResponse);
  EXPECT_LT(result.error().detail.size(), 400u);
}

TEST_F(Http01Test, NotFoundIsUnauthorized) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(404, "not found"); });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kUnauthorized);
}

// Serves /r<N> -> /r<N+1> redirects; /r<final> answers the key authorization.
std::string RedirectChain(const HttpRequest& req, int final_hop) {
  if (req.target == kPath) return HttpReply(302, "", "Location: /r1\r\n");
  int hop = std::stoi(req.target.substr(2));
  if (hop >= final_hop) return HttpReply(200, kKeyAuth);
  return HttpReply(301, "", "Location: /r" + std::to_string(hop + 1) + "\r\n");
}

TEST_F(Http01Test, TenRedirectsAreFollowed) {
  LoopbackHttpServer server([](const HttpRequest& req) { return RedirectChain(req, 10); });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(server.requests().size(), 11u);
}

TEST_F(Http01Test, ElevenRedirectsAreRefused) {
  LoopbackHttpServer server([](const HttpRequest& req) { return RedirectChain(req, 11); });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection);
  EXPECT_NE(result.error().detail.find("too many redirects"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 11u);
}

TEST_F(Http01Test, RedirectLoopIsRefused) {
  LoopbackHttpServer server([](const HttpRequest& req) {
    return HttpReply(302, "", req.target == "/a" ? "Location: /b\r\n" : "Location: /a\r\n");
  });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection);
  EXPECT_NE(result.error().detail.find("loop"), std::string::npos);
}

struct BadRedirect {
  const char* name;
  const char* location;
};

class Http01BadRedirectTest : public Http01Test,
                              public ::testing::WithParamInterface<BadRedirect> {};

TEST_P(Http01BadRedirectTest, IsConnectionError) {
  std::string location = GetParam().location;
  LoopbackHttpServer server([&](const HttpRequest&) {
    return HttpReply(302, "", "Location: " + location + "\r\n");
  });
  auto result = Validate(Options(server.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection) << result.error().detail;
  EXPECT_EQ(server.requests().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Http01BadRedirectTest,
    ::testing::Values(BadRedirect{"unconfigured_port", "http://example.test:8080/x"},
                      BadRedirect{"ftp_scheme", "ftp://example.test/x"},
                      BadRedirect{"file_scheme", "file:///etc/passwd"},
                      BadRedirect{"https_odd_port", "https://example.test:8443/x"},
                      BadRedirect{"bad_host", "http://exa mple.test/"},
                      BadRedirect{"no_location", ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(Http01Test, RedirectToHttpsIsFollowedWithoutCertificateCheck) {
  testing::TestCert cert;
  testing::CertSpec spec;
  spec.dns_names = {"other.test"};
  spec.with_acme_identifier = false;
  testing::MakeTestCert(spec, &cert);
  testing::TlsServerConfig config;
  config.cert = cert.cert;
  config.key = cert.key;
  config.offer_acme_tls = false;
  config.http = [](const HttpRequest&) { return HttpReply(200, kKeyAuth); };
  testing::LoopbackTlsServer tls(config);
  LoopbackHttpServer server([&](const HttpRequest&) {
    return HttpReply(302, "", "Location: https://secure.example.test:" +
                                  std::to_string(tls.port()) + "/ok\r\n");
  });
  resolver_.SetIp("secure.example.test", {"127.0.0.1"});
  VaOptions options = Options(server.port());
  options.tlsalpn01_port = tls.port();
  auto result = Validate(options, Dns("example.test"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  ASSERT_EQ(tls.requests().size(), 1u);
  EXPECT_EQ(tls.requests()[0].target, "/ok");
  EXPECT_EQ(tls.requests()[0].host, "secure.example.test:" + std::to_string(tls.port()));
  EXPECT_EQ(tls.server_names(), std::vector<std::string>{"secure.example.test"});
}

TEST_F(Http01Test, FallsBackFromIpv6ToIpv4) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, kKeyAuth); });
  // Nothing listens on [::1]:port (the server binds 127.0.0.1 only).
  resolver_.SetIp("dual.example.test", {"127.0.0.1", "::1"});
  auto result = Validate(Options(server.port()), Dns("dual.example.test"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
}

// A port with a bound but not listening socket: connecting to it is refused.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
};

TEST_F(Http01Test, ConnectionRefusedIsConnectionError) {
  ClosedPort closed;
  auto result = Validate(Options(closed.port()), Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection);
  EXPECT_NE(result.error().detail.find("refused"), std::string::npos) << result.error().detail;
}

TEST_F(Http01Test, Ipv6IdentifierIsBracketedInTheUrl) {
  ClosedPort closed;
  auto result = Validate(Options(closed.port()), Ip("0:0::1"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection);
  EXPECT_EQ(result.error().detail.rfind("Fetching http://[::1]:" + std::to_string(closed.port()) +
                                            "/.well-known/acme-challenge/",
                                        0),
            0u)
      << result.error().detail;
}

TEST_F(Http01Test, ServerThatNeverAnswersTimesOut) {
  LoopbackHttpServer server([](const HttpRequest&) { return std::string(); });
  VaOptions options = Options(server.port());
  options.timeout = std::chrono::milliseconds(300);
  auto result = Validate(options, Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection);
  EXPECT_NE(result.error().detail.find("timed out"), std::string::npos) << result.error().detail;
}

TEST_F(Http01Test, PrivateAddressIsRefusedUnlessAllowed) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpReply(200, kKeyAuth); });
  VaOptions options = Options(server.port());
  options.allow_private_targets = false;
  auto result = Validate(options, Dns("example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kConnection);
  EXPECT_NE(result.error().detail.find("not a public address: 127.0.0.1"), std::string::npos)
      << result.error().detail;
  auto ip_result = Validate(options, Ip("127.0.0.1"));
  ASSERT_FALSE(ip_result.ok());
  EXPECT_EQ(TypeOf(ip_result), ErrorType::kConnection);
  EXPECT_TRUE(server.requests().empty());
}

// Every hop (the first and each redirect) goes through ResolveTargets, which applies the policy.
TEST(ResolveTargetsTest, KeepsOnlyPublicAddressesUnlessPrivateAllowed) {
  FakeResolver resolver;
  resolver.SetIp("mixed.test", {"10.0.0.1", "8.8.8.8", "::1", "2606:4700::1111"});
  resolver.SetIp("private.test", {"10.0.0.1", "fd00::1"});
  VaOptions options;
  auto mixed = internal::ResolveTargets(options, resolver, "mixed.test", false);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(*mixed, (std::vector<std::string>{"8.8.8.8", "2606:4700::1111"}));
  auto refused = internal::ResolveTargets(options, resolver, "private.test", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().type, ErrorType::kConnection);
  EXPECT_EQ(refused.error().detail,
            "refusing to connect to private.test: not a public address: 10.0.0.1, fd00::1");
  auto literal = internal::ResolveTargets(options, resolver, "169.254.169.254", true);
  ASSERT_FALSE(literal.ok());
  EXPECT_EQ(literal.error().type, ErrorType::kConnection);
  options.allow_private_targets = true;
  auto allowed = internal::ResolveTargets(options, resolver, "private.test", false);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->size(), 2u);
}

TEST_F(Http01Test, NoAddressesIsDnsError) {
  auto result = Validate(Options(80), Dns("missing.example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kDns);
}

TEST_F(Http01Test, LookupFailureIsDnsError) {
  resolver_.SetError("broken.example.test", core::Err(ErrorType::kDns, "SERVFAIL"));
  auto result = Validate(Options(80), Dns("broken.example.test"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kDns);
}

TEST_F(Http01Test, TokenThatIsNotBase64UrlIsMalformed) {
  auto result = Validate(Options(80), Dns("example.test"), "abc/../x");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kMalformed);
}

TEST_F(Http01Test, InvalidIdentifierIsMalformed) {
  auto result = Validate(Options(80), Dns("example.test\r\nX-Injected: 1"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(TypeOf(result), ErrorType::kMalformed);
}

}  // namespace
}  // namespace flint::va
