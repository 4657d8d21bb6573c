// SQLite-specific behaviour: durability across kill -9, reopening, migrations, WAL readers.

#include "sa/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <atomic>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/random.h"
#include "sa/nonce_service.h"
#include "sa/sqlite_db.h"
#include "sa/sqlite_schema.h"
#include "sa/test_util.h"

namespace flint::sa {
namespace {

using core::ErrorType;
using testing::Must;
using testing::TempDir;

core::Account NewAccount(const std::string& thumbprint) {
  core::Account a;
  a.jwk_json = "{}";
  a.jwk_thumbprint = thumbprint;
  return a;
}

SqliteStoreOptions DeferredSync() {
  SqliteStoreOptions options;
  options.deferred_sync = true;
  return options;
}

// The barrier's answer for `mark`, whenever it comes (the callback may outlive this call).
std::future<bool> DurableAnswer(SqliteStore& store, uint64_t mark) {
  auto answer = std::make_shared<std::promise<bool>>();
  std::future<bool> future = answer->get_future();
  store.durability().WhenDurable(mark, [answer](bool ok) { answer->set_value(ok); });
  return future;
}

// The barrier's answer for `mark` if it was given before WhenDurable returned, else nullopt.
std::optional<bool> InlineAnswer(SqliteStore& store, uint64_t mark) {
  auto answer = std::make_shared<std::optional<bool>>();
  store.durability().WhenDurable(mark, [answer](bool ok) { *answer = ok; });
  return *answer;
}

std::string Pragma(const std::string& path, const char* sql) {
  auto conn = Must(sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadOnly));
  return Must(conn->QueryText(sql));
}

// Runs `child` in a forked process that reports the id it returns as soon as it has it, then
// dies by SIGKILL: no destructor, no close, no checkpoint (so `child` must leave its store open,
// in a variable that outlives the call). `child` returns a negative exit code for a failure.
// Returns the reported id (whatever it names must be there on reopen).
int64_t ReportThenKill9(const std::function<int64_t()>& child) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  EXPECT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    int64_t id = child();
    if (id < 0) _exit(static_cast<int>(-id));
    if (write(fds[1], &id, sizeof id) != sizeof id) _exit(5);
    raise(SIGKILL);
    _exit(6);
  }
  close(fds[1]);
  int64_t id = 0;
  ssize_t n = read(fds[0], &id, sizeof id);
  close(fds[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(n, static_cast<ssize_t>(sizeof id));
  return id;
}

TEST(SqliteStoreTest, ReportedWritesSurviveKill9) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  core::SecureRandom random;
  std::string nonce;
  {
    auto store = Must(SqliteStore::Open(path, clock));
    nonce = SqlNonceService(store->nonces(), random, clock).Issue();
  }
  std::unique_ptr<SqliteStore> open_at_kill;
  const int64_t id = ReportThenKill9([&]() -> int64_t {
    auto store = SqliteStore::Open(path, clock);
    if (!store.ok()) return -2;
    open_at_kill = std::move(store).value();
    auto created = open_at_kill->CreateAccount(NewAccount("survivor"));
    if (!created.ok()) return -3;
    if (!SqlNonceService(open_at_kill->nonces(), random, clock).Redeem(nonce).ok()) return -4;
    return created->id.value;
  });
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));  // recovery works from the WAL

  auto store = Must(SqliteStore::Open(path, clock));
  EXPECT_EQ(Must(store->GetAccountByThumbprint("survivor")).id.value, id);
  EXPECT_ERROR_TYPE(SqlNonceService(store->nonces(), random, clock).Redeem(nonce), ErrorType::kBadNonce);
}

// Deferred sync: what the child reports is what the barrier has declared durable.
TEST(SqliteStoreTest, DeferredSyncWritesTheBarrierCoveredSurviveKill9) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  std::unique_ptr<SqliteStore> open_at_kill;
  const int64_t id = ReportThenKill9([&]() -> int64_t {
    auto store = SqliteStore::Open(path, clock, DeferredSync());
    if (!store.ok()) return -2;
    open_at_kill = std::move(store).value();
    auto created = open_at_kill->CreateAccount(NewAccount("synced"));
    if (!created.ok()) return -3;
    if (!DurableAnswer(*open_at_kill, open_at_kill->durability().Mark()).get()) return -4;
    return created->id.value;
  });
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));  // the child never closed the store
  auto store = Must(SqliteStore::Open(path, clock));
  EXPECT_EQ(Must(store->GetAccountByThumbprint("synced")).id.value, id);
}

