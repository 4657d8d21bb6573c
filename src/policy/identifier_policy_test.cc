#include "policy/identifier_policy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace flint::policy {
namespace {

using core::ChallengeType;
using core::ErrorType;
using core::Identifier;
using core::IdentifierType;

Identifier Dns(std::string v) { return {IdentifierType::kDns, std::move(v)}; }
Identifier Ip(std::string v) { return {IdentifierType::kIp, std::move(v)}; }

std::string Show(const Identifier& id) {
  return std::string(id.type == IdentifierType::kDns ? "dns:" : "ip:") + id.value;
}

// One identifier through CheckOrder: either accepted as `want_value`, or refused with exactly
// one subproblem of `want_type` that names the identifier.
struct SingleCase {
  std::string name;
  Identifier id;
  bool ok;
  ErrorType want_type = ErrorType::kRejectedIdentifier;
  std::string want_value = "";  // when ok; empty means unchanged
};

void RunSingleCases(const IdentifierPolicy& policy, const std::vector<SingleCase>& cases) {
  for (const SingleCase& c : cases) {
    SCOPED_TRACE(c.name + " " + Show(c.id));
    auto result = policy.CheckOrder({c.id});
    if (c.ok) {
      ASSERT_TRUE(result.ok()) << result.error().detail;
      ASSERT_EQ(result->size(), 1u);
      EXPECT_EQ((*result)[0].type, c.id.type);
      EXPECT_EQ((*result)[0].value, c.want_value.empty() ? c.id.value : c.want_value);
      continue;
    }
    ASSERT_FALSE(result.ok());
    const core::Error& e = result.error();
    EXPECT_EQ(e.type, c.want_type) << e.detail;
    ASSERT_EQ(e.subproblems.size(), 1u);
    EXPECT_EQ(e.subproblems[0].type, c.want_type);
    EXPECT_EQ(e.subproblems[0].detail, e.detail);
    EXPECT_EQ(e.subproblems[0].identifier_value, c.id.value);
    EXPECT_FALSE(e.detail.empty());
    // The detail names the identifier (quoted, so only when no byte needed escaping).
    const bool printable =
        std::all_of(c.id.value.begin(), c.id.value.end(),
                    [](char ch) { return ch >= 0x20 && ch < 0x7F && ch != '"' && ch != '\\'; });
    if (!c.id.value.empty() && printable && c.id.value.size() < 200) {
      EXPECT_NE(e.detail.find(c.id.value), std::string::npos) << e.detail;
    }
  }
}

const std::string kLabel63(63, 'a');

TEST(IdentifierPolicyTest, DnsNames) {
  const std::string name_253 = kLabel63 + "." + kLabel63 + "." + kLabel63 + "." +
                               std::string(57, 'b') + ".com";  // 3 * (63 + 1) + 57 + 4
  ASSERT_EQ(name_253.size(), 253u);
  const std::vector<SingleCase> cases = {
      {"ok/simple", Dns("example.com"), true},
      {"ok/subdomain", Dns("www.example.com"), true},
      {"ok/wildcard", Dns("*.example.com"), true},
      {"ok/idn-label", Dns("xn--mnchen-3ya.de"), true},
      {"ok/idn-tld", Dns("example.xn--p1ai"), true},
      {"ok/hyphen-inside", Dns("my-host.example.com"), true},
      {"ok/numeric-label-not-tld", Dns("1.2.3.example.com"), true},
      {"ok/label-63", Dns(kLabel63 + ".com"), true},
      {"ok/name-253", Dns(name_253), true},
      {"fail/empty", Dns(""), false},
      {"fail/uppercase", Dns("Example.com"), false},
      {"fail/uppercase-xn", Dns("XN--mnchen-3ya.de"), false},
      {"fail/trailing-dot", Dns("example.com."), false},
      {"fail/leading-dot", Dns(".example.com"), false},
      {"fail/empty-label", Dns("example..com"), false},
      {"fail/single-label", Dns("localhost"), false},
      {"fail/tld-only", Dns("com"), false},
      {"fail/label-64", Dns(kLabel63 + "a.com"), false},
      {"fail/name-254", Dns("a" + name_253), false},
      {"fail/leading-hyphen", Dns("-foo.example.com"), false},
      {"fail/trailing-hyphen", Dns("foo-.example.com"), false},
      {"fail/underscore", Dns("_acme.example.com"), false},
      {"fail/space", Dns("exa mple.com"), false},
      {"fail/nul-byte", Dns(std::string("example.com\0.evil", 17)), false},
      {"fail/raw-utf8", Dns("m\xC3\xBCnchen.de"), false},
      {"fail/reserved-hyphens", Dns("ab--cd.example.com"), false},
      {"fail/xn-empty", Dns("xn--.example.com"), false},
      {"fail/xn-ascii-only", Dns("xn--abc-.example.com"), false},
      {"fail/xn-not-punycode", Dns("xn--99999999999999999999.com"), false},
      {"fail/xn-disallowed", Dns("xn--ls8h.example.com"), false},  // U+1F4A9
      {"fail/wildcard-not-leftmost", Dns("www.*.example.com"), false},
      {"fail/wildcard-partial-label", Dns("w*.example.com"), false},
      {"fail/wildcard-double", Dns("*.*.example.com"), false},
      {"fail/wildcard-bare", Dns("*"), false},
      {"fail/wildcard-dot-only", Dns("*."), false},
      {"fail/wildcard-of-tld", Dns("*.com"), false},
      {"fail/wildcard-uppercase", Dns("*.Example.com"), false},
      {"fail/ipv4-as-dns", Dns("192.168.1.1"), false},
      {"fail/ipv6-as-dns", Dns("2001:db8::1"), false},
      {"fail/numeric-tld", Dns("example.123"), false},
      {"fail/numeric-tld-wildcard", Dns("*.10.0.0.1"), false},
  };
  RunSingleCases(IdentifierPolicy(IdentifierPolicyOptions{}), cases);
}

// Syntax, with non-public addresses allowed (as under --allow-private-targets).
TEST(IdentifierPolicyTest, IpAddresses) {
  IdentifierPolicyOptions options;
  options.allow_private_ips = true;
  const std::vector<SingleCase> cases = {
      {"ok/ipv4", Ip("192.0.2.1"), true},
      {"ok/ipv6", Ip("2001:db8::1"), true},
      {"ok/ipv6-canonicalized", Ip("2001:DB8:0:0:0:0:0:1"), true, {}, "2001:db8::1"},
      {"ok/ipv6-zero-run", Ip("fe80:0000::0001"), true, {}, "fe80::1"},
      {"ok/ipv6-loopback", Ip("::1"), true},
      {"ok/ipv4-loopback", Ip("127.0.0.1"), true},
      {"ok/rfc1918", Ip("10.0.0.1"), true},
      {"fail/ipv4-mapped", Ip("::ffff:192.0.2.1"), false},
      {"fail/ipv4-mapped-loopback", Ip("::ffff:127.0.0.1"), false},
      {"fail/ipv4-mapped-hex", Ip("::ffff:7f00:1"), false},
      {"fail/empty", Ip(""), false},
      {"fail/three-octets", Ip("192.0.2"), false},
      {"fail/octet-too-big", Ip("256.1.1.1"), false},
      {"fail/leading-zero", Ip("010.0.0.1"), false},
      {"fail/hex-octet", Ip("0x7f.0.0.1"), false},
      {"fail/trailing-space", Ip("192.0.2.1 "), false},
      {"fail/zone-id", Ip("fe80::1%eth0"), false},
      {"fail/brackets", Ip("[2001:db8::1]"), false},
      {"fail/cidr", Ip("192.0.2.0/24"), false},
      {"fail/dns-name", Ip("example.com"), false},
      {"fail/nul-byte", Ip(std::string("192.0.2.1\0x", 11)), false},
      {"fail/unknown-type", Identifier{static_cast<IdentifierType>(42), "example.com"}, false,
       ErrorType::kUnsupportedIdentifier},
  };
  RunSingleCases(IdentifierPolicy(options), cases);
}

// The default: only publicly routable addresses (address_policy.h), IPv4-mapped never.
TEST(IdentifierPolicyTest, NonPublicIpAddressesAreRejected) {
  const std::vector<SingleCase> cases = {
      {"ok/public-ipv4", Ip("8.8.8.8"), true},
      {"ok/public-ipv4-b", Ip("1.2.3.4"), true},
      {"ok/public-ipv6", Ip("2606:4700::1111"), true},
      {"ok/public-ipv6-canonicalized", Ip("2606:4700:0:0::1111"), true, {}, "2606:4700::1111"},
      {"ok/nat64-of-public", Ip("64:ff9b::808:808"), true},
      {"fail/rfc1918-10", Ip("10.0.0.1"), false},
      {"fail/rfc1918-172", Ip("172.16.5.4"), false},
      {"fail/rfc1918-192", Ip("192.168.1.1"), false},
      {"fail/loopback", Ip("127.0.0.1"), false},
      {"fail/this-network", Ip("0.0.0.0"), false},
      {"fail/link-local", Ip("169.254.169.254"), false},
      {"fail/cgnat", Ip("100.64.0.1"), false},
      {"fail/documentation-v4", Ip("192.0.2.1"), false},
      {"fail/benchmarking", Ip("198.18.0.1"), false},
      {"fail/multicast-v4", Ip("224.0.0.1"), false},
      {"fail/broadcast", Ip("255.255.255.255"), false},
      {"fail/unspecified-v6", Ip("::"), false},
      {"fail/loopback-v6", Ip("::1"), false},
      {"fail/ula", Ip("fc00::1"), false},
      {"fail/ula-fd", Ip("fd12:3456::1"), false},
      {"fail/link-local-v6", Ip("fe80::1"), false},
      {"fail/multicast-v6", Ip("ff02::1"), false},
      {"fail/documentation-v6", Ip("2001:db8::1"), false},
      {"fail/6to4", Ip("2002:c000:0204::1"), false},
      {"fail/nat64-of-private", Ip("64:ff9b::a00:1"), false},
      {"fail/ipv4-mapped-public", Ip("::ffff:1.2.3.4"), false},
      {"fail/ipv4-mapped-private", Ip("::ffff:10.0.0.1"), false},
      {"fail/ipv4-mapped-loopback", Ip("::ffff:127.0.0.1"), false},
  };
  RunSingleCases(IdentifierPolicy(IdentifierPolicyOptions{}), cases);
}

TEST(IdentifierPolicyTest, Ipv4MappedDetailNamesTheIpv4Address) {
  auto result = IdentifierPolicy(IdentifierPolicyOptions{}).CheckOrder({Ip("::FFFF:1.2.3.4")});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kRejectedIdentifier);
  EXPECT_NE(result.error().detail.find("\"1.2.3.4\" itself"), std::string::npos)
      << result.error().detail;
}

