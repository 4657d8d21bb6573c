// Resolver: rdata parsers, and UnboundResolver against a real DNS server (pebble-challtestsrv).

#include "va/resolver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

#include "va/challenges.h"
#include "va/validator.h"

namespace flint::va {
namespace {

using core::ErrorType;
using namespace std::string_literals;

TEST(ParseTxtRdataTest, ConcatenatesCharacterStrings) {
  auto one = ParseTxtRdata("\x05hello"s);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, "hello");
  auto two = ParseTxtRdata("\x03"s + "abc" + "\x00"s + "\x02" + "de");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, "abcde");
}

TEST(ParseTxtRdataTest, RejectsTruncatedOrEmpty) {
  for (const std::string& bad : {""s, "\x05hell"s, "\x01"s + "a" + "\x02" + "b"}) {
    auto r = ParseTxtRdata(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, ErrorType::kDns);
  }
}

TEST(ParseCaaRdataTest, ParsesFlagsTagAndValue) {
  auto r = ParseCaaRdata("\x80\x05issueflint.test; accounturi=x"s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, 128);
  EXPECT_EQ(r->tag, "issue");
  EXPECT_EQ(r->value, "flint.test; accounturi=x");
  auto empty_value = ParseCaaRdata("\x00\x09issuewild"s);
  ASSERT_TRUE(empty_value.ok());
  EXPECT_EQ(empty_value->tag, "issuewild");
  EXPECT_EQ(empty_value->value, "");
}

TEST(ParseCaaRdataTest, RejectsMalformed) {
  for (const std::string& bad :
       {""s, "\x00"s, "\x00\x00"s, "\x00\x06issue"s, "\x00\x05is-ueflint.test"s}) {
    auto r = ParseCaaRdata(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, ErrorType::kDns);
  }
}

constexpr char kChallTestSrv[] = "/usr/bin/pebble-challtestsrv";

bool PortFree(uint16_t port, int type) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

int ConnectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Runs pebble-challtestsrv as a child process: mock DNS on 127.0.0.1:dns_port(), management API
// on 127.0.0.1:management_port(). Ports are picked at random below 32768 (STACK.md pitfall 11).
class ChallTestSrv {
 public:
  bool Start() {
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> dist(20000, 30000);
    for (int attempt = 0; attempt < 10; ++attempt) {
      dns_port_ = static_cast<uint16_t>(dist(rng));
      management_port_ = static_cast<uint16_t>(dist(rng));
      if (dns_port_ == management_port_ || !PortFree(dns_port_, SOCK_STREAM) ||
          !PortFree(dns_port_, SOCK_DGRAM) || !PortFree(management_port_, SOCK_STREAM)) {
        continue;
      }
      if (Spawn() && WaitReady()) return true;
      Stop();
    }
    return false;
  }

  ~ChallTestSrv() { Stop(); }

  uint16_t dns_port() const { return dns_port_; }

  // POSTs `json` to the management API; true on HTTP 200.
  bool Post(const std::string& path, const std::string& json) {
    int fd = ConnectLoopback(management_port_);
    if (fd < 0) return false;
    std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(json.size()) + "\r\nConnection: close\r\n\r\n" + json;
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    char buf[1024];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<size_t>(n));
    close(fd);
    return response.rfind("HTTP/1.1 200", 0) == 0;
  }

 private:
  bool Spawn() {
    std::string dns = "127.0.0.1:" + std::to_string(dns_port_);
    std::string management = "127.0.0.1:" + std::to_string(management_port_);
    pid_ = fork();
    if (pid_ == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(kChallTestSrv, kChallTestSrv, "-dns01", dns.c_str(), "-http01", "", "-https01", "",
            "-tlsalpn01", "", "-management", management.c_str(), "-defaultIPv4", "127.0.0.1",
            "-defaultIPv6", "", static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid_ > 0;
  }

  // Polls until the management port accepts (the DNS listeners start before it).
  bool WaitReady() {
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      int fd = ConnectLoopback(management_port_);
      if (fd >= 0) {
        close(fd);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  pid_t pid_ = -1;
  uint16_t dns_port_ = 0;
  uint16_t management_port_ = 0;
};

class UnboundResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kChallTestSrv, X_OK) != 0) {
      GTEST_SKIP() << kChallTestSrv << " is not installed (Debian package pebble)";
    }
    ASSERT_TRUE(server_.Start()) << "pebble-challtestsrv did not start";
    auto resolver =
        UnboundResolver::Create("127.0.0.1:" + std::to_string(server_.dns_port()));
    ASSERT_TRUE(resolver.ok()) << resolver.error().detail;
    resolver_ = std::move(resolver).value();
  }

  ChallTestSrv server_;
  std::unique_ptr<UnboundResolver> resolver_;
};