// A mark covers every commit made before it was taken; it is answered inline once synced.
TEST(SqliteStoreTest, DeferredSyncBarrierCoversEveryEarlierCommit) {
  TempDir dir;
  core::FakeClock clock;
  auto store = Must(SqliteStore::Open(dir.File("flint.db"), clock, DeferredSync()));
  const uint64_t start = store->durability().Mark();
  EXPECT_EQ(InlineAnswer(*store, start), true);  // nothing was committed since opening

  std::vector<std::future<bool>> answers;
  uint64_t last = start;
  for (int i = 0; i < 5; ++i) {
    Must(store->CreateAccount(NewAccount("acct-" + std::to_string(i))));
    const uint64_t mark = store->durability().Mark();
    EXPECT_GT(mark, last);  // every commit moves the mark
    last = mark;
    answers.push_back(DurableAnswer(*store, mark));
  }
  for (auto& a : answers) EXPECT_TRUE(a.get());
  EXPECT_EQ(InlineAnswer(*store, last), true);  // already synced: answered before returning
}

TEST(SqliteStoreTest, ImmediateModeAnswersEveryMarkInline) {
  TempDir dir;
  core::FakeClock clock;
  auto store = Must(SqliteStore::Open(dir.File("flint.db"), clock));
  Must(store->CreateAccount(NewAccount("now")));
  EXPECT_EQ(InlineAnswer(*store, store->durability().Mark()), true);
}

// A WAL that cannot be synced is final: the waiter is told its write is not durable, and later
// writes are refused (retrying an fsync after EIO cannot bring back pages the kernel dropped).
TEST(SqliteStoreTest, DeferredSyncFailureRefusesWaitersAndLaterWrites) {
  TempDir dir;
  core::FakeClock clock;
  std::atomic<int> syncs{0};
  SqliteStoreOptions options = DeferredSync();
  options.sync_wal = [&](int) {
    ++syncs;
    return EIO;
  };
  auto store = Must(SqliteStore::Open(dir.File("flint.db"), clock, options));
  Must(store->CreateAccount(NewAccount("unsynced")));
  EXPECT_FALSE(DurableAnswer(*store, store->durability().Mark()).get());
  EXPECT_ERROR_TYPE(store->CreateAccount(NewAccount("refused")), ErrorType::kInternal);
  // Answered inline: nothing can become durable any more.
  EXPECT_EQ(InlineAnswer(*store, store->durability().Mark()), false);
  EXPECT_EQ(syncs.load(), 1);  // never retried
}

// Waiters still pending when the store closes are answered by its last sync.
TEST(SqliteStoreTest, DeferredSyncClosingSyncsAndAnswersWaiters) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  std::future<bool> answer;
  core::AccountId id;
  {
    auto store = Must(SqliteStore::Open(path, clock, DeferredSync()));
    id = Must(store->CreateAccount(NewAccount("closing"))).id;
    answer = DurableAnswer(*store, store->durability().Mark());
  }
  EXPECT_TRUE(answer.get());
  auto store = Must(SqliteStore::Open(path, clock));
  EXPECT_EQ(Must(store->GetAccount(id)).jwk_thumbprint, "closing");
}