TEST(IdentifierPolicyTest, OptionsTurnOffIpAndWildcards) {
  IdentifierPolicyOptions options;
  options.allow_ip = false;
  options.allow_wildcard = false;
  const std::vector<SingleCase> cases = {
      {"ok/plain-name", Dns("example.com"), true},
      {"fail/ip-off", Ip("192.0.2.1"), false, ErrorType::kUnsupportedIdentifier},
      {"fail/ip-off-even-if-invalid", Ip("nonsense"), false, ErrorType::kUnsupportedIdentifier},
      {"fail/wildcard-off", Dns("*.example.com"), false, ErrorType::kRejectedIdentifier},
  };
  RunSingleCases(IdentifierPolicy(options), cases);
}

TEST(IdentifierPolicyTest, BlockedNames) {
  IdentifierPolicyOptions options;
  options.allow_private_ips = true;
  options.blocked_names = {"example.com", "Evil.ORG.", "www.shop.test", "*.wild.test",
                           "192.0.2.7", "2001:DB8::7", "", "corp"};
  const std::vector<SingleCase> cases = {
      {"fail/exact", Dns("example.com"), false},
      {"fail/subdomain", Dns("www.example.com"), false},
      {"fail/deep-subdomain", Dns("a.b.c.example.com"), false},
      {"fail/wildcard-of-entry", Dns("*.example.com"), false},
      {"fail/wildcard-under-entry", Dns("*.www.example.com"), false},
      {"fail/entry-normalized", Dns("evil.org"), false},
      {"fail/wildcard-covering-entry", Dns("*.shop.test"), false},
      {"fail/wildcard-entry-blocks-base", Dns("wild.test"), false},
      {"fail/blocked-ipv4", Ip("192.0.2.7"), false},
      {"fail/blocked-ipv6-other-spelling", Ip("2001:db8:0::7"), false},
      {"ok/other-domain", Dns("example.net"), true},
      {"ok/suffix-string-not-label", Dns("notexample.com"), true},
      {"ok/parent-of-entry", Dns("shop.test"), true},
      {"ok/sibling-of-entry", Dns("api.shop.test"), true},
      {"ok/wildcard-not-covering-entry", Dns("*.api.shop.test"), true},
      {"fail/whole-tld", Dns("host.corp"), false},
      {"fail/wildcard-under-tld", Dns("*.a.corp"), false},
      {"ok/other-ip", Ip("192.0.2.8"), true},
  };
  RunSingleCases(IdentifierPolicy(options), cases);
}

