#pragma once
// WalSyncer: deferred durability for a SQLite database in WAL mode (SqliteStore's deferred
// sync). Commits are written to the WAL without an fsync; one syncing thread fdatasyncs the WAL
// for every commit written so far, back to back, so one fsync covers however many commits
// arrived during the previous one. As a core::DurabilityBarrier it tells a front end when what
// a response reports is on stable storage.
//
// Commits are numbered in order; a mark is a commit number. The committer (the one writer,
// serialized by its caller) brackets each COMMIT:
//   uint64_t seq = syncer.BeginCommit();  // readers may see the commit from here on
//   ... COMMIT ...
//   syncer.CommitWritten(seq);            // its WAL frames are written: the thread may sync them
//
// A failed fdatasync is final (after one, the kernel may have dropped the pages, and a retry
// cannot tell): waiters get false, Failed() turns true, and the committer must refuse further
// writes. Thread-safe; Mark() and BeginCommit() are an atomic load or store.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/durability.h"

namespace flint::sa {

class WalSyncer final : public core::DurabilityBarrier {
 public:
  // Takes ownership of `wal_fd`, a descriptor of the WAL file that the writer connection keeps
  // open for the syncer's lifetime (so it is the inode the frames go to). `sync_wal` makes it
  // durable, returning 0 or an errno; empty: fdatasync. Starts the syncing thread.
  WalSyncer(int wal_fd, std::function<int(int fd)> sync_wal);
  // Syncs whatever was written and not yet synced, answers every waiter, then closes wal_fd.
  // No commit may be in flight.
  ~WalSyncer() override;
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Called by the single committer just before COMMIT: marks taken from now on cover it.
  uint64_t BeginCommit() {
    const uint64_t seq = visible_seq_.load(std::memory_order_relaxed) + 1;
    visible_seq_.store(seq, std::memory_order_release);
    return seq;
  }
  // Called after COMMIT returned (committed or not: a failed COMMIT leaves nothing to sync
  // beyond what an fdatasync covers anyway).
  void CommitWritten(uint64_t seq);
  // True once an fdatasync has failed.
  bool Failed() const { return sync_failed_.load(std::memory_order_acquire); }

  // core::DurabilityBarrier
  uint64_t Mark() const override { return visible_seq_.load(std::memory_order_acquire); }
  void WhenDurable(uint64_t mark, std::function<void(bool durable)> done) override;

 private:
  void SyncLoop();
  bool SyncWal();

  const int wal_fd_;
  const std::function<int(int fd)> sync_wal_;
  // The last commit any reader may have seen: bumped before its COMMIT starts, by the committer.
  std::atomic<uint64_t> visible_seq_{0};
  std::atomic<bool> sync_failed_{false};  // set once, under mu_
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t written_seq_ = 0;  // guarded by mu_: commits whose WAL frames are all written
  uint64_t durable_seq_ = 0;  // guarded by mu_: commits fdatasynced
  bool stop_ = false;         // guarded by mu_
  std::vector<std::pair<uint64_t, std::function<void(bool)>>> waiters_;  // guarded by mu_
  std::thread thread_;  // last: starts once everything above is constructed
};

}  // namespace flint::sa