TEST(SqliteStoreTest, DataPersistsAcrossReopenAndMigrationIsIdempotent) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  core::AccountId id;
  std::string secret;
  {
    auto store = Must(SqliteStore::Open(path, clock));
    id = Must(store->CreateAccount(NewAccount("kept"))).id;
    secret = store->nonces().NonceSecret();
  }
  for (int i = 0; i < 2; ++i) {
    auto store = Must(SqliteStore::Open(path, clock));
    EXPECT_EQ(Must(store->GetAccount(id)).jwk_thumbprint, "kept");
    EXPECT_EQ(store->nonces().NonceSecret(), secret);
    EXPECT_EQ(store->nonces().NonceSecret().size(), 32u);
  }
  EXPECT_EQ(Pragma(path, "PRAGMA user_version"), std::to_string(sqlite::LatestSchemaVersion()));

  auto conn = Must(sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite));
  Must(sqlite::Migrate(*conn));
  Must(sqlite::Migrate(*conn));
  EXPECT_EQ(Must(conn->QueryText("PRAGMA user_version")),
            std::to_string(sqlite::LatestSchemaVersion()));
}

// Schema v4 fills order_replacements from the orders already stored: the newest order replacing a
// certificate holds it, so a database from before keeps refusing a second live replacement.
TEST(SqliteStoreTest, MigrationToV4ClaimsReplacementsOfExistingOrders) {
  using namespace std::chrono_literals;
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  auto order = [&](core::AccountId account, const std::string& replaces) {
    core::Order o;
    o.account_id = account;
    o.expires = clock.Now() + 1h;
    o.identifiers = {{core::IdentifierType::kDns, "a.example"}};
    o.replaces = replaces;
    core::Authorization a;
    a.identifier = o.identifiers[0];
    a.expires = o.expires;
    core::Challenge ch;
    ch.type = core::ChallengeType::kHttp01;
    ch.token = "token";
    a.challenges.push_back(ch);
    return std::make_pair(o, std::vector<core::Authorization>{a});
  };
  core::AccountId account;
  {
    auto store = Must(SqliteStore::Open(path, clock));
    account = Must(store->CreateAccount(NewAccount("k"))).id;
    auto [o, a] = order(account, "aki.serial");
    Must(store->CreateOrder(o, a));
  }
  {
    // Back to version 3, as a database written by an older flint.
    auto conn = Must(sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite));
    Must(conn->Exec("DROP TABLE rate_limits; DROP TABLE current_crl; "
                    "DROP INDEX orders_processing; ALTER TABLE orders DROP COLUMN lease_until; "
                    "ALTER TABLE challenges DROP COLUMN lease_until; "
                    "DROP TABLE order_replacements; DROP INDEX challenges_one_processing; "
                    "PRAGMA user_version = 3"));
  }
  auto store = Must(SqliteStore::Open(path, clock));
  EXPECT_EQ(Pragma(path, "SELECT count(*) FROM order_replacements"), "1");
  auto [o, a] = order(account, "aki.serial");
  EXPECT_ERROR_TYPE(store->CreateOrder(o, a), ErrorType::kConflict);
  clock.Advance(1h);  // the first order expired: the certificate is free again
  auto [later, later_authz] = order(account, "aki.serial");
  core::Order stored = Must(store->CreateOrder(later, later_authz));
  // Version 5's leases exist too.
  core::Authorization authz = Must(store->GetAuthorization(stored.authz_ids[0]));
  ASSERT_EQ(authz.challenges.size(), 1u);
  Must(store->SetChallengeProcessing(authz.challenges[0].id));
  EXPECT_TRUE(Must(store->ClaimAbandonedValidations(clock.Now())).empty());
}