std::shared_ptr<const PublicSuffixList> DefaultList() {
  auto psl = PublicSuffixList::Default();
  EXPECT_TRUE(psl.ok()) << psl.error().detail;
  return psl.ok() ? *psl : nullptr;
}

// What flint serve does by default: public suffixes refused, unknown TLDs allowed.
TEST(IdentifierPolicyTest, PublicSuffixesRefusedUnknownTldsAllowed) {
  IdentifierPolicyOptions options;
  options.psl = DefaultList();
  ASSERT_NE(options.psl, nullptr);
  const std::vector<SingleCase> cases = {
      {"fail/tld", Dns("com"), false},
      {"fail/icann-suffix", Dns("co.uk"), false},
      {"fail/wildcard-of-suffix", Dns("*.co.uk"), false},
      {"fail/wildcard-of-tld", Dns("*.com"), false},
      {"fail/idn-suffix", Dns("xn--55qx5d.cn"), false},
      {"fail/star-rule-suffix", Dns("foo.ck"), false},
      {"fail/wildcard-of-star-rule-suffix", Dns("*.foo.ck"), false},
      {"ok/under-icann-suffix", Dns("example.co.uk"), true},
      {"ok/wildcard-under-suffix", Dns("*.example.co.uk"), true},
      {"ok/com", Dns("example.com"), true},
      {"ok/star-rule-exception", Dns("www.ck"), true},
      {"ok/private-suffix", Dns("github.io"), true},
      {"ok/unknown-tld-internal", Dns("foo.internal"), true},
      {"ok/unknown-tld-test", Dns("host.test"), true},
      {"ok/wildcard-unknown-tld", Dns("*.wild.test"), true},
      {"ok/unknown-tld-deep", Dns("a.b.example.notarealtld"), true},
  };
  RunSingleCases(IdentifierPolicy(options), cases);
}

