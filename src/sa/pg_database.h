#pragma once
// pg::Database: the engine under PgStore and PgNonceStore. A bounded pool of libpq connections,
// statements prepared once per connection, transactions retried on serialization failures, and
// libpq/SQLSTATE errors mapped to core::ErrorType. The SQL of each intent lives with the objects
// that use it. Private to sa.
//
// Errors (every method returning Result):
//   - kUnavailable: the server cannot be reached, the connection was lost, the server is shutting
//     down (SQLSTATE 57P0x), too many connections (53300), or the transaction is read-only
//     (25006: a demoted primary behind a proxy). The connection is then discarded (and every idle
//     one with it: they most likely point at the same dead server) and a fresh one is opened on
//     next use, so the store recovers by itself once the database is back.
//   - kConflict: unique_violation (23505); kNotFound: foreign_key_violation (23503), a reference
//     to a row that does not exist (as SqliteStore).
//   - kInternal: anything else, with the server's message in the detail (never sent to clients).
//
// Thread-safe. Store methods are blocking and called from worker threads: a caller waits while
// every pooled connection is busy.

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"

namespace flint::sa::pg {

using core::Result;

// Positional parameters $1..$n of one statement, in order. Values travel out of band (never
// spliced into SQL): text format, except bytea in binary format.
class Params {
 public:
  Params& Text(std::string_view v);
  Params& Int(int64_t v);
  Params& Bool(bool v) { return Text(v ? "true" : "false"); }
  Params& Bytes(std::string_view v);  // bytea
  Params& OptionalInt(const std::optional<int64_t>& v);
  Params& OptionalText(const std::optional<std::string>& v);

  int size() const { return static_cast<int>(values_.size()); }
  // For PQexecPrepared; valid while this object is unchanged.
  std::vector<const char*> Values() const;
  std::vector<int> Lengths() const;
  const std::vector<int>& Formats() const { return formats_; }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;
};

// The rows (or the affected-row count) of one statement, in text format. Owns its PGresult.
class Rows {
 public:
  explicit Rows(PGresult* res) : res_(res) {}
  Rows(Rows&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  const PGresult* get() const { return res_; }  // null if libpq returned none
  int size() const { return PQntuples(res_); }
  bool empty() const { return size() == 0; }
  // Rows an INSERT/UPDATE/DELETE changed (for INSERT ... ON CONFLICT, inserted or updated).
  int64_t affected() const;

  bool IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }
  std::string Bytes(int row, int col) const;  // a bytea column
  std::optional<int64_t> OptionalInt(int row, int col) const;
  std::optional<std::string> OptionalText(int row, int col) const;

