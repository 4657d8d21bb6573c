#include "core/result.h"

#include <gtest/gtest.h>

#include <string>

namespace flint::core {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Err(ErrorType::kMalformed, "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  FLINT_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

Result<void> CheckEven(int x) {
  FLINT_TRY(Half(x));
  return Ok();
}

TEST(Result, PropagatesExactError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, ErrorType::kMalformed);
  EXPECT_EQ(r.error().detail, "odd");
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_EQ(CheckEven(3).error().type, ErrorType::kMalformed);
}

TEST(ErrorTypeName, MatchesRfc8555) {
  EXPECT_EQ(ErrorTypeName(ErrorType::kBadCsr), "badCSR");
  EXPECT_EQ(ErrorTypeName(ErrorType::kBadNonce), "badNonce");
  EXPECT_EQ(ErrorTypeName(ErrorType::kInternal), "serverInternal");
}

}  // namespace
}  // namespace flint::core
