#include "cmd/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace flint::cmd {
namespace {

namespace json = boost::json;

std::string TempPath() {
  char dir[] = "/tmp/flint-audit-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return std::string(dir) + "/audit.jsonl";
}

std::vector<json::object> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<json::object> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line).as_object());
  return out;
}

TEST(AuditFile, AppendsOneJsonObjectPerLineWithMode0600) {
  const std::string path = TempPath();
  auto file = AuditFile::Open(path);
  ASSERT_TRUE(file.ok());
  const auto ts = std::chrono::system_clock::time_point(std::chrono::seconds(1764695447));
  ASSERT_TRUE((*file)->Append("issuance", {{"serial", "0a"}, {"order", 7}}, ts).ok());
  ASSERT_TRUE((*file)->Append("revocation", {{"serial", "0a"}, {"reason", 1}}, ts).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::vector<json::object> lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ts"], "2025-12-02T17:10:47.000Z");
  EXPECT_EQ(lines[0]["event"], "issuance");
  EXPECT_EQ(lines[0]["order"], 7);
  EXPECT_EQ(lines[1]["event"], "revocation");
  EXPECT_EQ(lines[1]["reason"], 1);
}

TEST(AuditFile, ReopenFollowsARotatedPathAndAppendsToAnExistingFile) {
  const std::string path = TempPath();
  auto file = AuditFile::Open(path);
  ASSERT_TRUE(file.ok());
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE((*file)->Append("account", {{"action", "new_account"}}, now).ok());
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  ASSERT_TRUE((*file)->Reopen().ok());
  ASSERT_TRUE((*file)->Append("account", {{"action", "deactivation"}}, now).ok());
  EXPECT_EQ(ReadLines(path + ".1").size(), 1u);
  ASSERT_EQ(ReadLines(path).size(), 1u);
  EXPECT_EQ(ReadLines(path)[0]["action"], "deactivation");
  // A second writer (flint admin) appends to the same file.
  auto other = AuditFile::Open(path);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Append("account", {{"action", "rekey"}}, now).ok());
  EXPECT_EQ(ReadLines(path).size(), 2u);
}

TEST(AuditFile, UnwritablePathIsAnError) {
  auto file = AuditFile::Open("/nonexistent-dir/audit.jsonl");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().type, core::ErrorType::kInternal);
}

}  // namespace
}  // namespace flint::cmd