TEST_F(UnboundResolverTest, LookupTxtReturnsRecord) {
  ASSERT_TRUE(server_.Post("/set-txt",
                           R"({"host":"_acme-challenge.txt.example.test.","value":"hello txt"})"));
  auto txt = resolver_->LookupTxt("_acme-challenge.txt.example.test");
  ASSERT_TRUE(txt.ok()) << txt.error().detail;
  EXPECT_EQ(*txt, std::vector<std::string>{"hello txt"});
}

TEST_F(UnboundResolverTest, LookupTxtFollowsCname) {
  ASSERT_TRUE(server_.Post("/set-txt", R"({"host":"real.example.test.","value":"via cname"})"));
  ASSERT_TRUE(server_.Post("/set-cname",
                           R"({"host":"alias.example.test.","target":"real.example.test."})"));
  auto txt = resolver_->LookupTxt("alias.example.test");
  ASSERT_TRUE(txt.ok()) << txt.error().detail;
  EXPECT_EQ(*txt, std::vector<std::string>{"via cname"});
}

TEST_F(UnboundResolverTest, LookupTxtWithoutRecordsIsEmpty) {
  auto txt = resolver_->LookupTxt("_acme-challenge.none.example.test");
  ASSERT_TRUE(txt.ok()) << txt.error().detail;
  EXPECT_TRUE(txt->empty());
}

TEST_F(UnboundResolverTest, LookupIpReturnsDefaultAddress) {
  auto ips = resolver_->LookupIp("anything.example.test");
  ASSERT_TRUE(ips.ok()) << ips.error().detail;
  EXPECT_EQ(*ips, std::vector<std::string>{"127.0.0.1"});
}

TEST_F(UnboundResolverTest, LookupIpReturnsIpv4ThenIpv6) {
  ASSERT_TRUE(server_.Post(
      "/add-a", R"({"host":"multi.example.test.","addresses":["192.0.2.1","192.0.2.2"]})"));
  ASSERT_TRUE(server_.Post("/add-aaaa",
                           R"({"host":"multi.example.test.","addresses":["2001:DB8::1"]})"));
  auto ips = resolver_->LookupIp("multi.example.test");
  ASSERT_TRUE(ips.ok()) << ips.error().detail;
  ASSERT_EQ(ips->size(), 3u);
  EXPECT_EQ((*ips)[2], "2001:db8::1");
  EXPECT_TRUE(((*ips)[0] == "192.0.2.1" && (*ips)[1] == "192.0.2.2") ||
              ((*ips)[0] == "192.0.2.2" && (*ips)[1] == "192.0.2.1"));
}

