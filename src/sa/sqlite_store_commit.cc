// Group commit for SqliteStore writes (see Write in sqlite_store.h): with synchronous=FULL every
// COMMIT costs an fsync, so concurrent writes share one. In deferred mode COMMIT does not sync;
// the syncing thread (SyncLoop) fdatasyncs the WAL for every commit written so far, and the
// DurabilityBarrier tells callers when a commit is covered.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

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
  if (sync_failed_.load(std::memory_order_acquire)) {
    failure = core::Err(core::ErrorType::kInternal,
                        "sqlite: an earlier fdatasync of the WAL failed; refusing writes");
  } else {
    std::lock_guard writer_lock(write_mu_);
    sqlite::Connection& c = *writer_;
    // synchronous=FULL fsyncs the WAL at commit; NORMAL does not (WAL mode keeps it consistent).
    // Deferred mode always runs NORMAL and leaves the sync to SyncLoop.
    if (!deferred_sync_ && durable != writer_synced_) {
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
        if (!deferred_sync_) {
          Result<void> committed = txn->Commit();
          if (!committed.ok()) failure = committed.error();
        } else {
          // Readers may see this commit from the moment COMMIT starts, so marks taken from
          // then on must cover it; the syncing thread may only count it once its frames are
          // written, i.e. once COMMIT has returned.
          const uint64_t seq = visible_seq_.load(std::memory_order_relaxed) + 1;
          visible_seq_.store(seq, std::memory_order_release);
          Result<void> committed = txn->Commit();
          if (!committed.ok()) failure = committed.error();
          {
            std::lock_guard sync_lock(sync_mu_);
            written_seq_ = seq;
          }
          sync_cv_.notify_one();
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

uint64_t SqliteStore::Mark() const { return visible_seq_.load(std::memory_order_acquire); }

void SqliteStore::WhenDurable(uint64_t mark, std::function<void(bool durable)> done) {
  bool answer = true;
  {
    std::lock_guard lock(sync_mu_);
    if (mark > durable_seq_) {
      if (!sync_failed_.load(std::memory_order_relaxed)) {
        sync_waiters_.emplace_back(mark, std::move(done));
        return;
      }
      answer = false;
    }
  }
  done(answer);
}

void SqliteStore::SyncLoop() {
  std::unique_lock lock(sync_mu_);
  for (;;) {
    sync_cv_.wait(lock, [this] {
      return sync_stop_ ||
             (written_seq_ > durable_seq_ && !sync_failed_.load(std::memory_order_relaxed));
    });
    if (written_seq_ == durable_seq_ || sync_failed_.load(std::memory_order_relaxed)) break;
    const uint64_t target = written_seq_;
    lock.unlock();
    const bool ok = SyncWal();
    lock.lock();
    std::vector<std::pair<uint64_t, std::function<void(bool)>>> ready;
    if (ok) {
      durable_seq_ = target;
      auto pending = sync_waiters_.begin();
      for (auto& w : sync_waiters_) {
        if (w.first <= target) {
          ready.push_back(std::move(w));
        } else {
          *pending++ = std::move(w);
        }
      }
      sync_waiters_.erase(pending, sync_waiters_.end());
    } else {
      sync_failed_.store(true, std::memory_order_release);
      ready = std::move(sync_waiters_);
      sync_waiters_.clear();
    }
    lock.unlock();
    for (auto& w : ready) w.second(ok);
    lock.lock();
  }
  // Nothing is in flight at destruction, so no mark is left uncovered; answer any waiter anyway.
  std::vector<std::pair<uint64_t, std::function<void(bool)>>> left = std::move(sync_waiters_);
  sync_waiters_.clear();
  const uint64_t durable = durable_seq_;
  lock.unlock();
  for (auto& w : left) w.second(w.first <= durable);
}

bool SqliteStore::SyncWal() {
  int err = 0;
  if (sync_wal_) {
    err = sync_wal_(wal_fd_);
  } else {
    while (fdatasync(wal_fd_) != 0) {
      if (errno != EINTR) {
        err = errno;
        break;
      }
    }
  }
  if (err != 0) {
    spdlog::error("sqlite: syncing the WAL failed: {}; refusing further writes",
                  std::strerror(err));
    return false;
  }
  return true;
}

}  // namespace flint::sa
