#include "jose/base64url.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace flint::jose {
namespace {

TEST(Base64UrlTest, EncodesRfc4648Vectors) {
  // RFC 4648 §10, without padding.
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8").value(), "\xfb\xff");
}

TEST(Base64UrlTest, DecodesEmptyToEmpty) { EXPECT_EQ(Base64UrlDecode("").value(), ""); }

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::mt19937 rng(7);
  for (std::size_t len = 0; len <= 70; ++len) {
    std::string data(len, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::string encoded = Base64UrlEncode(data);
    EXPECT_EQ(encoded.find('='), std::string::npos);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << len;
    EXPECT_EQ(*decoded, data);
  }
}

struct RejectCase {
  const char* name;
  std::string text;
};

class Base64UrlRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(Base64UrlRejectTest, IsMalformed) {
  auto result = Base64UrlDecode(GetParam().text);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kMalformed);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Base64UrlRejectTest,
    ::testing::Values(
        RejectCase{"padding", "Zg=="}, RejectCase{"single-padding", "Zm8="},
        RejectCase{"inner-space", "Zm9v YmFy"}, RejectCase{"trailing-newline", "Zm9v\n"},
        RejectCase{"leading-space", " Zm9v"}, RejectCase{"standard-plus", "a+bc"},
        RejectCase{"standard-slash", "a/bc"}, RejectCase{"length-1-mod-4", "Z"},
        RejectCase{"length-5", "Zm9vY"}, RejectCase{"noncanonical-4-bits", "Zh"},  // "f" is "Zg"
        RejectCase{"noncanonical-2-bits", "Zm9"},                                  // "fo" is "Zm8"
        RejectCase{"non-ascii", "Zm\xc3\xa9"}, RejectCase{"nul-byte", std::string("Zm\0v", 4)},
        RejectCase{"dot", "Zm9v.YmFy"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (auto& c : name)
        if (c == '-') c = '_';
      return name;
    });

}  // namespace
}  // namespace flint::jose
