#pragma once
// The PostgreSQL server the sa tests run against (linked into sa_test only): a throwaway cluster
// started at first use — initdb in a temporary directory, fsync off, reachable only through a
// unix socket in that directory (no port to clash with parallel test runs) — and stopped and
// removed at process exit. Binaries from FLINT_TEST_PG_BIN (default /usr/lib/postgresql/15/bin).
// If FLINT_TEST_PG_URI is set, that server is used instead.
//
// Missing PostgreSQL binaries are a test failure, never a skip: Get() throws with a message
// naming the package to install.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace flint::sa::testing {

class PgTestServer {
 public:
  // The process's server, started on first call. Throws std::runtime_error if it cannot start.
  static PgTestServer& Get();
  ~PgTestServer();

  // A fresh, empty schema on the server and a libpq URI whose search_path selects it: each test
  // gets its own database this way, far faster than CREATE DATABASE.
  std::string FreshSchemaUri(std::string* schema_name = nullptr);
  // Drops a schema FreshSchemaUri made (only worth it on an external server).
  void DropSchema(const std::string& schema);
  // Like FreshSchemaUri, but reuses a schema given back by ReleaseSchema when there is one,
  // emptied (TRUNCATE ... RESTART IDENTITY) and left migrated: several times faster than
  // migrating a new one for every conformance test.
  std::string EmptySchemaUri(std::string* schema_name);
  // Hands a schema back for EmptySchemaUri; every connection to it must be closed.
  void ReleaseSchema(const std::string& schema);
  // Runs `sql` as the superuser, returning the first column of the first row ("" if none).
  // Throws std::runtime_error on failure.
  std::string Query(const std::string& sql);

  // Whether this process started the server (and so may stop and restart it).
  bool owned() const { return !dir_.empty(); }
  // Owned server only. Throw std::runtime_error on failure.
  void Stop();
  void Start();
  void Restart();
  // The server's URI, without a search_path.
  const std::string& base_uri() const { return base_uri_; }

 private:
  PgTestServer() = default;
  void InitCluster();
  void PgCtl(const std::string& action);

  std::string dir_;       // temporary directory of an owned cluster, "" for an external server
  std::string base_uri_;  // without search_path
  struct Admin;
  std::unique_ptr<Admin> admin_;
  std::mutex free_mu_;
  std::vector<std::string> free_schemas_;  // guarded by free_mu_
};

// `uri` with `-csearch_path=<schema>` added to its libpq options (URI or key=value form).
std::string WithSearchPath(const std::string& uri, const std::string& schema);

}  // namespace flint::sa::testing