TEST(IdentifierPolicyTest, RequireKnownTld) {
  IdentifierPolicyOptions options;
  options.psl = DefaultList();
  options.require_known_tld = true;
  const std::vector<SingleCase> cases = {
      {"fail/tld", Dns("com"), false},
      {"fail/icann-suffix", Dns("co.uk"), false},
      {"fail/wildcard-of-suffix", Dns("*.co.uk"), false},
      {"fail/idn-suffix", Dns("xn--55qx5d.cn"), false},
      {"fail/star-rule-suffix", Dns("foo.ck"), false},
      {"fail/unknown-tld", Dns("example.notarealtld"), false},
      {"ok/under-icann-suffix", Dns("example.co.uk"), true},
      {"ok/wildcard-under-suffix", Dns("*.example.co.uk"), true},
      {"ok/idn-registrable", Dns("example.xn--55qx5d.cn"), true},
      {"ok/star-rule-exception", Dns("www.ck"), true},
      {"ok/private-suffix", Dns("github.io"), true},
      {"fail/internal", Dns("foo.internal"), false},
      {"fail/test", Dns("host.test"), false},
      {"fail/wildcard-unknown-tld", Dns("*.wild.test"), false},
      {"ok/ip-unaffected", Ip("8.8.8.8"), true},
  };
  RunSingleCases(IdentifierPolicy(options), cases);
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "flint-psl-XXXXXX").string();
    path_ = mkdtemp(templ.data()) != nullptr ? templ : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(IdentifierPolicyTest, PublicSuffixListFromFile) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/list.dat";
  std::ofstream(file) << "// ===BEGIN ICANN DOMAINS===\ntest\nexample.test\n"
                         "// ===END ICANN DOMAINS===\n";
  auto psl = PublicSuffixList::LoadFile(file);
  ASSERT_TRUE(psl.ok()) << psl.error().detail;
  EXPECT_EQ((*psl)->RegistrableDomain("a.b.example.test"), "b.example.test");
  EXPECT_EQ((*psl)->RegistrableDomain("example.test"), std::nullopt);

  IdentifierPolicyOptions options;
  options.require_known_tld = true;
  options.psl = *psl;
  const std::vector<SingleCase> cases = {
      {"fail/listed-suffix", Dns("example.test"), false},
      {"fail/tld-not-in-this-list", Dns("example.com"), false},
      {"ok/under-listed-suffix", Dns("shop.example.test"), true},
      {"ok/under-tld", Dns("other.test"), true},
  };
  RunSingleCases(IdentifierPolicy(options), cases);
}

