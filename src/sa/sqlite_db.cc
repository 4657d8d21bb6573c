#include "sa/sqlite_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace flint::sa::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;

core::Error Internal(std::string detail) {
  return core::Err(core::ErrorType::kInternal, std::move(detail));
}

// The store holds EAB HMAC keys and every subscriber's data: owner-only, whatever the umask or
// the mode of the directory. SQLite creates `-wal` and `-shm` with the mode of the database
// file, so making the database file 0600 before SQLite opens it covers all three; files left
// wider by an older flint are narrowed here too.
Result<void> MakeStoreFilesPrivate(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return core::Ok();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Internal("sqlite: open " + path + ": " + std::strerror(errno));
  }
  const int rc = ::fchmod(fd, 0600);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return Internal("sqlite: chmod " + path + ": " + std::strerror(saved));
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string side = path + suffix;
    struct stat st {};
    if (::lstat(side.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0 &&
        ::chmod(side.c_str(), 0600) != 0) {
      return Internal("sqlite: chmod " + side + ": " + std::strerror(errno));
    }
  }
  return core::Ok();
}

}  // namespace

core::Error ErrorFromSqlite(sqlite3* db, int rc, std::string_view what) {
  std::string detail = "sqlite: " + std::string(what) + ": ";
  detail += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return core::Err(core::ErrorType::kConflict, std::move(detail));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return core::Err(core::ErrorType::kNotFound, std::move(detail));
    default:
      return Internal(std::move(detail));
  }
}

// --- Statement ---

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_), bind_rc_(other.bind_rc_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  NoteBind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  NoteBind(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return ErrorFromSqlite(db_, bind_rc_, "bind");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorFromSqlite(db_, rc, "step");
}

Result<void> Statement::Run() {
  while (true) {
    FLINT_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return core::Ok();
  }
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<int64_t> Statement::OptionalInt(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return Int(col);
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> Statement::OptionalText(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return Text(col);
}

std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Mode mode) {
  // SQLite counts every allocation under one process-wide mutex unless told not to, which the
  // threads contend on; flint never reads those counters. Only possible before SQLite
  // initializes (the first open); if something initialized it earlier, the counters stay on.
  static const int kMemStatusOff = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kMemStatusOff;
  if (mode == Mode::kReadWrite) FLINT_TRY(MakeStoreFilesPrivate(path));
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    core::Error e = ErrorFromSqlite(db, rc, "open " + path);
    sqlite3_close_v2(db);
    return e;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // Hardening: no schema-borne functions, no writes to sqlite_schema through SQL.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  FLINT_TRY(conn->Exec("PRAGMA foreign_keys = ON"));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached->stmt);
  sqlite3_close_v2(db_);
}

Result<void> Connection::Exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return core::Ok();
  std::string detail = std::string("sqlite: exec: ") + (message ? message : sqlite3_errstr(rc));
  sqlite3_free(message);
  core::Error e = ErrorFromSqlite(db_, rc, "exec");
  e.detail = std::move(detail);
  return e;
}

Result<void> Connection::Run(const char* sql) {
  FLINT_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  return stmt.Run();
}

Result<std::string> Connection::QueryText(const char* sql) {
  FLINT_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  FLINT_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal(std::string("sqlite: no row from ") + sql);
  return stmt.Text(0);
}

Result<Statement> Connection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto cached = std::make_unique<Cached>();
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &cached->stmt, nullptr);
    if (rc != SQLITE_OK) return ErrorFromSqlite(db_, rc, "prepare");
    it = cache_.emplace(sql, std::move(cached)).first;
  }
  Cached& c = *it->second;
  if (c.in_use) return Internal(std::string("sqlite: statement already in use: ") + sql);
  c.in_use = true;
  return Statement(db_, c.stmt, &c.in_use);
}

int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

// --- Transaction ---

Result<Transaction> Transaction::Begin(Connection& conn, Kind kind) {
  FLINT_TRY(conn.Run(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ != nullptr) (void)conn_->Run("ROLLBACK");
}

Result<void> Transaction::Commit() {
  Result<void> r = conn_->Run("COMMIT");
  // On failure the destructor still rolls back (a failed COMMIT may leave the transaction open).
  if (r.ok()) conn_ = nullptr;
  return r;
}

// --- ConnectionPool ---

ConnectionPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::Open(const std::string& path, int size) {
  auto pool = std::make_unique<ConnectionPool>();
  for (int i = 0; i < size; ++i) {
    FLINT_ASSIGN_OR_RETURN(auto conn, Connection::Open(path, Connection::Mode::kReadOnly));
    FLINT_TRY(conn->Exec("PRAGMA query_only = ON"));
    pool->idle_.push_back(std::move(conn));
  }
  return pool;
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock lock(mu_);
  available_.wait(lock, [this] { return !idle_.empty(); });
  std::unique_ptr<Connection> conn = std::move(idle_.back());
  idle_.pop_back();
  return Lease(this, std::move(conn));
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

}  // namespace flint::sa::sqlite
