#include "wfe/http_util.h"

#include <gtest/gtest.h>

#include <string>

namespace flint::wfe {
namespace {

TEST(HttpUtilTest, HttpDateIsImfFixdate) {
  EXPECT_EQ(HttpDate(core::FromUnixSeconds(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpDate(core::FromUnixSeconds(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(core::FromUnixSeconds(4102444799)), "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST(HttpUtilTest, SplitTargetHandlesEveryRequestForm) {
  struct Case {
    std::string target, path, query;
  };
  const Case cases[] = {
      {"/acme/order/1", "/acme/order/1", ""},
      {"/a?b=c?d", "/a", "b=c?d"},
      {"/?", "/", ""},
      {"https://acme.test/directory?x", "/directory", "x"},
      {"https://acme.test", "/", ""},
      {"*", "*", ""},
      {"", "", ""},
      {"relative/path", "relative/path", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    std::string path, query;
    SplitTarget(c.target, &path, &query);
    EXPECT_EQ(path, c.path);
    EXPECT_EQ(query, c.query);
    EXPECT_EQ(PathOf(c.target), c.path);
  }
}

TEST(HttpUtilTest, IsDigits) {
  EXPECT_TRUE(IsDigits("0"));
  EXPECT_TRUE(IsDigits("65536"));
  EXPECT_FALSE(IsDigits(""));
  EXPECT_FALSE(IsDigits("+1"));
  EXPECT_FALSE(IsDigits("1 "));
  EXPECT_FALSE(IsDigits("3, 3"));
}

TEST(HttpUtilTest, IsSafeHeaderRefusesSplittingAndSmuggling) {
  EXPECT_TRUE(IsSafeHeader("Location", "https://acme.test/acme/order/1"));
  EXPECT_TRUE(IsSafeHeader("Link", "<https://acme.test/directory>;rel=\"index\""));
  EXPECT_FALSE(IsSafeHeader("", "x"));
  EXPECT_FALSE(IsSafeHeader("X-A", "a\r\nSet-Cookie: b"));
  EXPECT_FALSE(IsSafeHeader("X-A", "a\nb"));
  EXPECT_FALSE(IsSafeHeader("X-A", std::string("a\0b", 3)));
  EXPECT_FALSE(IsSafeHeader("X A", "a"));
  EXPECT_FALSE(IsSafeHeader("X:A", "a"));
  EXPECT_FALSE(IsSafeHeader("X\tA", "a"));
}

}  // namespace
}  // namespace flint::wfe