TEST(IdentifierPolicyTest, RequireKnownTldWithoutListIsInternal) {
  IdentifierPolicyOptions options;
  options.require_known_tld = true;
  auto result = IdentifierPolicy(options).CheckOrder({Dns("example.com")});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kInternal);
}

// The files flint serve loads by default (Debian package `publicsuffix`), in both formats.
TEST(PublicSuffixListTest, DebianFilesAnswer) {
  for (const std::string& path : {std::string(kDistributionListPath),
                                 std::string("/usr/share/publicsuffix/public_suffix_list.dat")}) {
    SCOPED_TRACE(path);
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "not installed (package publicsuffix)";
    auto psl = PublicSuffixList::LoadFile(path);
    ASSERT_TRUE(psl.ok()) << psl.error().detail;
    EXPECT_TRUE((*psl)->IsIcannPublicSuffix("co.uk"));
    EXPECT_TRUE((*psl)->IsIcannPublicSuffix("com"));
    EXPECT_FALSE((*psl)->IsIcannPublicSuffix("example.co.uk"));
    EXPECT_FALSE((*psl)->IsIcannPublicSuffix("github.io"));
    EXPECT_FALSE((*psl)->IsIcannPublicSuffix("foo.internal"));
    EXPECT_TRUE((*psl)->HasListedTld("example.com"));
    EXPECT_FALSE((*psl)->HasListedTld("foo.internal"));
    EXPECT_EQ((*psl)->RegistrableDomain("a.b.github.io"), "b.github.io");
  }
}

TEST(PublicSuffixListTest, LoadFileFailsForMissingFile) {
  auto psl = PublicSuffixList::LoadFile("/nonexistent/flint/psl.dat");
  ASSERT_FALSE(psl.ok());
  EXPECT_EQ(psl.error().type, ErrorType::kInternal);
}

TEST(PublicSuffixListTest, DefaultListAnswers) {
  auto psl = PublicSuffixList::Default();
  ASSERT_TRUE(psl.ok()) << psl.error().detail;
  EXPECT_TRUE((*psl)->IsIcannPublicSuffix("co.uk"));
  EXPECT_FALSE((*psl)->IsIcannPublicSuffix("github.io"));
  EXPECT_TRUE((*psl)->HasListedTld("example.com"));
  EXPECT_FALSE((*psl)->HasListedTld("example.notarealtld"));
  EXPECT_EQ((*psl)->RegistrableDomain("www.example.co.uk"), "example.co.uk");
  EXPECT_EQ((*psl)->RegistrableDomain("a.b.github.io"), "b.github.io");
  EXPECT_EQ((*psl)->RegistrableDomain("co.uk"), std::nullopt);
}

