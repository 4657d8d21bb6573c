#include "core/ascii.h"

#include <gtest/gtest.h>

namespace flint::core {
namespace {

TEST(AsciiTest, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLowered("Example.COM-09_@[`{"), "example.com-09_@[`{");
  // Bytes above 0x7f (UTF-8 of "É") are left alone, whatever the locale.
  EXPECT_EQ(AsciiLowered("\xC3\x89X"), "\xC3\x89x");
  std::string s = "Content-Length";
  AsciiLowerInPlace(s);
  EXPECT_EQ(s, "content-length");
}

TEST(AsciiTest, IEqualsComparesFoldedAndSizes) {
  EXPECT_TRUE(IEquals("Transfer-Encoding", "transfer-encoding"));
  EXPECT_TRUE(IEquals("", ""));
  EXPECT_FALSE(IEquals("abc", "abcd"));
  EXPECT_FALSE(IEquals("a-b", "a_b"));
  EXPECT_FALSE(IEquals("\xC3\x89", "\xC3\xA9"));  // not Unicode case folding
}

}  // namespace
}  // namespace flint::core
