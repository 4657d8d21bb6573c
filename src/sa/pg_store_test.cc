// What PgStore promises beyond the conformance suite (pg_store.h): it rides out a server restart
// or outage on its own, answers kUnavailable (quickly) while the server is away, migrates safely
// when several instances start at once, refuses a newer schema, and bounds its connections.

#include "sa/pg_store.h"
#include "sa/pg_schema.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "sa/pg_test_server.h"
#include "sa/test_util.h"

namespace flint::sa {
namespace {

using namespace std::chrono_literals;
using core::ErrorType;
using testing::Must;
using testing::PgTestServer;

core::Account NewAccount(const std::string& thumbprint) {
  core::Account a;
  a.jwk_json = "{}";
  a.jwk_thumbprint = thumbprint;
  return a;
}

// Starts the server again at the end of a test that stopped it, even if the test failed.
struct RestartOnExit {
  ~RestartOnExit() {
    if (stopped) PgTestServer::Get().Start();
  }
  bool stopped = false;
};

class PgStoreTest : public ::testing::Test {
 protected:
  // An external server (FLINT_TEST_PG_URI) keeps no schema of ours.
  void TearDown() override {
    if (!server().owned()) {
      for (const std::string& schema : schemas_) server().DropSchema(schema);
    }
  }

  PgTestServer& server() { return PgTestServer::Get(); }
  // A fresh, empty database (a schema of the test server); its name in `*schema` if asked.
  std::string FreshUri(std::string* schema = nullptr) {
    std::string name;
    std::string uri = server().FreshSchemaUri(&name);
    schemas_.push_back(name);
    if (schema != nullptr) *schema = name;
    return uri;
  }

