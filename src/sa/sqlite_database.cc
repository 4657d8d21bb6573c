// sqlite::Database: opening, and group commit (see Write in sqlite_database.h). With
// synchronous=FULL every COMMIT costs an fsync, so concurrent writes share one. In deferred mode
// COMMIT does not sync; the WalSyncer (wal_syncer.h) numbers each commit and fdatasyncs the WAL
// behind them.
#include "sa/sqlite_database.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

#include "sa/sqlite_schema.h"

namespace flint::sa::sqlite {
namespace {

// A batch is bounded so one leader does not hold back its own caller for too long.
constexpr size_t kMaxBatch = 128;

core::Error Internal(std::string detail) {
  return core::Err(core::ErrorType::kInternal, std::move(detail));
}

// WAL lets readers proceed during a write; synchronous=FULL fsyncs the WAL at every commit, so a
// reported write survives power loss. Both are verified, not assumed.
Result<void> ConfigureWriter(Connection& c) {
  FLINT_ASSIGN_OR_RETURN(std::string mode, c.QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") return Internal("sqlite: cannot enable WAL mode (got " + mode + ")");
  FLINT_TRY(c.Exec("PRAGMA synchronous = FULL"));
  FLINT_ASSIGN_OR_RETURN(std::string sync, c.QueryText("PRAGMA synchronous"));
  if (sync != "2") return Internal("sqlite: cannot set synchronous = FULL");
  return core::Ok();
}

}  // namespace

core::Result<std::unique_ptr<Database>> Database::Open(
    const std::string& path, DatabaseOptions options,
    const std::function<core::Result<void>(Connection&)>& first_write) {
  if (path.empty() || path == ":memory:") {
    return Internal("sqlite: the store needs a database file, not '" + path + "'");
  }
  FLINT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                         Connection::Open(path, Connection::Mode::kReadWrite));
  FLINT_TRY(ConfigureWriter(*writer));
  FLINT_TRY(Migrate(*writer));
  if (first_write) FLINT_TRY(first_write(*writer));
  int wal_fd = -1;
  if (options.deferred_sync) {
    // Commits stop fsyncing; the WalSyncer does it for them. WAL mode keeps the database
    // consistent either way; NORMAL still syncs around checkpoints.
    FLINT_TRY(writer->Exec("PRAGMA synchronous = NORMAL"));
    FLINT_ASSIGN_OR_RETURN(std::string sync, writer->QueryText("PRAGMA synchronous"));
    if (sync != "1") return Internal("sqlite: cannot set synchronous = NORMAL");
    // The writer has the WAL open since its first transaction above and keeps it until it closes.
    const std::string wal_path = path + "-wal";
    wal_fd = open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd < 0) {
      return Internal("sqlite: cannot open " + wal_path + " to sync it: " + std::strerror(errno));
    }
  }
  auto readers = ConnectionPool::Open(path, options.reader_connections);
  if (!readers.ok()) {
    if (wal_fd >= 0) close(wal_fd);
    return std::move(readers).error();
  }
  return std::unique_ptr<Database>(new Database(std::move(writer), std::move(readers).value(),
                                                wal_fd, std::move(options.sync_wal)));
}

Database::Database(std::unique_ptr<Connection> writer, std::unique_ptr<ConnectionPool> readers,
                   int wal_fd, std::function<int(int fd)> sync_wal)
    : writer_(std::move(writer)),
      readers_(std::move(readers)),
      syncer_(wal_fd >= 0 ? std::make_unique<WalSyncer>(wal_fd, std::move(sync_wal)) : nullptr) {}

// The syncer's last sync runs while the writer connection still holds the WAL open.
Database::~Database() { syncer_.reset(); }

void Database::LeadBatch(std::unique_lock<std::mutex>& lock) {
  leader_active_ = true;
  std::vector<PendingWrite*> batch;
  while (!queue_.empty() && batch.size() < kMaxBatch) {
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  lock.unlock();
  const std::optional<core::Error> failure = WriteBatch(batch);
  lock.lock();
  for (PendingWrite* w : batch) {
    if (failure) w->batch_error = *failure;
    w->done = true;
  }
  leader_active_ = false;
  queue_cv_.notify_all();
}

std::optional<core::Error> Database::WriteBatch(const std::vector<PendingWrite*>& batch) {
  if (syncer_ && syncer_->Failed()) {
    return core::Err(core::ErrorType::kInternal,
                     "sqlite: an earlier fdatasync of the WAL failed; refusing writes");
  }
  const bool durable =
      std::any_of(batch.begin(), batch.end(), [](const PendingWrite* w) { return w->durable; });
  std::lock_guard writer_lock(write_mu_);
  Connection& c = *writer_;
  // synchronous=FULL fsyncs the WAL at commit; NORMAL does not (WAL mode keeps it consistent).
  // Deferred mode always runs NORMAL and leaves the sync to the WalSyncer.
  if (!syncer_ && durable != writer_synced_) {
    Result<void> set = c.Run(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (set.ok()) writer_synced_ = durable;
  }
  if (durable && !writer_synced_) {
    return core::Err(core::ErrorType::kInternal, "sqlite: cannot set synchronous = FULL");
  }
  // On any failure below, ~Transaction rolls the whole batch back and every caller gets the
  // error.
  auto txn = Transaction::Begin(c, Transaction::Kind::kWrite);
  if (!txn.ok()) return txn.error();
  if (batch.size() == 1) {
    // A batch of one needs no savepoint: a refused write rolls the transaction back instead,
    // with no error (its run() said why).
    if (!batch.front()->run(c)) return std::nullopt;
  } else {
    for (PendingWrite* w : batch) {
      if (std::optional<core::Error> e = RunIsolated(c, *w)) return e;
    }
  }
  return CommitBatch(*txn);
}

// Each write of a batch is isolated by a savepoint: a refused compare-and-set or any other error
// undoes that write alone.
std::optional<core::Error> Database::RunIsolated(Connection& c, PendingWrite& w) {
  if (Result<void> sp = c.Run("SAVEPOINT flint_write"); !sp.ok()) return sp.error();
  if (!w.run(c)) {
    if (Result<void> undo = c.Run("ROLLBACK TO flint_write"); !undo.ok()) return undo.error();
  }
  if (Result<void> release = c.Run("RELEASE flint_write"); !release.ok()) return release.error();
  return std::nullopt;
}

std::optional<core::Error> Database::CommitBatch(Transaction& txn) {
  if (!syncer_) {
    Result<void> committed = txn.Commit();
    if (!committed.ok()) return committed.error();
    return std::nullopt;
  }
  // Readers may see this commit from the moment COMMIT starts, so marks taken from then on
  // must cover it; the syncing thread may only count it once its frames are written, i.e. once
  // COMMIT has returned.
  const uint64_t seq = syncer_->BeginCommit();
  Result<void> committed = txn.Commit();
  syncer_->CommitWritten(seq);
  if (!committed.ok()) return committed.error();
  return std::nullopt;
}

}  // namespace flint::sa::sqlite