// Version 7 rebuilds the challenges table (a new CHECK for dns-account-01): rows, indexes and the
// AUTOINCREMENT high-water mark survive, so a deleted id is never handed out again.
TEST(SqliteStoreTest, MigrationToV7KeepsChallengesAndTheirIds) {
  using namespace std::chrono_literals;
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  auto make = [&](core::AccountId account, core::ChallengeType type) {
    core::Order o;
    o.account_id = account;
    o.expires = clock.Now() + 1h;
    o.identifiers = {{core::IdentifierType::kDns, "a.example"}};
    core::Authorization a;
    a.identifier = o.identifiers[0];
    a.expires = o.expires;
    core::Challenge ch;
    ch.type = type;
    ch.token = "token";
    a.challenges = {ch, ch};
    return std::make_pair(o, std::vector<core::Authorization>{a});
  };
  core::AccountId account;
  core::ChallengeId kept;
  {
    auto store = Must(SqliteStore::Open(path, clock));
    account = Must(store->CreateAccount(NewAccount("k"))).id;
    auto [o, a] = make(account, core::ChallengeType::kHttp01);
    core::Order order = Must(store->CreateOrder(o, a));
    kept = Must(store->GetAuthorization(order.authz_ids[0])).challenges[0].id;
  }
  {
    // Back to version 6 with its CHECK, and the highest challenge deleted.
    auto conn = Must(sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite));
    Must(conn->Exec(
        "DROP TABLE rate_limits; DELETE FROM challenges WHERE id = (SELECT max(id) FROM challenges); "
        "CREATE TABLE c6 (id INTEGER PRIMARY KEY AUTOINCREMENT, authz_id INTEGER NOT NULL "
        "REFERENCES authorizations (id), type TEXT NOT NULL CHECK (type IN ('http-01', 'dns-01', "
        "'tls-alpn-01')), status TEXT NOT NULL, token TEXT NOT NULL, validated_at INTEGER, "
        "error TEXT, lease_until INTEGER NOT NULL DEFAULT 0) STRICT; "
        "INSERT INTO c6 SELECT id, authz_id, type, status, token, validated_at, error, lease_until "
        "FROM challenges; "
        "UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = "
        "'challenges') WHERE name = 'c6'; "
        "DROP TABLE challenges; ALTER TABLE c6 RENAME TO challenges; PRAGMA user_version = 6"));
  }
  auto store = Must(SqliteStore::Open(path, clock));
  EXPECT_EQ(Must(store->GetChallenge(kept)).type, core::ChallengeType::kHttp01);
  auto [o, a] = make(account, core::ChallengeType::kDnsAccount01);
  core::Order order = Must(store->CreateOrder(o, a));
  core::Authorization authz = Must(store->GetAuthorization(order.authz_ids[0]));
  EXPECT_EQ(authz.challenges[0].type, core::ChallengeType::kDnsAccount01);
  EXPECT_EQ(authz.challenges[0].id.value, kept.value + 2);  // the deleted kept.value + 1 is not reused
  // The one-processing index is back.
  Must(store->SetChallengeProcessing(authz.challenges[0].id));
  EXPECT_ERROR_TYPE(store->SetChallengeProcessing(authz.challenges[1].id), ErrorType::kConflict);
}

// SQLite's allocation counters take one process-wide mutex per allocation; flint turns them off
// before its first connection, so the threads do not contend on it.
TEST(SqliteStoreTest, SqliteKeepsNoAllocationCounters) {
  TempDir dir;
  core::FakeClock clock;
  auto store = Must(SqliteStore::Open(dir.File("flint.db"), clock));
  Must(store->CreateAccount(NewAccount("counted")));
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

TEST(SqliteStoreTest, DatabaseIsInWalModeWithForeignKeys) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  auto store = Must(SqliteStore::Open(path, clock));
  EXPECT_EQ(Pragma(path, "PRAGMA journal_mode"), "wal");
  auto conn = Must(sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite));
  EXPECT_EQ(Must(conn->QueryText("PRAGMA foreign_keys")), "1");
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// The store holds EAB HMAC keys: flint.db, -wal and -shm are owner-only whatever the umask, and
// files an older flint left 0644 are narrowed on open.
TEST(SqliteStoreTest, DatabaseFilesAreOwnerOnly) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  const mode_t old_umask = ::umask(0022);
  {
    auto store = Must(SqliteStore::Open(path, clock));
    Must(store->CreateAccount(NewAccount("private")));
    for (const char* suffix : {"", "-wal", "-shm"}) EXPECT_EQ(ModeOf(path + suffix), 0600u) << suffix;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (std::filesystem::exists(path + suffix)) {
      ASSERT_EQ(::chmod((path + suffix).c_str(), 0644), 0);
    }
  }
  {
    auto store = Must(SqliteStore::Open(path, clock));
    for (const char* suffix : {"", "-wal", "-shm"}) EXPECT_EQ(ModeOf(path + suffix), 0600u) << suffix;
  }
  ::umask(old_umask);
}

