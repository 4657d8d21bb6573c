#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace flint::config {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/flint-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ParseServeArgs, DefaultsWithoutFlags) {
  auto r = ParseServeArgs({});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  ASSERT_TRUE(r->has_value());
  const Config& c = **r;
  EXPECT_EQ(c.data_dir, "./flint-data");
  EXPECT_EQ(c.listen, "127.0.0.1:14000");
  EXPECT_EQ(c.http01_port, 80);
  EXPECT_EQ(c.tlsalpn01_port, 443);
  EXPECT_FALSE(c.allow_private_targets);
}

TEST(ParseServeArgs, OperationsFlagsAndKeys) {
  auto d = ParseServeArgs({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->log_format, "text");
  EXPECT_TRUE((*d)->audit_log.empty());
  EXPECT_EQ((*d)->retain_expired_orders, std::chrono::hours(720));
  EXPECT_EQ((*d)->retain_expired_authorizations, std::chrono::hours(720));
  EXPECT_EQ((*d)->purge_interval, std::chrono::hours(1));

  std::string path = WriteTemp(
      "log-format = \"json\"\naudit-log = \"/var/log/flint/audit.jsonl\"\n"
      "retain-expired-orders = \"30d\"\nretain-expired-authorizations = \"0\"\n"
      "purge-interval = \"10m\"\n");
  auto f = ParseServeArgs({"--config", path});
  ASSERT_TRUE(f.ok()) << f.error().detail;
  EXPECT_EQ((*f)->log_format, "json");
  EXPECT_EQ((*f)->audit_log, "/var/log/flint/audit.jsonl");
  EXPECT_EQ((*f)->retain_expired_orders, std::chrono::hours(720));
  EXPECT_EQ((*f)->retain_expired_authorizations, std::chrono::seconds(0));
  EXPECT_EQ((*f)->purge_interval, std::chrono::minutes(10));
  std::remove(path.c_str());

  // "fail/...": each refused with kMalformed naming the flag.
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--log-format", "xml"},
        std::vector<std::string>{"--retain-expired-orders", "30"},
        std::vector<std::string>{"--retain-expired-authorizations", "-1h"},
        std::vector<std::string>{"--purge-interval", "0s"}}) {
    auto r = ParseServeArgs(bad);
    ASSERT_FALSE(r.ok()) << bad[0];
    EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
    EXPECT_NE(r.error().detail.find(bad[0]), std::string::npos) << r.error().detail;
  }
}

TEST(ParseServeArgs, FlagsOverrideFile) {
  std::string path = WriteTemp(
      "listen = \"127.0.0.1:15000\"\nhttp01-port = 5002\nallow-private-targets = true\n"
      "tls-name = [\"a.test\", \"b.test\"]\n");
  auto r = ParseServeArgs({"--config", path, "--listen", "127.0.0.1:16000"});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  const Config& c = **r;
  EXPECT_EQ(c.listen, "127.0.0.1:16000");
  EXPECT_EQ(c.http01_port, 5002);
  EXPECT_TRUE(c.allow_private_targets);
  EXPECT_EQ(c.tls_names, (std::vector<std::string>{"a.test", "b.test"}));
  std::remove(path.c_str());
}

