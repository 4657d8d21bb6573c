#pragma once
// sqlite::Database: the engine under SqliteStore and SqliteNonceStore. One writer connection
// with group commit, a pool of read-only connections, and in deferred mode a WalSyncer; the
// SQL of each intent lives with the objects that use it. Private to sa.
//
// Write: the write joins a queue; one caller at a time (the leader) runs every queued write on
// the writer connection inside one BEGIN IMMEDIATE transaction, each in its own SAVEPOINT
// (rolled back alone if its `fn` fails), then COMMITs once (in immediate mode, one fsync for the
// batch) and wakes the others. Every caller returns only after its batch committed (and, in
// immediate mode, synced). A write that is not `durable` (a nonce record) needs no fsync of its
// own: a batch of only such writes commits with synchronous=NORMAL.
//
// Read: a consistent snapshot without queueing behind writes, on the writer connection when it
// is idle (its page cache survives its own commits) and otherwise on a pooled reader.
//
// Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/durability.h"
#include "core/result.h"
#include "sa/sqlite_db.h"
#include "sa/wal_syncer.h"

namespace flint::sa::sqlite {

struct DatabaseOptions {
  // Commit without fsync and let a WalSyncer sync behind (sqlite_store.h "Durability").
  bool deferred_sync = false;
  // Deferred sync: makes the WAL file durable, returning 0 or an errno. Empty: fdatasync.
  std::function<int(int fd)> sync_wal;
  int reader_connections = 4;
};

class Database {
 public:
  // Opens `path` (a file: readers use separate connections) in WAL mode, applies migrations,
  // runs `first_write` on the writer (it manages its own transaction), then sets up deferred
  // sync and the readers. kInternal if any step fails.
  static core::Result<std::unique_ptr<Database>> Open(
      const std::string& path, DatabaseOptions options,
      const std::function<core::Result<void>(Connection&)>& first_write);
  // Syncs what is still unsynced (deferred mode), then closes.
  ~Database();

  // Run `fn(Connection&)` (returning a Result) atomically; see above.
  template <typename Fn>
  auto Write(Fn&& fn) {
    return Write(/*durable=*/true, std::forward<Fn>(fn));
  }
  template <typename Fn>
  auto Write(bool durable, Fn&& fn);
  template <typename Fn>
  auto Read(Fn&& fn);

  // The WalSyncer in deferred mode; in immediate mode every mark is already durable.
  core::DurabilityBarrier& durability() {
    if (syncer_) return *syncer_;
    return always_durable_;
  }

 private:
  Database(std::unique_ptr<Connection> writer, std::unique_ptr<ConnectionPool> readers, int wal_fd,
           std::function<int(int fd)> sync_wal);

  // One queued write: runs its function inside a savepoint and records whether it succeeded.
  struct PendingWrite {
    std::function<bool(Connection&)> run;    // sets the caller's result; true if ok
    std::optional<core::Error> batch_error;  // the batch failed as a whole
    bool durable = true;
    bool done = false;
  };
  // Leads one batch: takes the queued writes, runs and commits them. Called with queue_mu_
  // held by `lock`; returns with it held.
  void LeadBatch(std::unique_lock<std::mutex>& lock);
  // Runs `batch` in one write transaction and commits it; the error that fails it as a whole.
  std::optional<core::Error> WriteBatch(const std::vector<PendingWrite*>& batch);
  std::optional<core::Error> RunIsolated(Connection& c, PendingWrite& w);
  std::optional<core::Error> CommitBatch(Transaction& txn);

  std::mutex write_mu_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite*> queue_;  // guarded by queue_mu_
  bool leader_active_ = false;       // guarded by queue_mu_
  // The only connection that writes. Guarded by write_mu_ (it and every statement cached on it).
  std::unique_ptr<Connection> writer_;
  bool writer_synced_ = true;  // the writer's synchronous is FULL; guarded by write_mu_
  std::unique_ptr<ConnectionPool> readers_;  // internally synchronized
  // Deferred sync: numbers the commits and syncs the WAL behind them; null in immediate mode.
  // Destroyed first (~Database), while the writer still holds the WAL open.
  std::unique_ptr<WalSyncer> syncer_;
  core::AlwaysDurable always_durable_;
};

template <typename Fn>
auto Database::Write(bool durable, Fn&& fn) {
  using R = std::invoke_result_t<Fn&, Connection&>;
  std::optional<R> result;
  PendingWrite w;
  w.durable = durable;
  w.run = [&](Connection& c) {
    result.emplace(fn(c));
    return result->ok();
  };
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&w);
  while (!w.done) {
    if (!leader_active_) {
      LeadBatch(lock);
    } else {
      queue_cv_.wait(lock);
    }
  }
  if (w.batch_error) return R(*w.batch_error);
  return std::move(*result);
}

template <typename Fn>
auto Database::Read(Fn&& fn) {
  using R = std::invoke_result_t<Fn&, Connection&>;
  auto run = [&fn](Connection& conn) -> R {
    auto txn = Transaction::Begin(conn, Transaction::Kind::kRead);
    if (!txn.ok()) return R(std::move(txn).error());
    R result = fn(conn);
    if (!result.ok()) return result;
    core::Result<void> done = txn->Commit();
    if (!done.ok()) return R(std::move(done).error());
    return result;
  };
  // The writer's page cache stays valid across its own commits, while a pooled reader drops its
  // whole cache whenever anyone committed; so read on the writer when it is idle.
  std::unique_lock writer_lock(write_mu_, std::try_to_lock);
  if (writer_lock.owns_lock()) return run(*writer_);
  ConnectionPool::Lease conn = readers_->Acquire();
  return run(*conn);
}

}  // namespace flint::sa::sqlite