TEST(IdentifierPolicyTest, EmptyOrderIsMalformed) {
  auto result = IdentifierPolicy(IdentifierPolicyOptions{}).CheckOrder({});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kMalformed);
  EXPECT_TRUE(result.error().subproblems.empty());
}

TEST(IdentifierPolicyTest, FoldsDuplicatesAfterCanonicalization) {
  auto result = IdentifierPolicy(IdentifierPolicyOptions{})
                    .CheckOrder({Dns("example.com"), Ip("2606:4700::1111"), Dns("example.com"),
                                 Dns("*.example.com"), Ip("2606:4700:0::1111"), Ip("8.8.8.8"),
                                 Dns("8.8.8.8.example.com")});
  ASSERT_TRUE(result.ok()) << result.error().detail;
  const std::vector<Identifier> want = {Dns("example.com"), Ip("2606:4700::1111"),
                                        Dns("*.example.com"), Ip("8.8.8.8"),
                                        Dns("8.8.8.8.example.com")};
  EXPECT_EQ(*result, want);
}

TEST(IdentifierPolicyTest, TooManyDistinctIdentifiersIsMalformed) {
  IdentifierPolicyOptions options;
  options.max_identifiers = 2;
  const IdentifierPolicy policy(options);

  auto folded = policy.CheckOrder({Dns("a.example.com"), Dns("b.example.com"),
                                   Dns("a.example.com"), Ip("8.8.8.8"), Ip("8.8.8.8")});
  ASSERT_FALSE(folded.ok());
  EXPECT_EQ(folded.error().type, ErrorType::kMalformed);
  EXPECT_TRUE(folded.error().subproblems.empty());
  EXPECT_NE(folded.error().detail.find("at most 2"), std::string::npos);

  auto at_limit = policy.CheckOrder({Dns("a.example.com"), Dns("b.example.com"),
                                     Dns("a.example.com"), Dns("b.example.com")});
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().detail;
  EXPECT_EQ(at_limit->size(), 2u);
}

TEST(IdentifierPolicyTest, SeveralFailuresOfOneTypeShareIt) {
  auto result = IdentifierPolicy(IdentifierPolicyOptions{})
                    .CheckOrder({Dns("ok.example.com"), Dns("Upper.example.com"),
                                 Dns("under_score.example.com"), Dns("Upper.example.com"),
                                 Ip("300.1.1.1")});
  ASSERT_FALSE(result.ok());
  const core::Error& e = result.error();
  EXPECT_EQ(e.type, ErrorType::kRejectedIdentifier);
  ASSERT_EQ(e.subproblems.size(), 3u);  // the repeated bad name is reported once
  EXPECT_EQ(e.subproblems[0].identifier_value, "Upper.example.com");
  EXPECT_EQ(e.subproblems[0].identifier_type, "dns");
  EXPECT_EQ(e.subproblems[1].identifier_value, "under_score.example.com");
  EXPECT_EQ(e.subproblems[2].identifier_type, "ip");
  EXPECT_EQ(e.subproblems[2].identifier_value, "300.1.1.1");
  for (const core::Subproblem& s : e.subproblems) {
    EXPECT_EQ(s.type, ErrorType::kRejectedIdentifier);
  }
  EXPECT_NE(e.detail.find("3 identifiers"), std::string::npos) << e.detail;
}

TEST(IdentifierPolicyTest, MixedFailureTypesAreCompound) {
  IdentifierPolicyOptions options;
  options.allow_ip = false;
  options.blocked_names = {"blocked.test"};
  auto result = IdentifierPolicy(options).CheckOrder(
      {Dns("www.blocked.test"), Ip("192.0.2.1"), Dns("fine.example.com"), Dns("bad..name")});
  ASSERT_FALSE(result.ok());
  const core::Error& e = result.error();
  EXPECT_EQ(e.type, ErrorType::kCompound);
  ASSERT_EQ(e.subproblems.size(), 3u);
  EXPECT_EQ(e.subproblems[0].type, ErrorType::kRejectedIdentifier);
  EXPECT_EQ(e.subproblems[0].identifier_value, "www.blocked.test");
  EXPECT_EQ(e.subproblems[1].type, ErrorType::kUnsupportedIdentifier);
  EXPECT_EQ(e.subproblems[1].identifier_type, "ip");
  EXPECT_EQ(e.subproblems[2].type, ErrorType::kRejectedIdentifier);
  EXPECT_EQ(e.subproblems[2].identifier_value, "bad..name");
}