TEST_F(UnboundResolverTest, LookupCaaParsesRecords) {
  ASSERT_TRUE(server_.Post(
      "/add-caa",
      R"({"host":"caa.example.test.",)"
      R"("policies":[{"tag":"issue","value":"flint.test; accounturi=https://a/1"}]})"));
  auto caa = resolver_->LookupCaa("caa.example.test");
  ASSERT_TRUE(caa.ok()) << caa.error().detail;
  ASSERT_EQ(caa->records.size(), 1u);
  EXPECT_EQ(caa->records[0], (CaaRecord{0, "issue", "flint.test; accounturi=https://a/1"}));
  auto none = resolver_->LookupCaa("nocaa.example.test");
  ASSERT_TRUE(none.ok()) << none.error().detail;
  EXPECT_TRUE(none->records.empty());
}

TEST_F(UnboundResolverTest, ConcurrentLookupsFromManyThreads) {
  ASSERT_TRUE(server_.Post("/set-txt", R"({"host":"concurrent.example.test.","value":"v"})"));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto txt = resolver_->LookupTxt("concurrent.example.test");
        auto ips = resolver_->LookupIp("host" + std::to_string(t * 100 + i) + ".example.test");
        if (!txt.ok() || *txt != std::vector<std::string>{"v"} || !ips.ok() ||
            *ips != std::vector<std::string>{"127.0.0.1"}) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(UnboundResolverTest, ServfailIsDnsError) {
  ASSERT_TRUE(server_.Post("/set-servfail", R"({"host":"broken.example.test."})"));
  auto txt = resolver_->LookupTxt("broken.example.test");
  ASSERT_FALSE(txt.ok());
  EXPECT_EQ(txt.error().type, ErrorType::kDns);
  auto caa = resolver_->LookupCaa("broken.example.test");
  ASSERT_FALSE(caa.ok());
  EXPECT_EQ(caa.error().type, ErrorType::kDns);
}

TEST_F(UnboundResolverTest, Dns01ValidatesThroughRealDns) {
  const std::string key_auth = "token-abc.thumbprint-xyz";
  const std::string digest = internal::Base64Url(internal::Sha256(key_auth));
  ASSERT_TRUE(server_.Post(
      "/set-txt",
      R"({"host":"_acme-challenge.dns01.example.test.","value":")" + digest + R"("})"));
  VaOptions options;
  ValidationAuthority va(options, *resolver_);
  auto ok = va.Validate({core::IdentifierType::kDns, "dns01.example.test"},
                        core::ChallengeType::kDns01, "token-abc", key_auth);
  EXPECT_TRUE(ok.ok()) << ok.error().detail;
  auto wrong = va.Validate({core::IdentifierType::kDns, "dns01.example.test"},
                           core::ChallengeType::kDns01, "token-abc", "other.key-auth");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().type, ErrorType::kIncorrectResponse);
  auto missing = va.Validate({core::IdentifierType::kDns, "nodns01.example.test"},
                             core::ChallengeType::kDns01, "token-abc", key_auth);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().type, ErrorType::kUnauthorized);
}

TEST_F(UnboundResolverTest, CheckCaaClimbsThroughRealDns) {
  ASSERT_TRUE(server_.Post(
      "/add-caa",
      R"({"host":"climb.example.test.","policies":[{"tag":"issue","value":"flint.test"}]})"));
  VaOptions options;
  options.caa_identities = {"flint.test"};
  ValidationAuthority va(options, *resolver_);
  auto ok = va.CheckCaa({core::IdentifierType::kDns, "www.sub.climb.example.test"}, false,
                        "https://flint.test/acct/1", core::ChallengeType::kHttp01);
  EXPECT_TRUE(ok.ok()) << ok.error().detail;
  options.caa_identities = {"other-ca.test"};
  ValidationAuthority other(options, *resolver_);
  auto refused = other.CheckCaa({core::IdentifierType::kDns, "www.sub.climb.example.test"}, false,
                                "https://flint.test/acct/1", core::ChallengeType::kHttp01);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().type, ErrorType::kCaa);
}

TEST(UnboundResolverTimeoutTest, SilentServerIsDnsTimeout) {
  // A UDP socket that never answers: every query must end at the resolver's own timeout.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto resolver = UnboundResolver::Create("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                          std::chrono::milliseconds(300));
  ASSERT_TRUE(resolver.ok()) << resolver.error().detail;
  auto txt = (*resolver)->LookupTxt("silent.example.test");
  ASSERT_FALSE(txt.ok());
  EXPECT_EQ(txt.error().type, ErrorType::kDns);
  EXPECT_NE(txt.error().detail.find("timed out"), std::string::npos) << txt.error().detail;
  auto ips = (*resolver)->LookupIp("silent.example.test");
  ASSERT_FALSE(ips.ok());
  EXPECT_EQ(ips.error().type, ErrorType::kDns);
  resolver->reset();  // destroys the context while queries are still outstanding
  close(fd);
}

TEST(UnboundResolverCreateTest, RejectsBadForwarders) {
  for (const char* bad : {"dns.example.test:53", "127.0.0.1:0", "127.0.0.1:99999", "[::1",
                          "127.0.0.1:x"}) {
    auto r = UnboundResolver::Create(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().type, ErrorType::kInternal);
  }
  EXPECT_TRUE(UnboundResolver::Create("[::1]:5353").ok());
  EXPECT_TRUE(UnboundResolver::Create("127.0.0.1").ok());
}

}  // namespace
}  // namespace flint::va