  core::FakeClock clock_;
  std::vector<std::string> schemas_;
};

#define SKIP_UNLESS_OWNED_SERVER()                                                \
  if (!server().owned()) {                                                        \
    GTEST_SKIP() << "FLINT_TEST_PG_URI names a server this test may not restart"; \
  }

TEST_F(PgStoreTest, ReconnectsByItselfAfterTheServerRestarts) {
  SKIP_UNLESS_OWNED_SERVER();
  auto store = Must(PgStore::Open(FreshUri(), clock_));
  core::Account a = Must(store->CreateAccount(NewAccount("before")));
  // Several pooled connections, all of which die with the server.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back([&] { (void)store->GetAccount(a.id); });
  for (std::thread& t : readers) t.join();

  server().Restart();
  // The first call may still meet a dead connection; the store then opens fresh ones.
  core::Result<core::Account> first = store->GetAccount(a.id);
  if (!first.ok()) {
    EXPECT_EQ(first.error().type, ErrorType::kUnavailable) << first.error().detail;
  }
  EXPECT_EQ(Must(store->GetAccount(a.id)).jwk_thumbprint, "before");
  Must(store->CreateAccount(NewAccount("after")));
  EXPECT_EQ(Must(store->GetAccountByThumbprint("after")).jwk_thumbprint, "after");
}

TEST_F(PgStoreTest, AWriteFirstAfterARestartIsUnavailableOrDoneNeverHalfDone) {
  SKIP_UNLESS_OWNED_SERVER();
  auto store = Must(PgStore::Open(FreshUri(), clock_));
  Must(store->CreateAccount(NewAccount("before")));
  server().Restart();
  core::Result<core::Account> first = store->CreateAccount(NewAccount("first"));
  if (!first.ok()) {
    EXPECT_EQ(first.error().type, ErrorType::kUnavailable) << first.error().detail;
    Must(store->CreateAccount(NewAccount("first")));  // it was not written
  }
  EXPECT_ERROR_TYPE(store->CreateAccount(NewAccount("first")), ErrorType::kConflict);
  EXPECT_EQ(Must(store->ListAccounts(10)).size(), 2u);
}

TEST_F(PgStoreTest, ConnectionsKilledByTheServerAreReplacedByFreshOnes) {
  const std::string uri = FreshUri() + "&application_name=flint_kill_test";
  if (!uri.starts_with("postgres")) GTEST_SKIP() << "needs a URI-form FLINT_TEST_PG_URI";
  auto store = Must(PgStore::Open(uri, clock_));
  core::Account a = Must(store->CreateAccount(NewAccount("k")));
  // As a failover or an operator does: every backend serving this instance is terminated
  // (SQLSTATE 57P01, or a closed socket, for the next statement on each).
  auto kill_backends = [&] {
    server().Query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'flint_kill_test'");
    for (int i = 0; i < 500; ++i) {
      if (server().Query("SELECT count(*) FROM pg_stat_activity "
                         "WHERE application_name = 'flint_kill_test'") == "0") {
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "backends still alive";
  };
  for (int i = 0; i < 3; ++i) {  // each kind of call finds its way to a fresh connection
    kill_backends();
    EXPECT_EQ(Must(store->GetAccount(a.id)).jwk_thumbprint, "k");  // one statement
    kill_backends();
    Must(store->UpdateAccountContacts(a.id, {"mailto:" + std::to_string(i) + "@example.com"}));
    kill_backends();
    EXPECT_EQ(Must(store->ListAccounts(10)).size(), 1u);  // a read transaction
  }
}

// Manual, against a real cluster: FLINT_TEST_PG_URI names a primary behind a proxy (Patroni and
// HAProxy) and FLINT_TEST_PG_SWITCHOVER the shell command that moves the primary elsewhere. Writes
// keep going meanwhile: each one is done or kUnavailable, none is lost, and they work again
// after the switchover without reopening the store.
TEST_F(PgStoreTest, RidesOutASwitchover) {
  const char* switchover = std::getenv("FLINT_TEST_PG_SWITCHOVER");
  if (switchover == nullptr || *switchover == '\0') {
    GTEST_SKIP() << "set FLINT_TEST_PG_SWITCHOVER (and FLINT_TEST_PG_URI) to run";
  }
  PgStoreOptions options;
  options.connect_timeout = 2s;
  auto store = Must(PgStore::Open(FreshUri(), clock_, options));
  std::atomic<bool> switched{false};
  int switchover_rc = -1;
  std::thread switcher([&] {
    std::this_thread::sleep_for(1s);
    switchover_rc = std::system(switchover);
    switched = true;
  });
  std::vector<std::string> written;
  int unavailable = 0;
  int ok_after_switch = 0;
  auto last_ok = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration longest_outage{};
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  for (int i = 0; ok_after_switch < 20 && std::chrono::steady_clock::now() < deadline; ++i) {
    const std::string thumbprint = "switch-" + std::to_string(i);
    core::Result<core::Account> r = store->CreateAccount(NewAccount(thumbprint));
    const auto now = std::chrono::steady_clock::now();
    if (r.ok()) {
      written.push_back(thumbprint);
      longest_outage = std::max(longest_outage, now - last_ok);
      last_ok = now;
      if (switched) ++ok_after_switch;
    } else {
      EXPECT_EQ(r.error().type, ErrorType::kUnavailable) << r.error().detail;
      ++unavailable;
    }
    std::this_thread::sleep_for(50ms);
  }
  switcher.join();
  EXPECT_EQ(switchover_rc, 0);
  EXPECT_EQ(ok_after_switch, 20);
  for (const std::string& t : written) {
    EXPECT_EQ(Must(store->GetAccountByThumbprint(t)).jwk_thumbprint, t);
  }
  std::printf("switchover: %zu writes done, %d unavailable, longest gap %.1f s\n", written.size(),
              unavailable, std::chrono::duration<double>(longest_outage).count());
}

TEST_F(PgStoreTest, UnavailableWhileTheServerIsDownThenBackWithoutReopening) {
  SKIP_UNLESS_OWNED_SERVER();
  const std::string uri = FreshUri();
  auto store = Must(PgStore::Open(uri, clock_));
  core::Account a = Must(store->CreateAccount(NewAccount("k")));
  RestartOnExit guard;
  server().Stop();
  guard.stopped = true;

  const auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR_TYPE(store->GetAccount(a.id), ErrorType::kUnavailable);
  EXPECT_ERROR_TYPE(store->CreateAccount(NewAccount("down")), ErrorType::kUnavailable);
  EXPECT_ERROR_TYPE(store->nonces().RecordNonceRedemption("n", clock_.Now() + 1h),
                    ErrorType::kUnavailable);
  EXPECT_ERROR_TYPE(store->NextCrlNumber(1), ErrorType::kUnavailable);
  EXPECT_ERROR_TYPE(PgStore::Open(uri, clock_), ErrorType::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  server().Start();
  guard.stopped = false;
  EXPECT_EQ(Must(store->GetAccount(a.id)).jwk_thumbprint, "k");
  Must(store->CreateAccount(NewAccount("up")));
  Must(store->nonces().RecordNonceRedemption("n", clock_.Now() + 1h));
}

TEST_F(PgStoreTest, AServerThatNeverAnswersIsUnavailableAfterTheConnectTimeout) {
  // A listener that accepts connections (the kernel does) but never speaks.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string uri =
      "postgresql://flint@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/flint";

  PgStoreOptions options;
  options.connect_timeout = 2s;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR_TYPE(PgStore::Open(uri, clock_, options), ErrorType::kUnavailable);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 1s);
  EXPECT_LT(elapsed, 6s);
  close(fd);
}

TEST_F(PgStoreTest, NoServerAtAllIsUnavailableAndABadUriIsInternal) {
  EXPECT_ERROR_TYPE(PgStore::Open("postgresql:///flint?host=/nonexistent-flint-dir", clock_),
                    ErrorType::kUnavailable);
  EXPECT_ERROR_TYPE(PgStore::Open("postgresql://[::1", clock_), ErrorType::kInternal);
}

TEST_F(PgStoreTest, InstancesStartingTogetherMigrateOnceAndShareOneNonceSecret) {
  std::string schema;
  const std::string uri = FreshUri(&schema);
  constexpr int kInstances = 6;
  std::vector<std::unique_ptr<PgStore>> stores(kInstances);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      core::Result<std::unique_ptr<PgStore>> s = PgStore::Open(uri, clock_);
      if (s.ok()) {
        stores[i] = std::move(*s);
      } else {
        ADD_FAILURE() << testing::Describe(s.error());
        ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(server().Query("SELECT count(*) FROM " + schema + ".schema_version"),
            std::to_string(pg::LatestSchemaVersion()));
  for (const auto& s : stores) {
    EXPECT_EQ(s->nonces().NonceSecret(), stores[0]->nonces().NonceSecret());
    EXPECT_EQ(s->nonces().NonceSecret().size(), 32u);
  }
  // Opening an up-to-date database again changes nothing and keeps its rows.
  core::Account a = Must(stores[0]->CreateAccount(NewAccount("k")));
  stores.clear();
  auto again = Must(PgStore::Open(uri, clock_));
  EXPECT_EQ(Must(again->GetAccount(a.id)).jwk_thumbprint, "k");
  EXPECT_EQ(server().Query("SELECT count(*) FROM " + schema + ".schema_version"),
            std::to_string(pg::LatestSchemaVersion()));
}

TEST_F(PgStoreTest, ADatabaseFromANewerFlintIsRefused) {
  std::string schema;
  const std::string uri = FreshUri(&schema);
  Must(PgStore::Open(uri, clock_));
  server().Query("INSERT INTO " + schema + ".schema_version (version, applied_at) VALUES (999, 0)");
  core::Result<std::unique_ptr<PgStore>> store = PgStore::Open(uri, clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().type, ErrorType::kInternal) << store.error().detail;
  EXPECT_NE(store.error().detail.find("newer"), std::string::npos) << store.error().detail;
}

TEST_F(PgStoreTest, AReadOnlyServerIsUnavailable) {
  const std::string uri = FreshUri();
  if (!uri.starts_with("postgres")) GTEST_SKIP() << "needs a URI-form FLINT_TEST_PG_URI";
  // As a primary demoted by a failover answers: writes refused with SQLSTATE 25006 (here the
  // migration's), which a fresh connection through the proxy would not meet.
  EXPECT_ERROR_TYPE(PgStore::Open(uri + "%20-cdefault_transaction_read_only%3Don", clock_),
                    ErrorType::kUnavailable);
  auto store = Must(PgStore::Open(uri, clock_));
  Must(store->CreateAccount(NewAccount("k")));
}

TEST_F(PgStoreTest, AtMostTheConfiguredConnectionsRunAtOnce) {
  const std::string uri = FreshUri() + "&application_name=flint_pool_test";
  if (!uri.starts_with("postgres")) GTEST_SKIP() << "needs a URI-form FLINT_TEST_PG_URI";
  PgStoreOptions options;
  options.connections = 2;
  auto store = Must(PgStore::Open(uri, clock_, options));
  core::Account a = Must(store->CreateAccount(NewAccount("k")));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        if (!store->GetAccount(a.id).ok()) ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(server().Query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'flint_pool_test'"),
            "2");
}

}  // namespace
}  // namespace flint::sa
