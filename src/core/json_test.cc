#include "core/json.h"

#include <gtest/gtest.h>

namespace flint::core {
namespace {

TEST(StrictJson, AcceptsPlainObject) {
  auto r = ParseStrictJson(R"({"a":1,"b":[true,null,"x"],"c":{"d":-5}})");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->at("c").at("d").as_int64(), -5);
}

struct BadCase {
  const char* name;
  const char* text;
};

class StrictJsonRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(StrictJsonRejects, AsMalformed) {
  auto r = ParseStrictJson(GetParam().text, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, ErrorType::kMalformed);
}

INSTANTIATE_TEST_SUITE_P(
    All, StrictJsonRejects,
    ::testing::Values(BadCase{"duplicate_top", R"({"alg":"none","alg":"ES256"})"},
                      BadCase{"duplicate_nested", R"({"a":{"x":1,"x":2}})"},
                      BadCase{"double", R"({"a":1.5})"}, BadCase{"huge", R"({"a":1e400})"},
                      BadCase{"comment", "{/*c*/}"}, BadCase{"trailing", "{} {}"},
                      BadCase{"trailing_comma", R"({"a":1,})"},
                      BadCase{"bad_utf8", "{\"a\":\"\xff\"}"},
                      BadCase{"too_deep", "[[[[[1]]]]]"}, BadCase{"empty", ""},
                      BadCase{"truncated", R"({"a":)"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(StrictJson, SameKeyInSiblingObjectsIsFine) {
  auto r = ParseStrictJson(R"([{"a":1},{"a":2}])");
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace flint::core
