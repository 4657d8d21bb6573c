#include "sa/account_cache.h"

#include <gtest/gtest.h>

namespace flint::sa {
namespace {

core::Account Acct(int64_t id, std::string thumbprint) {
  core::Account a;
  a.id = core::AccountId(id);
  a.jwk_thumbprint = std::move(thumbprint);
  return a;
}

TEST(AccountCacheTest, FindsWhatWasInsertedAtTheCurrentGeneration) {
  AccountCache cache;
  EXPECT_FALSE(cache.Find(core::AccountId(1)).has_value());
  cache.InsertIfCurrent(Acct(1, "t1"), cache.Generation());
  std::optional<core::Account> got = cache.Find(core::AccountId(1));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->jwk_thumbprint, "t1");
  EXPECT_FALSE(cache.Find(core::AccountId(2)).has_value());
}

TEST(AccountCacheTest, InvalidateDropsTheEntry) {
  AccountCache cache;
  cache.InsertIfCurrent(Acct(1, "t1"), cache.Generation());
  cache.InsertIfCurrent(Acct(2, "t2"), cache.Generation());
  cache.Invalidate(core::AccountId(1));
  EXPECT_FALSE(cache.Find(core::AccountId(1)).has_value());
  EXPECT_TRUE(cache.Find(core::AccountId(2)).has_value());
}

// The race the generation closes: a reader takes the generation, reads the old row, and a write
// commits and invalidates before the reader offers the row. The old row must not be cached.
TEST(AccountCacheTest, RowReadBeforeAnInvalidationIsNotCached) {
  AccountCache cache;
  const uint64_t before = cache.Generation();
  cache.Invalidate(core::AccountId(1));  // a write to account 1 committed meanwhile
  cache.InsertIfCurrent(Acct(1, "old"), before);
  EXPECT_FALSE(cache.Find(core::AccountId(1)).has_value());
  // Any account's write invalidates the generation, so other rows read before it drop too.
  cache.InsertIfCurrent(Acct(2, "t2"), before);
  EXPECT_FALSE(cache.Find(core::AccountId(2)).has_value());
  cache.InsertIfCurrent(Acct(1, "new"), cache.Generation());
  EXPECT_EQ(cache.Find(core::AccountId(1))->jwk_thumbprint, "new");
}

TEST(AccountCacheTest, StaysWithinItsBound) {
  AccountCache cache;
  for (int64_t id = 1; id <= static_cast<int64_t>(AccountCache::kMaxEntries) + 10; ++id) {
    cache.InsertIfCurrent(Acct(id, "t"), cache.Generation());
    ASSERT_LE(cache.size(), AccountCache::kMaxEntries);
  }
  // The newest entry is always kept.
  EXPECT_TRUE(
      cache.Find(core::AccountId(static_cast<int64_t>(AccountCache::kMaxEntries) + 10)).has_value());
}

}  // namespace
}  // namespace flint::sa
