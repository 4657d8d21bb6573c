// CachingStore over a SQLite store. The Store contract itself runs on it in the conformance
// suite (backend SqliteDeferredSync); this checks what the cache adds.

#include "sa/caching_store.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "sa/sqlite_store.h"
#include "sa/test_util.h"

namespace flint::sa {
namespace {

using testing::Must;
using testing::TempDir;

core::Account NewAccount(const std::string& thumbprint) {
  core::Account a;
  a.jwk_json = "{}";
  a.jwk_thumbprint = thumbprint;
  return a;
}

class CachingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = Must(SqliteStore::Open(dir_.File("flint.db"), clock_));
    other_ = Must(SqliteStore::Open(dir_.File("flint.db"), clock_));
    cached_ = std::make_unique<CachingStore>(*backend_);
    account_ = Must(cached_->CreateAccount(NewAccount("k1")));
  }

  core::FakeClock clock_;
  TempDir dir_;
  std::unique_ptr<SqliteStore> backend_;
  std::unique_ptr<SqliteStore> other_;  // another process's view of the same database
  std::unique_ptr<CachingStore> cached_;
  core::Account account_;
};

TEST_F(CachingStoreTest, AnAccountReadOnceIsAnsweredFromMemory) {
  EXPECT_EQ(cached_->cached_accounts(), 0u);
  Must(cached_->GetAccount(account_.id));
  EXPECT_EQ(cached_->cached_accounts(), 1u);
  // A change the cache cannot know of (why it is only for one process per database).
  Must(other_->DeactivateAccount(account_.id));
  EXPECT_EQ(Must(cached_->GetAccount(account_.id)).status, core::AccountStatus::kValid);
}

TEST_F(CachingStoreTest, WritesThroughItDropTheEntry) {
  Must(cached_->GetAccount(account_.id));
  Must(cached_->ChangeAccountKey(account_.id, "k1", "{}", "k2"));
  EXPECT_EQ(cached_->cached_accounts(), 0u);
  EXPECT_EQ(Must(cached_->GetAccount(account_.id)).jwk_thumbprint, "k2");
  Must(cached_->DeactivateAccount(account_.id));
  EXPECT_EQ(Must(cached_->GetAccount(account_.id)).status, core::AccountStatus::kDeactivated);
  // A refused write drops the entry too (the backend may have changed it before refusing).
  EXPECT_ERROR_TYPE(cached_->UpdateAccountContacts(account_.id, {}), core::ErrorType::kConflict);
  EXPECT_EQ(cached_->cached_accounts(), 0u);
}

TEST_F(CachingStoreTest, UnknownAccountsAreNotCached) {
  EXPECT_ERROR_TYPE(cached_->GetAccount(core::AccountId(999)), core::ErrorType::kNotFound);
  EXPECT_EQ(cached_->cached_accounts(), 0u);
}

}  // namespace
}  // namespace flint::sa