 private:
  PGresult* res_;
};

// One server connection and the statements prepared on it. Not thread-safe: used by one caller
// at a time (a pool lease).
class Connection {
 public:
  // kUnavailable if the server cannot be reached within `connect_timeout` (libpq's
  // connect_timeout, per address tried).
  static Result<std::unique_ptr<Connection>> Open(const std::string& uri,
                                                  std::chrono::seconds connect_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (a string constant with static storage and $n placeholders: it is cached by
  // address) as a prepared statement, preparing it on first use on this connection.
  Result<Rows> Exec(const char* sql, const Params& params = {});
  // Runs `sql` (transaction control, or the constant script of a migration) unprepared; it may
  // hold several statements and no parameters.
  Result<void> Script(const char* sql);

  // The connection cannot be used again (lost, or the server refuses it work).
  bool broken() const { return broken_; }
  // Not broken, and outside any transaction: fit to go back to the pool.
  bool reusable() const;
  // SQLSTATE of the last failed statement since ClearError(); empty if none or not known.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  void ClearError() { last_sqlstate_.clear(); }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // Records and classifies the failure of a statement (`res` may be null).
  core::Error Fail(const PGresult* res, std::string_view what);

  PGconn* conn_;
  bool broken_ = false;
  std::string last_sqlstate_;
  std::unordered_map<const char*, std::string> prepared_;  // SQL constant -> statement name
};

struct DatabaseOptions {
  int connections = 8;
  std::chrono::seconds connect_timeout{5};
};

// How a write transaction is isolated.
enum class Isolation {
  // The default for writes: every transition stays correct under concurrent writers in many
  // processes, including conditions over other tables (EXISTS ...), which READ COMMITTED does not
  // recheck after waiting for a row lock.
  kSerializable,
  // For writes whose every condition is on the rows they write (compare-and-set UPDATEs, which
  // READ COMMITTED rechecks on the latest row version after waiting for its lock), inserts
  // guarded by unique keys, upserts, and queue claims with FOR UPDATE SKIP LOCKED. Under load
  // SERIALIZABLE's predicate locks on shared index pages make such transactions fail and retry
  // for nothing (measured: order creation through two instances at 16 clients exhausted its
  // retries), so the hot paths that allow it use this.
  kReadCommitted,
};

class Database {
 public:
  // Opens one connection to check the server is there (kUnavailable otherwise); more are opened
  // on demand, up to options.connections.
  static Result<std::unique_ptr<Database>> Open(const std::string& uri, DatabaseOptions options);
  ~Database();

  // Runs `fn(Connection&)` (returning a Result) in one transaction (SERIALIZABLE unless
  // `isolation` says otherwise) and commits it if `fn` succeeds (rolls back otherwise); `fn` may
  // run several times, so it must not consume its captures. On serialization failure (40001) or deadlock (40P01) the
  // whole transaction is retried, up to kMaxAttempts times with jittered backoff. On a lost
  // connection before COMMIT was sent (nothing was written) it is retried once on a fresh
  // connection; when COMMIT itself is lost the outcome is unknown and kUnavailable is returned,
  // never a blind retry.
  template <typename Fn>
  auto Write(Fn&& fn) {
    return Write(Isolation::kSerializable, std::forward<Fn>(fn));
  }
  template <typename Fn>
  auto Write(Isolation isolation, Fn&& fn);
  // Runs `fn` in one REPEATABLE READ READ ONLY transaction (a consistent snapshot across its
  // statements); retried once on a fresh connection if the connection was lost.
  template <typename Fn>
  auto Read(Fn&& fn) {
    return RunRead(/*one_statement=*/false, std::forward<Fn>(fn));
  }
  // Read for an `fn` that runs a single statement (a consistent snapshot by itself): no
  // transaction around it, so one round trip instead of three.
  template <typename Fn>
  auto ReadOne(Fn&& fn) {
    return RunRead(/*one_statement=*/true, std::forward<Fn>(fn));
  }

  // With Backoff's waits, the last attempt starts at most about 0.6 s after the first.
  static constexpr int kMaxAttempts = 16;

 private:
  class Lease {
   public:
    Lease(Database* db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    ~Lease();
    Connection& operator*() { return *conn_; }

   private:
    Database* db_;
    std::unique_ptr<Connection> conn_;
  };

  Database(std::string uri, DatabaseOptions options) : uri_(std::move(uri)), options_(options) {}
  // Waits for an idle connection or room to open one.
  Result<Lease> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  // A transaction that failed with `sqlstate` was rolled back and may be run again as a whole.
  static bool Retryable(const std::string& sqlstate);
  static void Backoff(int attempt);
  template <typename Fn>
  auto RunRead(bool one_statement, Fn&& fn);

  const std::string uri_;
  const DatabaseOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  int open_ = 0;                                   // connections idle or leased; guarded by mu_
};

template <typename Fn>
auto Database::Write(Isolation isolation, Fn&& fn) {
  using R = std::invoke_result_t<Fn&, Connection&>;
  const char* begin = isolation == Isolation::kSerializable
                          ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                          : "BEGIN ISOLATION LEVEL READ COMMITTED";
  bool reconnected = false;
  bool back_off = false;  // before the next attempt, with no connection held
  for (int attempt = 1;; ++attempt) {
    if (std::exchange(back_off, false)) Backoff(attempt - 1);
    Result<Lease> lease = Acquire();
    if (!lease.ok()) return R(std::move(lease).error());
    Connection& c = **lease;
    c.ClearError();
    if (Result<void> b = c.Script(begin); !b.ok()) {
      if (c.broken() && !reconnected) {
        reconnected = true;
        continue;
      }
      return R(std::move(b).error());
    }
    R result = fn(c);
    if (result.ok()) {
      Result<void> commit = c.Script("COMMIT");
      if (commit.ok()) return result;
      // A serialization failure at COMMIT rolled the transaction back: safe to run it again.
      if (Retryable(c.last_sqlstate()) && attempt < kMaxAttempts) {
        back_off = true;
        continue;
      }
      if (c.broken()) {
        return R(core::Err(
            core::ErrorType::kUnavailable,
            "postgres: connection lost at COMMIT, outcome unknown: " + commit.error().detail));
      }
      return R(std::move(commit).error());
    }
    const std::string sqlstate = c.last_sqlstate();
    if (!c.broken()) (void)c.Script("ROLLBACK");
    if (Retryable(sqlstate) && attempt < kMaxAttempts) {
      back_off = true;
      continue;
    }
    // COMMIT was never sent, so the server rolled the transaction back with the connection.
    if (c.broken() && !reconnected) {
      reconnected = true;
      continue;
    }
    return result;
  }
}

template <typename Fn>
auto Database::RunRead(bool one_statement, Fn&& fn) {
  using R = std::invoke_result_t<Fn&, Connection&>;
  for (int attempt = 1;; ++attempt) {
    Result<Lease> lease = Acquire();
    if (!lease.ok()) return R(std::move(lease).error());
    Connection& c = **lease;
    c.ClearError();
    Result<void> begin =
        one_statement ? core::Ok() : c.Script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (begin.ok()) {
      R result = fn(c);
      if (result.ok() && !one_statement) {
        Result<void> commit = c.Script("COMMIT");
        if (!commit.ok()) result = R(std::move(commit).error());
      } else if (!result.ok() && !one_statement && !c.broken()) {
        (void)c.Script("ROLLBACK");
      }
      if (result.ok() || !c.broken() || attempt > 1) return result;
    } else if (!c.broken() || attempt > 1) {
      return R(std::move(begin).error());
    }
    // The connection was lost: a read is safe to run again, once, on a fresh one.
  }
}

}  // namespace flint::sa::pg
