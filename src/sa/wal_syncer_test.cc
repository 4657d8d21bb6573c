#include "sa/wal_syncer.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <memory>

#include "sa/test_util.h"

namespace flint::sa {
namespace {

using testing::TempDir;

int OpenFile(const TempDir& dir) {
  return open(dir.File("wal").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
}

std::future<bool> Answer(WalSyncer& syncer, uint64_t mark) {
  auto answer = std::make_shared<std::promise<bool>>();
  std::future<bool> future = answer->get_future();
  syncer.WhenDurable(mark, [answer](bool ok) { answer->set_value(ok); });
  return future;
}

TEST(WalSyncerTest, MarksCoverCommitsFromTheirStartAndBecomeDurableOnceSynced) {
  TempDir dir;
  std::atomic<int> syncs{0};
  WalSyncer syncer(OpenFile(dir), [&](int) {
    ++syncs;
    return 0;
  });
  EXPECT_EQ(syncer.Mark(), 0u);
  EXPECT_TRUE(Answer(syncer, 0).get());  // nothing to wait for
  const uint64_t seq = syncer.BeginCommit();
  EXPECT_EQ(syncer.Mark(), seq);  // a reader may see the commit already
  std::future<bool> answer = Answer(syncer, syncer.Mark());
  syncer.CommitWritten(seq);
  EXPECT_TRUE(answer.get());
  EXPECT_GE(syncs.load(), 1);
  EXPECT_FALSE(syncer.Failed());
}

TEST(WalSyncerTest, AFailedSyncIsFinal) {
  TempDir dir;
  WalSyncer syncer(OpenFile(dir), [](int) { return EIO; });
  const uint64_t seq = syncer.BeginCommit();
  std::future<bool> answer = Answer(syncer, seq);
  syncer.CommitWritten(seq);
  EXPECT_FALSE(answer.get());
  EXPECT_TRUE(syncer.Failed());
  EXPECT_FALSE(Answer(syncer, seq).get());  // answered at once, never true again
}

TEST(WalSyncerTest, DestructionSyncsWhatWasWrittenAndAnswersWaiters) {
  TempDir dir;
  std::future<bool> answer;
  {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    WalSyncer syncer(OpenFile(dir), [released](int) {
      released.wait();
      return 0;
    });
    const uint64_t first = syncer.BeginCommit();
    syncer.CommitWritten(first);
    const uint64_t second = syncer.BeginCommit();
    answer = Answer(syncer, second);
    syncer.CommitWritten(second);
    release.set_value();
  }
  EXPECT_TRUE(answer.get());
}

}  // namespace
}  // namespace flint::sa