TEST(IdentifierPolicyTest, ManyFailuresSummarizeDetail) {
  std::vector<Identifier> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Dns("Bad" + std::to_string(i) + ".example.com"));
  auto result = IdentifierPolicy(IdentifierPolicyOptions{}).CheckOrder(ids);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, ErrorType::kRejectedIdentifier);
  EXPECT_EQ(result.error().subproblems.size(), 5u);
  EXPECT_NE(result.error().detail.find("and 2 more"), std::string::npos) << result.error().detail;
}

TEST(IdentifierPolicyTest, DetailEscapesClientBytes) {
  auto result = IdentifierPolicy(IdentifierPolicyOptions{})
                    .CheckOrder({Dns(std::string("a\n\"b\x01.com"))});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().detail.find('\n'), std::string::npos);
  EXPECT_NE(result.error().detail.find("\\x0a"), std::string::npos) << result.error().detail;
}

TEST(BlockedNameProblemTest, AcceptsNamesLabelsAndAddresses) {
  for (const char* ok : {"example.net", "Example.NET.", "*.example.net", "corp", "10.1.2.3",
                         "2001:DB8::7", "xn--mnchen-3ya.de"}) {
    EXPECT_EQ(BlockedNameProblem(ok), std::nullopt) << ok;
  }
  for (const char* bad : {"", ".", "*.", "exa mple.net", "a..b", "-x.net", "w*.example.net",
                          "10.1.2", "example.net/24", "http://example.net", "xn--ls8h.net"}) {
    EXPECT_NE(BlockedNameProblem(bad), std::nullopt) << bad;
  }
}

TEST(ChallengesForTest, MatchesIdentifierKind) {
  struct Case {
    std::string name;
    Identifier id;
    bool wildcard;
    std::vector<ChallengeType> want;
  };
  const std::vector<Case> cases = {
      {"dns", Dns("example.com"), false,
       {ChallengeType::kHttp01, ChallengeType::kDns01, ChallengeType::kTlsAlpn01,
        ChallengeType::kDnsAccount01}},
      {"dns-wildcard", Dns("example.com"), true,
       {ChallengeType::kDns01, ChallengeType::kDnsAccount01}},
      {"ip", Ip("192.0.2.1"), false, {ChallengeType::kHttp01, ChallengeType::kTlsAlpn01}},
      {"ip-wildcard-impossible", Ip("192.0.2.1"), true, {}},
      {"unknown-type", Identifier{static_cast<IdentifierType>(42), "x"}, false, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ChallengesFor(c.id, c.wildcard), c.want);
  }
}

TEST(WildcardTest, AuthorizationIdentifierStripsWildcardLabel) {
  EXPECT_TRUE(IsWildcard(Dns("*.example.com")));
  EXPECT_FALSE(IsWildcard(Dns("example.com")));
  EXPECT_FALSE(IsWildcard(Ip("*.1")));
  EXPECT_EQ(AuthorizationIdentifier(Dns("*.example.com")), Dns("example.com"));
  EXPECT_EQ(AuthorizationIdentifier(Dns("www.example.com")), Dns("www.example.com"));
  EXPECT_EQ(AuthorizationIdentifier(Ip("192.0.2.1")), Ip("192.0.2.1"));
}

TEST(ParseIdentifierTypeTest, KnownAndUnknown) {
  auto dns = ParseIdentifierType("dns");
  ASSERT_TRUE(dns.ok());
  EXPECT_EQ(*dns, IdentifierType::kDns);
  auto ip = ParseIdentifierType("ip");
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(*ip, IdentifierType::kIp);
  for (const char* bad : {"DNS", "email", "", "permanent-identifier"}) {
    SCOPED_TRACE(bad);
    auto r = ParseIdentifierType(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().type, ErrorType::kUnsupportedIdentifier);
  }
}

}  // namespace
}  // namespace flint::policy
