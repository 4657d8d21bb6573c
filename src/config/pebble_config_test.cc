// `flint pebble`'s reading of Pebble's command line, JSON file and PEBBLE_* variables.
#include "config/pebble_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace flint::config {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/flint-pebble-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Pebble's own test/config/pebble-config.json, as certbot's and lego's CI use it.
constexpr const char* kPebbleConfig = R"({
  "pebble": {
    "listenAddress": "0.0.0.0:14000",
    "managementListenAddress": "0.0.0.0:15000",
    "certificate": "test/certs/localhost/cert.pem",
    "privateKey": "test/certs/localhost/key.pem",
    "httpPort": 5002,
    "tlsPort": 5001,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "domainBlocklist": ["blocked-domain.example"],
    "retryAfter": {"authz": 3, "order": 5},
    "keyAlgorithm": "ecdsa",
    "profiles": {
      "default": {"description": "The profile you know and love", "validityPeriod": 7776000},
      "shortlived": {"description": "A short-lived cert profile", "validityPeriod": 518400}
    }
  }
})";

TEST(ParsePebbleArgs, OkPebbleConfigAndDefaults) {
  const std::string path = WriteTemp(kPebbleConfig);
  auto r = ParsePebbleArgs({"-config", path, "-dnsserver", "127.0.0.1:8053"}, Env({}));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  ASSERT_TRUE(r->has_value());
  const PebbleSettings& s = **r;
  EXPECT_EQ(s.serve.listen, "0.0.0.0:14000");
  EXPECT_EQ(s.management_listen, "0.0.0.0:15000");
  EXPECT_EQ(s.tls_cert_file, "test/certs/localhost/cert.pem");
  EXPECT_EQ(s.tls_key_file, "test/certs/localhost/key.pem");
  EXPECT_EQ(s.serve.http01_port, 5002);
  EXPECT_EQ(s.serve.tlsalpn01_port, 5001);
  EXPECT_EQ(s.serve.dns_resolver, "127.0.0.1:8053");
  EXPECT_TRUE(s.serve.allow_private_targets);
  EXPECT_FALSE(s.serve.external_account_required);
  EXPECT_EQ(s.serve.blocked_names, std::vector<std::string>{"blocked-domain.example"});
  ASSERT_EQ(s.serve.profiles.size(), 2u);
  EXPECT_EQ(s.serve.default_profile, "default");
  EXPECT_EQ(s.serve.profiles[0].validity_days, 90);
  EXPECT_EQ(s.serve.profiles[1].validity_days, 6);
  EXPECT_EQ(s.authz_retry_after_seconds, 3);
  EXPECT_EQ(s.order_retry_after_seconds, 5);
  EXPECT_FALSE(s.strict);
  // Pebble's defaults for its variables.
  EXPECT_EQ(s.nonce_reject_percent, 5);
  EXPECT_EQ(s.authz_reuse_percent, 50);
  EXPECT_EQ(s.orders_per_page, 3);
  EXPECT_EQ(s.chain_length, 1);
  EXPECT_EQ(s.alternate_roots, 0);
  ASSERT_TRUE(s.va_sleep_max.has_value());
  EXPECT_EQ(s.va_sleep_max->count(), 15);
  EXPECT_FALSE(s.serve.skip_validation);
  unlink(path.c_str());
}

TEST(ParsePebbleArgs, OkGoFlagFormsAndEnvironment) {
  const std::string path = WriteTemp(kPebbleConfig);
  auto r = ParsePebbleArgs({"--config=" + path, "--dnsserver", ":8053", "-strict"},
                           Env({{"PEBBLE_WFE_NONCEREJECT", "0"},
                                {"PEBBLE_AUTHZREUSE", "100"},
                                {"PEBBLE_CHAIN_LENGTH", "3"},
                                {"PEBBLE_ALTERNATE_ROOTS", "2"},
                                {"PEBBLE_VA_NOSLEEP", "1"},
                                {"PEBBLE_VA_ALWAYS_VALID", "true"}}));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  const PebbleSettings& s = **r;
  EXPECT_TRUE(s.strict);
  EXPECT_EQ(s.serve.dns_resolver, "127.0.0.1:8053");
  EXPECT_EQ(s.nonce_reject_percent, 0);
  EXPECT_EQ(s.authz_reuse_percent, 100);
  EXPECT_EQ(s.chain_length, 3);
  EXPECT_EQ(s.alternate_roots, 2);
  EXPECT_FALSE(s.va_sleep_max.has_value());
  EXPECT_TRUE(s.serve.skip_validation);
  unlink(path.c_str());
}

