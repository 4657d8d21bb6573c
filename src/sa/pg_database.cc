#include "sa/pg_database.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

namespace flint::sa::pg {

namespace {

core::Error Unavailable(std::string detail) {
  return core::Err(core::ErrorType::kUnavailable, std::move(detail));
}

std::string TrimMessage(std::string m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// Enough of the statement to tell which one failed, in logs.
std::string Excerpt(const char* sql) {
  std::string s(sql);
  if (s.size() > 60) s = s.substr(0, 60) + "...";
  return s;
}

}  // namespace

// --- Params ---

Params& Params::Text(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}

Params& Params::Int(int64_t v) { return Text(std::to_string(v)); }

Params& Params::Bytes(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  formats_.push_back(1);
  return *this;
}

Params& Params::OptionalInt(const std::optional<int64_t>& v) {
  if (v) return Int(*v);
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(0);
  return *this;
}

Params& Params::OptionalText(const std::optional<std::string>& v) {
  if (v) return Text(*v);
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> Params::Values() const {
  std::vector<const char*> out;
  for (size_t i = 0; i < values_.size(); ++i) out.push_back(null_[i] ? nullptr : values_[i].data());
  return out;
}

std::vector<int> Params::Lengths() const {
  std::vector<int> out;
  for (const std::string& v : values_) out.push_back(static_cast<int>(v.size()));
  return out;
}

// --- Rows ---

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = std::exchange(other.res_, nullptr);
  }
  return *this;
}

Rows::~Rows() {
  if (res_ != nullptr) PQclear(res_);
}

int64_t Rows::affected() const {
  const char* n = PQcmdTuples(res_);
  return (n == nullptr || *n == '\0') ? 0 : std::strtoll(n, nullptr, 10);
}

std::string Rows::Text(int row, int col) const {
  return std::string(PQgetvalue(res_, row, col), PQgetlength(res_, row, col));
}

int64_t Rows::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(res_, row, col), nullptr, 10);
}

std::string Rows::Bytes(int row, int col) const {
  size_t len = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_, row, col)), &len);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), len);
  PQfreemem(raw);
  return out;
}

std::optional<int64_t> Rows::OptionalInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

std::optional<std::string> Rows::OptionalText(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Text(row, col);
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& uri,
                                                     std::chrono::seconds connect_timeout) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string detail = parse_error != nullptr ? TrimMessage(parse_error) : "out of memory";
    if (parse_error != nullptr) PQfreemem(parse_error);
    return core::Err(core::ErrorType::kInternal, "postgres: bad connection URI: " + detail);
  }
  PQconninfoFree(parsed);
  // Keywords after "dbname" override the URI's own; those before it are defaults it may override.
  // TCP keepalives notice a server that vanished mid-query (a partition) within about 25 s.
  const std::string timeout = std::to_string(std::max<int64_t>(1, connect_timeout.count()));
  const char* keys[] = {"application_name",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "dbname",
                        "connect_timeout",
                        nullptr};
  const char* values[] = {"flint", "10", "5", "3", uri.c_str(), timeout.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Unavailable("postgres: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string detail = TrimMessage(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable("postgres: cannot connect: " + detail);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

core::Error Connection::Fail(const PGresult* res, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  std::string message = res != nullptr ? PQresultErrorMessage(res) : "";
  if (message.empty()) message = PQerrorMessage(conn_);
  const std::string& s = last_sqlstate_;
  // Connection exceptions (08), the server shutting down (57P01-57P03), and a read-only
  // transaction (a primary demoted under us: a fresh connection reaches the new one).
  const bool lost = res == nullptr || PQstatus(conn_) == CONNECTION_BAD || s.starts_with("08") ||
                    s == "57P01" || s == "57P02" || s == "57P03" || s == "25006";
  if (lost) broken_ = true;
  core::ErrorType type = core::ErrorType::kInternal;
  if (lost || s == "53300" || s == "40001" || s == "40P01") {
    type = core::ErrorType::kUnavailable;  // the last two once retries are exhausted
  } else if (s == "23505") {
    type = core::ErrorType::kConflict;
  } else if (s == "23503") {
    type = core::ErrorType::kNotFound;  // a row refers to one that does not exist (as SQLite)
  }
  std::string detail = "postgres: " + std::string(what) + ": ";
  if (!s.empty()) detail += "[" + s + "] ";
  return core::Err(type, detail + TrimMessage(message));
}

Result<Rows> Connection::Exec(const char* sql, const Params& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "flint_" + std::to_string(prepared_.size());
    Rows prepared(PQprepare(conn_, name.c_str(), sql, 0, nullptr));
    const PGresult* r = prepared.get();
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) {
      return Fail(r, "prepare " + Excerpt(sql));
    }
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values = params.Values();
  std::vector<int> lengths = params.Lengths();
  Rows rows(PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), lengths.data(),
                           params.Formats().data(), /*resultFormat=*/0));
  const PGresult* r = rows.get();
  ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return Fail(r, Excerpt(sql));
  return rows;
}

Result<void> Connection::Script(const char* sql) {
  Rows rows(PQexec(conn_, sql));
  const PGresult* r = rows.get();
  ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return Fail(r, Excerpt(sql));
  return core::Ok();
}

bool Connection::reusable() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

// --- Database ---

Result<std::unique_ptr<Database>> Database::Open(const std::string& uri, DatabaseOptions options) {
  if (options.connections < 1) options.connections = 1;
  std::unique_ptr<Database> db(new Database(uri, options));
  FLINT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first,
                         Connection::Open(uri, options.connect_timeout));
  db->idle_.push_back(std::move(first));
  db->open_ = 1;
  return db;
}

Database::~Database() = default;

Database::Lease::~Lease() {
  if (conn_) db_->Release(std::move(conn_));
}

Result<Database::Lease> Database::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.connections; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  Result<std::unique_ptr<Connection>> conn = Connection::Open(uri_, options_.connect_timeout);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    lock.unlock();
    cv_.notify_one();
    return std::move(conn).error();
  }
  return Lease(this, std::move(*conn));
}

void Database::Release(std::unique_ptr<Connection> conn) {
  std::vector<std::unique_ptr<Connection>> dropped;  // closed outside the lock
  {
    std::lock_guard lock(mu_);
    if (conn->reusable()) {
      idle_.push_back(std::move(conn));
    } else {
      if (conn->broken()) {
        // The idle ones most likely talk to the same lost server: open fresh ones on demand.
        open_ -= static_cast<int>(idle_.size());
        dropped = std::move(idle_);
        idle_.clear();
      }
      --open_;
      dropped.push_back(std::move(conn));
    }
  }
  cv_.notify_all();
}

bool Database::Retryable(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

void Database::Backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  // Exponential, 2 ms to 64 ms: contending transactions spread out instead of colliding again.
  const int ceiling_us = 1000 << std::min(attempt, 6);
  std::uniform_int_distribution<int> jitter(ceiling_us / 4, ceiling_us);
  std::this_thread::sleep_for(std::chrono::microseconds(jitter(rng)));
}

}  // namespace flint::sa::pg
