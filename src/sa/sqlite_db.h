#pragma once
// A thin RAII layer over the SQLite C API, used only by SqliteStore: a connection that caches its
// prepared statements, a statement handle that resets itself when dropped, transactions that roll
// back unless committed, and a small pool of read-only connections.
//
// SQL text is always a constant with static storage duration (the statement cache is keyed by its
// address); client data reaches SQLite only as bound parameters, never as SQL text.
//
// A Connection is not thread-safe: it is used by one thread at a time (SqliteStore's writer mutex
// or the ConnectionPool lease guarantees that).

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace flint::sa::sqlite {

using core::Result;

// Maps a failed SQLite call to a core::Error: kConflict for a UNIQUE or PRIMARY KEY violation,
// kNotFound for a FOREIGN KEY violation (a referenced id does not exist), kInternal otherwise.
// The detail carries SQLite's message; it is for logs, never for clients.
core::Error ErrorFromSqlite(sqlite3* db, int rc, std::string_view what);

// One cached prepared statement, borrowed for one use. Binding errors are remembered and
// reported by the next Step(). Dropping the handle resets the statement and clears its bindings.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use)
      : db_(db), stmt_(stmt), in_use_(in_use) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in the SQL text (?1, ?2, ...).
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<int64_t>& value);
  Statement& Bind(int index, const std::optional<std::string>& text);

  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion, ignoring any rows.
  Result<void> Run();

  // Column accessors for the current row; columns are 0-based.
  int64_t Int(int col) const;
  std::optional<int64_t> OptionalInt(int col) const;
  std::string Text(int col) const;
  std::optional<std::string> OptionalText(int col) const;
  std::string Blob(int col) const;

 private:
  void NoteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  int bind_rc_ = 0;  // SQLITE_OK
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (creating if needed, in kReadWrite mode) the database at `path` with extended result
  // codes, foreign keys on, a busy timeout, and defensive settings. Journal mode and
  // synchronous are the caller's business (they are per database / per connection policy).
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs constant SQL (DDL, pragmas, several statements) with no parameters, compiling it anew
  // each time: for set-up and migrations.
  Result<void> Exec(const char* sql);
  // Runs one constant statement with no parameters (BEGIN, COMMIT, SAVEPOINT, a pragma) through
  // the statement cache, so that the hot paths do not parse SQL per transaction. `sql` must have
  // static storage duration.
  Result<void> Run(const char* sql);
  // Runs a constant single-row, single-column query (e.g. "PRAGMA user_version").
  Result<std::string> QueryText(const char* sql);
  // A cached prepared statement for `sql`, which must have static storage duration. Fails with
  // kInternal if the same statement is already borrowed (nested use is a bug).
  Result<Statement> Prepare(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;
  int64_t LastInsertRowId() const;

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Cached>> cache_;
};

// A transaction on one connection: kRead issues BEGIN (a consistent snapshot in WAL mode),
// kWrite BEGIN IMMEDIATE (takes the database's write lock up front, waiting up to the busy
// timeout, so a transaction never fails half way for lock upgrade reasons). Rolls back on
// destruction unless Commit() succeeded.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  static Result<Transaction> Begin(Connection& conn, Kind kind);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // COMMIT. With synchronous=FULL in WAL mode, success means the write is on stable storage.
  Result<void> Commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed or rolled back
};

// A fixed set of read-only connections, lent out one per reader. Thread-safe.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  static Result<std::unique_ptr<ConnectionPool>> Open(const std::string& path, int size);
  // Blocks until a connection is free.
  Lease Acquire();

 private:
  void Release(std::unique_ptr<Connection> conn);

  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // Guarded by mu_.
};

}  // namespace flint::sa::sqlite