TEST(ParseServeArgs, PerspectivesFromFlagsAndFile) {
  auto r = ParseServeArgs({"--perspective", "east=https://127.0.0.1:9001", "--perspective",
                           "west=https://127.0.0.1:9002"});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ((**r).perspectives,
            (std::vector<std::string>{"east=https://127.0.0.1:9001", "west=https://127.0.0.1:9002"}));
  EXPECT_EQ((**r).perspective_timeout_seconds, 20);
  std::string path = WriteTemp(
      "perspective = [\"north=https://127.0.0.1:9003\"]\nperspective-timeout-seconds = 5\n");
  r = ParseServeArgs({"--config", path});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ((**r).perspectives, std::vector<std::string>{"north=https://127.0.0.1:9003"});
  EXPECT_EQ((**r).perspective_timeout_seconds, 5);
  std::remove(path.c_str());
  r = ParseServeArgs({"--perspective", "east=https://127.0.0.1:9001", "--skip-validation"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
}

TEST(ParseServeArgs, UnknownFileKeyIsAnError) {
  std::string path = WriteTemp("lisen = \"x\"\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  EXPECT_NE(r.error().detail.find("lisen"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ParseServeArgs, BadTomlNamesLine) {
  std::string path = WriteTemp("listen = \n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("line 1"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ParseServeArgs, BadFlagValue) {
  auto r = ParseServeArgs({"--http01-port", "notaport"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
}

TEST(ParseServeArgs, StatusListenerFlags) {
  auto d = ParseServeArgs({});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE((*d)->ocsp);
  EXPECT_TRUE((*d)->http_listen.empty());
  EXPECT_TRUE((*d)->http_base_url.empty());
  EXPECT_TRUE((*d)->ocsp_url.empty());
  auto f = ParseServeArgs({"--http-listen", "127.0.0.1:8080", "--http-base-url",
                           "http://pki.example.net", "--no-ocsp", "--ocsp-url",
                           "http://ocsp.example.net"});
  ASSERT_TRUE(f.ok()) << f.error().detail;
  EXPECT_EQ((*f)->http_listen, "127.0.0.1:8080");
  EXPECT_EQ((*f)->http_base_url, "http://pki.example.net");
  EXPECT_FALSE((*f)->ocsp);
  EXPECT_EQ((*f)->ocsp_url, "http://ocsp.example.net");

  std::string path = WriteTemp("ocsp = false\nhttp-listen = \"[::1]:80\"\n");
  auto file = ParseServeArgs({"--config", path});
  ASSERT_TRUE(file.ok()) << file.error().detail;
  EXPECT_FALSE((*file)->ocsp);
  EXPECT_EQ((*file)->http_listen, "[::1]:80");
  auto flag_wins = ParseServeArgs({"--config", path, "--ocsp"});
  ASSERT_TRUE(flag_wins.ok()) << flag_wins.error().detail;
  EXPECT_TRUE((*flag_wins)->ocsp);
  std::remove(path.c_str());
}

TEST(ParseServeArgs, MetricsListenIsOffUnlessSet) {
  auto d = ParseServeArgs({});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE((*d)->metrics_listen.empty());
  auto f = ParseServeArgs({"--metrics-listen", "127.0.0.1:9464"});
  ASSERT_TRUE(f.ok()) << f.error().detail;
  EXPECT_EQ((*f)->metrics_listen, "127.0.0.1:9464");
  std::string path = WriteTemp("metrics-listen = \"[::1]:9464\"\n");
  auto file = ParseServeArgs({"--config", path});
  ASSERT_TRUE(file.ok()) << file.error().detail;
  EXPECT_EQ((*file)->metrics_listen, "[::1]:9464");
  std::remove(path.c_str());
}

TEST(ParseServeArgs, AsynchronousValidationBounds) {
  auto d = ParseServeArgs({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->validation_timeout, std::chrono::seconds(20));
  EXPECT_EQ((*d)->max_validations_in_flight, 1000);
  EXPECT_EQ((*d)->max_pending_validations_per_account, 100);
  auto f = ParseServeArgs({"--validation-timeout", "30s", "--max-validations-in-flight", "5000",
                           "--max-pending-validations-per-account", "20"});
  ASSERT_TRUE(f.ok()) << f.error().detail;
  EXPECT_EQ((*f)->validation_timeout, std::chrono::seconds(30));
  EXPECT_EQ((*f)->max_validations_in_flight, 5000);
  EXPECT_EQ((*f)->max_pending_validations_per_account, 20);
  std::string path = WriteTemp(
      "validation-timeout = \"15s\"\nmax-pending-validations-per-account = 50\n");
  auto file = ParseServeArgs({"--config", path});
  ASSERT_TRUE(file.ok()) << file.error().detail;
  EXPECT_EQ((*file)->validation_timeout, std::chrono::seconds(15));
  EXPECT_EQ((*file)->max_pending_validations_per_account, 50);
  std::remove(path.c_str());
  EXPECT_FALSE(ParseServeArgs({"--validation-timeout", "0s"}).ok());
  EXPECT_FALSE(ParseServeArgs({"--validation-timeout", "61s"}).ok());
  EXPECT_FALSE(ParseServeArgs({"--max-pending-validations-per-account", "0"}).ok());
}

TEST(ParseServeArgs, IdentifierPolicyDefaults) {
  auto r = ParseServeArgs({});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_TRUE((*r)->public_suffix_check);
  EXPECT_TRUE((*r)->public_suffix_file.empty());
  EXPECT_FALSE((*r)->require_known_tld);
  EXPECT_TRUE((*r)->blocked_names.empty());
}

TEST(ParseServeArgs, IdentifierPolicyFlags) {
  auto r = ParseServeArgs({"--blocked-name", "example.net", "--blocked-name", "10.1.2.3",
                           "--blocked-names", "corp", "--require-known-tld",
                           "--public-suffix-file", "/etc/flint/psl.dat"});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ((*r)->blocked_names, (std::vector<std::string>{"example.net", "10.1.2.3", "corp"}));
  EXPECT_TRUE((*r)->require_known_tld);
  EXPECT_TRUE((*r)->public_suffix_check);
  EXPECT_EQ((*r)->public_suffix_file, "/etc/flint/psl.dat");

  auto off = ParseServeArgs({"--no-public-suffix-check"});
  ASSERT_TRUE(off.ok()) << off.error().detail;
  EXPECT_FALSE((*off)->public_suffix_check);
}

TEST(ParseServeArgs, IdentifierPolicyKeys) {
  std::string path = WriteTemp(
      "blocked-names = [\"example.net\", \"10.1.2.3\"]\nrequire-known-tld = true\n"
      "public-suffix-file = \"/srv/psl.dafsa\"\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ((*r)->blocked_names, (std::vector<std::string>{"example.net", "10.1.2.3"}));
  EXPECT_TRUE((*r)->require_known_tld);
  EXPECT_EQ((*r)->public_suffix_file, "/srv/psl.dafsa");
  // A list on the command line replaces the file's, under either spelling.
  for (const char* flag : {"--blocked-name", "--blocked-names"}) {
    auto flag_wins = ParseServeArgs({"--config", path, flag, "other.example"});
    ASSERT_TRUE(flag_wins.ok()) << flag_wins.error().detail;
    EXPECT_EQ((*flag_wins)->blocked_names, std::vector<std::string>{"other.example"}) << flag;
  }
  std::remove(path.c_str());

  std::string off_path = WriteTemp("public-suffix-check = false\nblocked-name = [\"a.test\"]\n");
  auto off = ParseServeArgs({"--config", off_path});
  ASSERT_TRUE(off.ok()) << off.error().detail;
  EXPECT_FALSE((*off)->public_suffix_check);
  EXPECT_EQ((*off)->blocked_names, std::vector<std::string>{"a.test"});
  auto flag_on = ParseServeArgs({"--config", off_path, "--public-suffix-check"});
  ASSERT_TRUE(flag_on.ok()) << flag_on.error().detail;
  EXPECT_TRUE((*flag_on)->public_suffix_check);
  std::remove(off_path.c_str());
}

TEST(ParseServeArgs, NegatedKeyInFile) {
  std::string path = WriteTemp("no-public-suffix-check = true\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_FALSE((*r)->public_suffix_check);
  std::remove(path.c_str());
}

TEST(ParseServeArgs, KnownTldNeedsThePublicSuffixList) {
  auto r = ParseServeArgs({"--require-known-tld", "--no-public-suffix-check"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  EXPECT_NE(r.error().detail.find("require-known-tld"), std::string::npos) << r.error().detail;

  std::string path = WriteTemp("require-known-tld = true\npublic-suffix-check = false\n");
  auto file = ParseServeArgs({"--config", path});
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().type, core::ErrorType::kMalformed);
  std::remove(path.c_str());
}

TEST(ParseDuration, Shapes) {
  using namespace std::chrono_literals;
  EXPECT_EQ(ParseDuration("24h").value(), 24h);
  EXPECT_EQ(ParseDuration("90m").value(), 90min);
  EXPECT_EQ(ParseDuration("3600s").value(), 3600s);
  EXPECT_EQ(ParseDuration("1d12h").value(), 36h);
  EXPECT_EQ(ParseDuration("1d2h3m4s").value(), 93784s);
  EXPECT_EQ(ParseDuration("0s").value(), 0s);
  for (const char* bad : {"", "24", "h", "24x", "1h1h", "30m1h", "-1h", "+1h", "1.5h", " 1h",
                          "1h ", "1 h", "1H", "9999999999s"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
    EXPECT_NE(r.error().detail.find(std::string("'") + bad + "'"), std::string::npos)
        << r.error().detail;
  }
}

TEST(ParseServeArgs, CrlAndOcspLifetimes) {
  using namespace std::chrono_literals;
  auto d = ParseServeArgs({});
  ASSERT_TRUE(d.ok()) << d.error().detail;
  EXPECT_EQ((*d)->crl_lifetime, 24h);
  EXPECT_EQ((*d)->ocsp_lifetime, 12h);

  auto f = ParseServeArgs({"--crl-lifetime", "3d", "--ocsp-lifetime=90m"});
  ASSERT_TRUE(f.ok()) << f.error().detail;
  EXPECT_EQ((*f)->crl_lifetime, 72h);
  EXPECT_EQ((*f)->ocsp_lifetime, 90min);
  auto bounds = ParseServeArgs({"--crl-lifetime", "1h", "--ocsp-lifetime", "9d23h59m59s"});
  ASSERT_TRUE(bounds.ok()) << bounds.error().detail;
  EXPECT_EQ((*bounds)->crl_lifetime, 1h);
  EXPECT_EQ((*bounds)->ocsp_lifetime, 240h - 1s);

  std::string path = WriteTemp("crl-lifetime = \"7d\"\nocsp-lifetime = \"4d\"\n");
  auto file = ParseServeArgs({"--config", path});
  ASSERT_TRUE(file.ok()) << file.error().detail;
  EXPECT_EQ((*file)->crl_lifetime, 168h);
  EXPECT_EQ((*file)->ocsp_lifetime, 96h);
  auto flag_wins = ParseServeArgs({"--config", path, "--ocsp-lifetime", "8h"});
  ASSERT_TRUE(flag_wins.ok()) << flag_wins.error().detail;
  EXPECT_EQ((*flag_wins)->crl_lifetime, 168h);
  EXPECT_EQ((*flag_wins)->ocsp_lifetime, 8h);
  std::remove(path.c_str());
}

struct BadLifetimeCase {
  const char* name;
  std::vector<std::string> args;  // "FILE" is replaced by a TOML file holding `toml`
  const char* toml;
  const char* want;  // in the error detail
};

class BadLifetimeTest : public ::testing::TestWithParam<BadLifetimeCase> {};

TEST_P(BadLifetimeTest, IsRefusedAtStart) {
  std::string path = WriteTemp(GetParam().toml);
  std::vector<std::string> args = GetParam().args;
  for (std::string& a : args)
    if (a == "FILE") a = path;
  auto r = ParseServeArgs(args);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  EXPECT_NE(r.error().detail.find(GetParam().want), std::string::npos) << r.error().detail;
  std::remove(path.c_str());
}

constexpr const char* kOutOfRange =
    "' is out of range: at least 1h and less than 10d (the CA/Browser Forum's ten days count "
    "thisUpdate through nextUpdate inclusively)";

INSTANTIATE_TEST_SUITE_P(
    Config, BadLifetimeTest,
    ::testing::Values(
        BadLifetimeCase{"crl_zero", {"--crl-lifetime", "0s"}, "",
                        "--crl-lifetime: '0s' is out of range"},
        BadLifetimeCase{"crl_below_an_hour", {"--crl-lifetime", "59m59s"}, "",
                        "--crl-lifetime: '59m59s' is out of range"},
        BadLifetimeCase{"crl_ten_days", {"--crl-lifetime", "10d"}, "",
                        "--crl-lifetime: '10d' is out of range"},
        BadLifetimeCase{"ocsp_ten_days", {"--ocsp-lifetime", "240h"}, "",
                        "--ocsp-lifetime: '240h' is out of range"},
        BadLifetimeCase{"ocsp_a_year", {"--ocsp-lifetime", "365d"}, "",
                        "--ocsp-lifetime: '365d' is out of range"},
        BadLifetimeCase{"ocsp_no_unit", {"--ocsp-lifetime", "12"}, "",
                        "--ocsp-lifetime: bad duration '12': the number needs a unit"},
        BadLifetimeCase{"crl_negative", {"--crl-lifetime=-1h"}, "",
                        "--crl-lifetime: bad duration '-1h'"},
        BadLifetimeCase{"toml_out_of_range", {"--config", "FILE"}, "ocsp-lifetime = \"11d\"\n",
                        "--ocsp-lifetime: '11d' is out of range"},
        BadLifetimeCase{"toml_integer", {"--config", "FILE"}, "crl-lifetime = 24\n",
                        "--crl-lifetime: bad duration '24': the number needs a unit"},
        BadLifetimeCase{"toml_bad_unit", {"--config", "FILE"}, "crl-lifetime = \"1w\"\n",
                        "--crl-lifetime: bad duration '1w': units are d, h, m, s"}),
    [](const ::testing::TestParamInfo<BadLifetimeCase>& info) { return info.param.name; });

TEST(ParseServeArgs, OutOfRangeLifetimeSaysWhy) {
  auto r = ParseServeArgs({"--crl-lifetime", "30d"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find(std::string("--crl-lifetime: '30d") + kOutOfRange),
            std::string::npos)
      << r.error().detail;
}

TEST(Profiles, BuiltInsWhenNoneConfigured) {
  auto r = ParseServeArgs({"--cert-validity-days", "30"});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  const Config& c = **r;
  EXPECT_EQ(c.default_profile, "default");
  ASSERT_EQ(c.profiles.size(), 3u);
  EXPECT_EQ(c.profiles[0].name, "default");
  EXPECT_EQ(c.profiles[0].validity_days, 30);
  EXPECT_TRUE(c.profiles[0].include_cn);
  EXPECT_EQ(c.profiles[1].name, "shortlived");
  EXPECT_EQ(c.profiles[1].validity_days, 6);
  EXPECT_FALSE(c.profiles[1].include_cn);
  EXPECT_EQ(c.profiles[2].name, "tlsclient");
  EXPECT_EQ(c.profiles[2].ekus, (std::vector<std::string>{"serverAuth", "clientAuth"}));
}

TEST(Profiles, TablesReplaceTheBuiltIns) {
  std::string path = WriteTemp(
      "default-profile = \"web\"\n"
      "[profiles.web]\ndescription = \"Web servers\"\nvalidity_days = 47\n"
      "challenges = [\"dns-01\"]\n"
      "[profiles.mtls]\nekus = [\"serverAuth\", \"clientAuth\"]\ninclude_cn = false\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  const Config& c = **r;
  EXPECT_EQ(c.default_profile, "web");
  ASSERT_EQ(c.profiles.size(), 2u);  // in name order
  EXPECT_EQ(c.profiles[0].name, "mtls");
  EXPECT_FALSE(c.profiles[0].include_cn);
  EXPECT_EQ(c.profiles[0].validity_days, 90);
  EXPECT_EQ(c.profiles[1].name, "web");
  EXPECT_EQ(c.profiles[1].description, "Web servers");
  EXPECT_EQ(c.profiles[1].validity_days, 47);
  EXPECT_EQ(c.profiles[1].challenges, std::vector<std::string>{"dns-01"});
  std::remove(path.c_str());
}

struct BadProfileCase {
  const char* name;
  const char* toml;
};

class BadProfileTest : public ::testing::TestWithParam<BadProfileCase> {};

TEST_P(BadProfileTest, IsMalformed) {
  std::string path = WriteTemp(GetParam().toml);
  auto r = ParseServeArgs({"--config", path});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Config, BadProfileTest,
    ::testing::Values(
        BadProfileCase{"unknown_key", "[profiles.a]\ncolour = \"red\"\n"},
        BadProfileCase{"validity_zero", "[profiles.default]\nvalidity_days = 0\n"},
        BadProfileCase{"validity_text", "[profiles.default]\nvalidity_days = \"6\"\n"},
        BadProfileCase{"client_only", "[profiles.default]\nekus = [\"clientAuth\"]\n"},
        BadProfileCase{"unknown_eku", "[profiles.default]\nekus = [\"codeSigning\"]\n"},
        BadProfileCase{"unknown_challenge", "[profiles.default]\nchallenges = [\"dns-02\"]\n"},
        BadProfileCase{"empty_challenges", "[profiles.default]\nchallenges = []\n"},
        BadProfileCase{"not_a_table", "profiles = 3\n"},
        BadProfileCase{"default_missing", "[profiles.other]\n"},
        BadProfileCase{"bad_name", "[profiles.\"a b\"]\n"}),
    [](const ::testing::TestParamInfo<BadProfileCase>& info) { return info.param.name; });

TEST(Profiles, KeyUsages) {
  using core::KeyUsage;
  const std::vector<KeyUsage> kDefault = {KeyUsage::kDigitalSignature,
                                          KeyUsage::kKeyEncipherment};
  auto builtin = ParseServeArgs({});
  ASSERT_TRUE(builtin.ok()) << builtin.error().detail;
  for (const ProfileConfig& p : (*builtin)->profiles) EXPECT_EQ(p.key_usages, kDefault) << p.name;

  std::string path = WriteTemp(
      "[profiles.default]\n"
      "[profiles.ecdh]\nkey_usages = [\"keyAgreement\", \"digitalSignature\"]\n"
      "[profiles.legacy]\nkey_usages = [\"digitalSignature\", \"contentCommitment\", "
      "\"keyEncipherment\", \"dataEncipherment\"]\n"
      "[profiles.sign]\nkey_usages = [\"digitalSignature\"]\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  const Config& c = **r;
  ASSERT_EQ(c.profiles.size(), 4u);
  EXPECT_EQ(c.profiles[0].key_usages, kDefault);  // absent: today's default
  EXPECT_EQ(c.profiles[1].key_usages,
            (std::vector<KeyUsage>{KeyUsage::kKeyAgreement, KeyUsage::kDigitalSignature}));
  EXPECT_EQ(c.profiles[2].key_usages,
            (std::vector<KeyUsage>{KeyUsage::kDigitalSignature, KeyUsage::kNonRepudiation,
                                   KeyUsage::kKeyEncipherment, KeyUsage::kDataEncipherment}));
  EXPECT_EQ(c.profiles[3].key_usages, std::vector<KeyUsage>{KeyUsage::kDigitalSignature});
  std::remove(path.c_str());
}

struct BadKeyUsagesCase {
  const char* name;
  const char* value;  // the TOML value of key_usages
  const char* want;   // in the error detail, after "profiles.web.key_usages: "
};

class BadKeyUsagesTest : public ::testing::TestWithParam<BadKeyUsagesCase> {};

TEST_P(BadKeyUsagesTest, IsRefusedNamingTheProfile) {
  std::string path = WriteTemp(std::string("default-profile = \"web\"\n[profiles.web]\n") +
                               "key_usages = " + GetParam().value + "\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  EXPECT_NE(r.error().detail.find(std::string("profiles.web.key_usages: ") + GetParam().want),
            std::string::npos)
      << r.error().detail;
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Config, BadKeyUsagesTest,
    ::testing::Values(
        BadKeyUsagesCase{"empty", "[]", "expected a non-empty array of KeyUsage names"},
        BadKeyUsagesCase{"not_an_array", "\"digitalSignature\"",
                         "expected a non-empty array of KeyUsage names"},
        BadKeyUsagesCase{"not_strings", "[1]", "expected KeyUsage names as strings"},
        BadKeyUsagesCase{"unknown", "[\"digitalSignature\", \"serverAuth\"]",
                         "unknown KeyUsage 'serverAuth'; accepted: digitalSignature, "
                         "nonRepudiation (or contentCommitment), keyEncipherment, "
                         "dataEncipherment, keyAgreement"},
        BadKeyUsagesCase{"wrong_case", "[\"DigitalSignature\"]",
                         "unknown KeyUsage 'DigitalSignature'"},
        BadKeyUsagesCase{"openssl_short_name", "[\"digitalSignature\", \"keyEncipher\"]",
                         "unknown KeyUsage 'keyEncipher'"},
        BadKeyUsagesCase{"repeated", "[\"digitalSignature\", \"digitalSignature\"]",
                         "'digitalSignature' is repeated"},
        BadKeyUsagesCase{"repeated_by_alias",
                         "[\"digitalSignature\", \"nonRepudiation\", \"contentCommitment\"]",
                         "'contentCommitment' is repeated"},
        BadKeyUsagesCase{"key_cert_sign", "[\"digitalSignature\", \"keyCertSign\"]",
                         "'keyCertSign' is for CA certificates; a TLS server certificate must "
                         "never carry it"},
        BadKeyUsagesCase{"crl_sign", "[\"cRLSign\", \"digitalSignature\"]",
                         "'cRLSign' is for CA certificates"},
        BadKeyUsagesCase{"encipher_only", "[\"digitalSignature\", \"keyAgreement\", "
                                          "\"encipherOnly\"]",
                         "'encipherOnly' is not supported"},
        BadKeyUsagesCase{"decipher_only", "[\"digitalSignature\", \"decipherOnly\"]",
                         "'decipherOnly' is not supported"},
        BadKeyUsagesCase{"no_digital_signature", "[\"keyEncipherment\"]",
                         "must include digitalSignature"}),
    [](const ::testing::TestParamInfo<BadKeyUsagesCase>& info) { return info.param.name; });

TEST(Profiles, DefaultProfileMustExistWithoutFile) {
  auto r = ParseServeArgs({"--default-profile", "nope"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
}

TEST(SplitHostPort, Shapes) {
  EXPECT_EQ(SplitHostPort("127.0.0.1:14000")->port, 14000);
  EXPECT_EQ(SplitHostPort("[::1]:443")->host, "::1");
  EXPECT_FALSE(SplitHostPort("::1:443").ok());
  EXPECT_FALSE(SplitHostPort("host").ok());
  EXPECT_FALSE(SplitHostPort("host:99999").ok());
}

}  // namespace
}  // namespace flint::config

namespace flint::config {
namespace {

TEST(RateLimits, TableAndOverridesParse) {
  std::string path = WriteTemp(
      "[rate-limits]\n"
      "new-accounts-per-ip = \"10/3h\"\n"
      "certificates-per-domain = \"50/168h\"\n"
      "pending-authorizations-per-account = 1000\n"
      "[[rate-limits.override]]\nlimit = \"certificates-per-domain\"\nkey = \"example.com\"\n"
      "rate = \"0/1d\"\n");
  auto r = ParseServeArgs({"--config", path});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  const RateLimitsConfig& c = (*r)->rate_limits;
  ASSERT_EQ(c.rates.size(), 2u);
  EXPECT_EQ(c.rates.at("new-accounts-per-ip").count, 10);
  EXPECT_EQ(c.rates.at("new-accounts-per-ip").period, std::chrono::hours(3));
  EXPECT_EQ(c.rates.at("certificates-per-domain").period, std::chrono::hours(168));
  EXPECT_EQ(c.pending_authorizations_per_account, 1000);
  ASSERT_EQ(c.overrides.size(), 1u);
  EXPECT_EQ(c.overrides[0].limit, "certificates-per-domain");
  EXPECT_EQ(c.overrides[0].key, "example.com");
  EXPECT_EQ(c.overrides[0].rate.count, 0);
  EXPECT_EQ(c.overrides[0].rate.period, std::chrono::hours(24));
  std::remove(path.c_str());
}

TEST(RateLimits, RefusesWhatItDoesNotUnderstand) {
  for (const char* toml : {
           "[rate-limits]\nnew-orders-per-acount = \"1/1h\"\n",  // misspelt
           "[rate-limits]\nnew-orders-per-account = \"1 per hour\"\n",
           "[rate-limits]\nnew-orders-per-account = \"1/0s\"\n",
           "[rate-limits]\nnew-orders-per-account = \"-1/1h\"\n",
           "[rate-limits]\nnew-orders-per-account = 5\n",
           "[rate-limits]\npending-authorizations-per-account = 0\n",
           "[rate-limits]\n[[rate-limits.override]]\nlimit = \"nope\"\nkey = \"k\"\nrate = \"1/1h\"\n",
           "[rate-limits]\n[[rate-limits.override]]\nlimit = \"new-orders-per-account\"\nrate = \"1/1h\"\n",
           "[rate-limits]\n[[rate-limits.override]]\nlimit = \"new-orders-per-account\"\nkey = \"1\"\n"
           "rate = \"1/1h\"\nextra = 1\n",
       }) {
    std::string path = WriteTemp(toml);
    auto r = ParseServeArgs({"--config", path});
    EXPECT_FALSE(r.ok()) << toml;
    if (!r.ok()) {
      EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
      EXPECT_NE(r.error().detail.find("rate-limits"), std::string::npos) << r.error().detail;
    }
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace flint::config
