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

TEST(SplitHostPort, Shapes) {
  EXPECT_EQ(SplitHostPort("127.0.0.1:14000")->port, 14000);
  EXPECT_EQ(SplitHostPort("[::1]:443")->host, "::1");
  EXPECT_FALSE(SplitHostPort("::1:443").ok());
  EXPECT_FALSE(SplitHostPort("host").ok());
  EXPECT_FALSE(SplitHostPort("host:99999").ok());
}

}  // namespace
}  // namespace flint::config