TEST(ParsePebbleArgs, OkBadEnvironmentValuesFallBackWithAWarning) {
  const std::string path = WriteTemp(kPebbleConfig);
  auto r = ParsePebbleArgs({"-config", path},
                           Env({{"PEBBLE_WFE_NONCEREJECT", "150"}, {"PEBBLE_VA_SLEEPTIME", "x"}}));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ((*r)->nonce_reject_percent, 5);
  EXPECT_EQ((*r)->va_sleep_max->count(), 15);
  // One warning each, besides the file's ("retryAfter" is not applied).
  int env_warnings = 0;
  for (const std::string& w : (*r)->warnings) env_warnings += w.rfind("PEBBLE_", 0) == 0 ? 1 : 0;
  EXPECT_EQ(env_warnings, 2);
  unlink(path.c_str());
}

TEST(ParsePebbleArgs, FailFlags) {
  const std::string path = WriteTemp(kPebbleConfig);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-config", path, "-bogus"},
                                             {"-config"},
                                             {"-config", path, "-strict=maybe"},
                                             {"-config", "/nonexistent/pebble.json"},
                                             {"-config", path, "-dnsserver", "nohost"}}) {
    auto r = ParsePebbleArgs(args, Env({}));
    ASSERT_FALSE(r.ok()) << args.back();
    EXPECT_EQ(r.error().type, core::ErrorType::kMalformed);
  }
  unlink(path.c_str());
}

TEST(ParsePebbleArgs, OkArgumentsAfterAPositionalOneAreIgnoredAsGoDoes) {
  const std::string path = WriteTemp(kPebbleConfig);
  auto r = ParsePebbleArgs({"-config", path, "-strict", "false", "-dnsserver", "bad"}, Env({}));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_TRUE((*r)->strict);  // Go reads "-strict" alone; "false" ends the flags
  EXPECT_EQ((*r)->serve.dns_resolver, "");
  unlink(path.c_str());
}

TEST(ApplyPebbleConfigJson, OkUnknownKeysWarnAndKeysMatchCaseInsensitively) {
  PebbleSettings s;
  auto r = ApplyPebbleConfigJson(
      R"({"pebble": {"ListenAddress": "127.0.0.1:1", "somethingNew": 1},
          "other": {}})",
      s);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(s.serve.listen, "127.0.0.1:1");
  ASSERT_EQ(s.warnings.size(), 2u);
}

TEST(ApplyPebbleConfigJson, OkExternalAccountMacKeysDecodeBase64url) {
  PebbleSettings s;
  auto r = ApplyPebbleConfigJson(
      R"({"pebble": {"externalAccountBindingRequired": true,
                     "externalAccountMACKeys": {"kid-1": "AQID_-8"}}})",
      s);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_TRUE(s.serve.external_account_required);
  ASSERT_EQ(s.eab_keys.count("kid-1"), 1u);
  EXPECT_EQ(s.eab_keys["kid-1"], std::string("\x01\x02\x03\xff\xef", 5));
}

TEST(ApplyPebbleConfigJson, FailWrongTypes) {
  for (const char* json :
       {R"([])", R"({"pebble": 1})", R"({"pebble": {"httpPort": "80"}})",
        R"({"pebble": {"httpPort": 70000}})", R"({"pebble": {"domainBlocklist": "a"}})",
        R"({"pebble": {"externalAccountMACKeys": {"k": "not base64!"}}})",
        R"({"pebble": {"profiles": {"p": {"validityPeriod": -1}}}})",
        R"({"pebble": {"retryAfter": {"authz": 0}}})"}) {
    PebbleSettings s;
    auto r = ApplyPebbleConfigJson(json, s);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().type, core::ErrorType::kMalformed) << json;
  }
}

}  // namespace
}  // namespace flint::config
