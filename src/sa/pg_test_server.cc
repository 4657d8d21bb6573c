#include "sa/pg_test_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace flint::sa::testing {

namespace {

// Where initdb and pg_ctl are: FLINT_TEST_PG_BIN, or Debian's PostgreSQL 15.
std::string BinDir() {
  const char* dir = std::getenv("FLINT_TEST_PG_BIN");
  return (dir != nullptr && *dir != '\0') ? dir : "/usr/lib/postgresql/15/bin";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command built from our own paths (no test input), throwing with `log`'s content.
void Run(const std::string& command, const std::string& log) {
  int rc = std::system(command.c_str());
  if (rc != 0) {
    throw std::runtime_error("PgTestServer: `" + command + "` failed (" + std::to_string(rc) +
                             "):\n" + ReadFile(log));
  }
}

std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

struct PgTestServer::Admin {
  std::mutex mu;
  PGconn* conn = nullptr;
  ~Admin() {
    if (conn != nullptr) PQfinish(conn);
  }
};

std::string WithSearchPath(const std::string& uri, const std::string& schema) {
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
  }
  return uri + " options='-csearch_path=" + schema + "'";
}

PgTestServer& PgTestServer::Get() {
  // Destroyed at exit, which stops and removes an owned cluster.
  static std::unique_ptr<PgTestServer> server = [] {
    std::unique_ptr<PgTestServer> s(new PgTestServer());
    s->admin_ = std::make_unique<Admin>();
    if (const char* uri = std::getenv("FLINT_TEST_PG_URI"); uri != nullptr && *uri != '\0') {
      s->base_uri_ = uri;
    } else {
      s->InitCluster();
    }
    return s;
  }();
  return *server;
}

void PgTestServer::InitCluster() {
  const std::string initdb = BinDir() + "/initdb";
  if (access(initdb.c_str(), X_OK) != 0) {
    throw std::runtime_error(
        "PgTestServer: PostgreSQL server binaries not found (no " + initdb +
        "). Install them (apt-get install postgresql-15, or scripts/deps.sh --test), point "
        "FLINT_TEST_PG_BIN at their directory, or set FLINT_TEST_PG_URI to a server to use.");
  }
  std::string tmpl = "/tmp/flint-pg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("PgTestServer: mkdtemp failed");
  dir_ = tmpl;
  // initdb refuses to run as root: the cluster belongs to the postgres user then.
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      throw std::runtime_error("PgTestServer: running as root and no `postgres` user exists");
    }
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("PgTestServer: chown of " + dir_ + " failed");
    }
  }
  const std::string log = dir_ + "/initdb.log";
  Run((geteuid() == 0 ? "runuser -u postgres -- " : "") + initdb + " -D " + dir_ +
          "/data -A trust -U postgres -E UTF8 --no-sync >" + log + " 2>&1",
      log);
  base_uri_ = "postgresql:///postgres?host=" + PercentEncode(dir_) + "&user=postgres";
  Start();
}

void PgTestServer::PgCtl(const std::string& action) {
  const std::string log = dir_ + "/pg_ctl.log";
  // Options: a test cluster trades durability for speed, and listens on its socket alone.
  Run((geteuid() == 0 ? "runuser -u postgres -- " : "") + BinDir() + "/pg_ctl -D " + dir_ +
          "/data -l " + dir_ + "/server.log -w -t 60 -m fast " +
          "-o \"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
          "-c listen_addresses='' -c unix_socket_directories=" +
          dir_ + " -c max_connections=300\" " + action + " >" + log + " 2>&1",
      log);
}

void PgTestServer::Start() { PgCtl("start"); }
void PgTestServer::Stop() { PgCtl("stop"); }
void PgTestServer::Restart() { PgCtl("restart"); }

PgTestServer::~PgTestServer() {
  if (!owned()) {  // an owned cluster goes away whole
    for (const std::string& schema : free_schemas_) {
      try {
        DropSchema(schema);
      } catch (const std::exception&) {
      }
    }
  }
  admin_.reset();
  if (owned()) {
    std::string cmd = (geteuid() == 0 ? "runuser -u postgres -- " : "") + BinDir() + "/pg_ctl -D " +
                      dir_ + "/data -m immediate stop >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PgTestServer::Query(const std::string& sql) {
  std::lock_guard lock(admin_->mu);
  for (int attempt = 0;; ++attempt) {
    if (admin_->conn == nullptr || PQstatus(admin_->conn) != CONNECTION_OK) {
      if (admin_->conn != nullptr) PQfinish(admin_->conn);
      admin_->conn = PQconnectdb(base_uri_.c_str());
      PQsetNoticeProcessor(
          admin_->conn, [](void*, const char*) {}, nullptr);
    }
    PGresult* res = PQexec(admin_->conn, sql.c_str());
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      std::string out =
          (status == PGRES_TUPLES_OK && PQntuples(res) > 0) ? PQgetvalue(res, 0, 0) : "";
      PQclear(res);
      return out;
    }
    std::string error = PQerrorMessage(admin_->conn);
    PQclear(res);
    if (attempt == 0 && PQstatus(admin_->conn) != CONNECTION_OK) continue;  // server restarted
    throw std::runtime_error("PgTestServer: `" + sql + "` failed: " + error);
  }
}

std::string PgTestServer::FreshSchemaUri(std::string* schema_name) {
  static std::atomic<int> counter{0};
  const std::string schema =
      "flint_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  Query("CREATE SCHEMA " + schema);
  if (schema_name != nullptr) *schema_name = schema;
  return WithSearchPath(base_uri_, schema);
}

std::string PgTestServer::EmptySchemaUri(std::string* schema_name) {
  std::string schema;
  {
    std::lock_guard lock(free_mu_);
    if (free_schemas_.empty()) return FreshSchemaUri(schema_name);
    schema = free_schemas_.back();
    free_schemas_.pop_back();
  }
  const std::string tables = Query(
      "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables "
      "WHERE schemaname = '" +
      schema + "' AND tablename <> 'schema_version'");
  if (!tables.empty()) Query("TRUNCATE " + tables + " RESTART IDENTITY CASCADE");
  *schema_name = schema;
  return WithSearchPath(base_uri_, schema);
}

void PgTestServer::ReleaseSchema(const std::string& schema) {
  std::lock_guard lock(free_mu_);
  free_schemas_.push_back(schema);
}

void PgTestServer::DropSchema(const std::string& schema) {
  Query("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

}  // namespace flint::sa::testing
