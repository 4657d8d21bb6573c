// Group commit for SqliteStore writes (see Write in sqlite_store.h): with synchronous=FULL every
// COMMIT costs an fsync, so concurrent writes share one. In deferred mode COMMIT does not sync;
// the WalSyncer (wal_syncer.h) numbers each commit and fdatasyncs the WAL behind them.
#include "sa/sqlite_store.h"
#include "sa/sqlite_store_internal.h"

namespace flint::sa {
namespace {

// A batch is bounded so one leader does not hold back its own caller for too long.
constexpr size_t kMaxBatch = 128;

}  // namespace

void SqliteStore::LeadBatch(std::unique_lock<std::mutex>& lock) {
  leader_active_ = true;
  std::vector<PendingWrite*> batch;
  while (!queue_.empty() && batch.size() < kMaxBatch) {
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  lock.unlock();

  bool durable = false;
  for (const PendingWrite* w : batch) durable = durable || w->durable;

  std::optional<core::Error> failure;
  if (syncer_ && syncer_->Failed()) {
    failure = core::Err(core::ErrorType::kInternal,
                        "sqlite: an earlier fdatasync of the WAL failed; refusing writes");
  } else {
    std::lock_guard writer_lock(write_mu_);
    sqlite::Connection& c = *writer_;
    // synchronous=FULL fsyncs the WAL at commit; NORMAL does not (WAL mode keeps it consistent).
    // Deferred mode always runs NORMAL and leaves the sync to SyncLoop.
    if (!syncer_ && durable != writer_synced_) {
      Result<void> set = c.Run(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
      if (set.ok()) writer_synced_ = durable;
    }
    auto txn = sqlite::Transaction::Begin(c, sqlite::Transaction::Kind::kWrite);
    if (!txn.ok()) {
      failure = txn.error();
    } else {
      // A batch of one needs no savepoint: a refused write rolls the transaction back instead.
      const bool isolate = batch.size() > 1;
      bool commit = true;
      for (PendingWrite* w : batch) {
        if (!writer_synced_ && w->durable) {
          failure = core::Err(core::ErrorType::kInternal, "sqlite: cannot set synchronous = FULL");
          break;
        }
        if (!isolate) {
          commit = w->run(c);
          break;
        }
        // Each write is isolated by a savepoint: a refused compare-and-set or any other error
        // undoes that write alone.
        Result<void> sp = c.Run("SAVEPOINT flint_write");
        if (!sp.ok()) {
          failure = sp.error();
          break;
        }
        bool ok = w->run(c);
        if (!ok) {
          Result<void> undo = c.Run("ROLLBACK TO flint_write");
          if (!undo.ok()) {
            failure = undo.error();
            break;
          }
        }
        Result<void> release = c.Run("RELEASE flint_write");
        if (!release.ok()) {
          failure = release.error();
          break;
        }
      }
      if (!failure && commit) {
        if (!syncer_) {
          Result<void> committed = txn->Commit();
          if (!committed.ok()) failure = committed.error();
        } else {
          // Readers may see this commit from the moment COMMIT starts, so marks taken from
          // then on must cover it; the syncing thread may only count it once its frames are
          // written, i.e. once COMMIT has returned.
          const uint64_t seq = syncer_->BeginCommit();
          Result<void> committed = txn->Commit();
          if (!committed.ok()) failure = committed.error();
          syncer_->CommitWritten(seq);
        }
      }
      // On failure ~Transaction rolls the whole batch back; every caller gets the error. A
      // refused single write is rolled back the same way, with no error (its run() said why).
    }
  }

  lock.lock();
  for (PendingWrite* w : batch) {
    if (failure) w->batch_error = *failure;
    w->done = true;
  }
  leader_active_ = false;
  queue_cv_.notify_all();
}

}  // namespace flint::sa