TEST(SqliteStoreTest, OpenRefusesUnusableDatabases) {
  TempDir dir;
  core::FakeClock clock;
  const std::string newer = dir.File("newer.db");
  {
    auto conn = Must(sqlite::Connection::Open(newer, sqlite::Connection::Mode::kReadWrite));
    Must(conn->Exec("PRAGMA user_version = 9999"));
  }
  const std::string garbage = dir.File("garbage.db");
  std::ofstream(garbage) << std::string(8192, 'x');

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fail/newer-schema", newer},
      {"fail/not-a-database", garbage},
      {"fail/missing-directory", dir.File("missing/flint.db")},
      {"fail/in-memory", ":memory:"},
      {"fail/empty-path", ""},
  };
  for (const auto& [name, path] : cases) {
    SCOPED_TRACE(name);
    EXPECT_ERROR_TYPE(SqliteStore::Open(path, clock), ErrorType::kInternal);
  }
}

// Another process holding the write lock (mid-transaction) must not stall readers.
TEST(SqliteStoreTest, ReadsProceedWhileAnotherWriterHoldsTheLock) {
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  auto store = Must(SqliteStore::Open(path, clock));
  core::AccountId id = Must(store->CreateAccount(NewAccount("committed"))).id;

  auto writer = Must(sqlite::Connection::Open(path, sqlite::Connection::Mode::kReadWrite));
  Must(writer->Exec("BEGIN IMMEDIATE"));
  Must(writer->Exec(
      "INSERT INTO accounts (status, contacts, jwk, thumbprint, tos_agreed, eab_key_id, "
      "created_at) VALUES ('valid', '[]', '{}', 'uncommitted', 0, '', 0)"));
  EXPECT_EQ(Must(store->GetAccount(id)).jwk_thumbprint, "committed");
  EXPECT_ERROR_TYPE(store->GetAccountByThumbprint("uncommitted"), ErrorType::kNotFound);
  Must(writer->Exec("COMMIT"));
  EXPECT_EQ(Must(store->GetAccountByThumbprint("uncommitted")).status, core::AccountStatus::kValid);
}

TEST(SqliteStoreTest, PeriodicPruningDeletesExpiredRedemptions) {
  using namespace std::chrono_literals;
  TempDir dir;
  const std::string path = dir.File("flint.db");
  core::FakeClock clock;
  core::SecureRandom random;
  auto store = Must(SqliteStore::Open(path, clock));
  SqlNonceService svc(store->nonces(), random, clock, 1h, /*prune_every=*/5);
  for (int i = 0; i < 4; ++i) Must(svc.Redeem(svc.Issue()));
  EXPECT_EQ(Pragma(path, "SELECT count(*) FROM redeemed_nonces"), "4");
  clock.Advance(1h + SqlNonceService::kPruneGrace + 1s);
  Must(svc.Redeem(svc.Issue()));  // the 5th redemption prunes the 4 expired rows
  EXPECT_EQ(Pragma(path, "SELECT count(*) FROM redeemed_nonces"), "1");
}


// Group commit: concurrent writes share commits, yet each keeps its own outcome — a refused
// compare-and-set in a batch undoes only itself.
TEST(SqliteStoreTest, GroupCommitKeepsEachWritesOutcome) {
  TempDir dir;
  core::FakeClock clock;
  auto store = Must(SqliteStore::Open(dir.File("flint.db"), clock));
  core::AccountId shared = Must(store->CreateAccount(NewAccount("shared"))).id;
  constexpr int kThreads = 16, kPerThread = 20;
  std::atomic<int> created{0}, deactivated{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto a = store->CreateAccount(NewAccount("t" + std::to_string(t) + "-" + std::to_string(i)));
        if (a.ok()) ++created;
        auto d = store->DeactivateAccount(shared);
        if (d.ok()) ++deactivated;
        else if (d.error().type == ErrorType::kConflict) ++conflicts;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(created.load(), kThreads * kPerThread);
  EXPECT_EQ(deactivated.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads * kPerThread - 1);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(store->GetAccountByThumbprint("t" + std::to_string(t) + "-0").ok());
  }
}

}  // namespace
}  // namespace flint::sa
