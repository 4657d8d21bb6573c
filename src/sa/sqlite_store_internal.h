#pragma once
// Private to SqliteStore's translation units: the row loaders that both the writer (inside a
// write transaction) and the readers use.

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/types.h"
#include "sa/sqlite_database.h"
#include "sa/sqlite_db.h"
#include "sa/sqlite_store.h"

namespace flint::sa {

template <typename Fn>
auto SqliteStore::Write(Fn&& fn) {
  return db_->Write(std::forward<Fn>(fn));
}

template <typename Fn>
auto SqliteStore::Write(bool durable, Fn&& fn) {
  return db_->Write(durable, std::forward<Fn>(fn));
}

template <typename Fn>
auto SqliteStore::Read(Fn&& fn) {
  return db_->Read(std::forward<Fn>(fn));
}

namespace sqlite {

// Loaders: kNotFound when the row does not exist. Orders and authorizations carry their
// derived status as of `now` (derived_status.h).
Result<core::Account> LoadAccount(Connection& c, core::AccountId id);
Result<core::Account> LoadAccountByThumbprint(Connection& c, const std::string& thumbprint);
Result<core::Order> LoadOrder(Connection& c, core::OrderId id, core::TimePoint now);
Result<std::vector<core::OrderId>> LoadOrderIds(Connection& c, core::AccountId account,
                                                int64_t before, int limit);
Result<core::Authorization> LoadAuthorization(Connection& c, core::AuthzId id, core::TimePoint now);
Result<core::Challenge> LoadChallenge(Connection& c, core::ChallengeId id);
Result<core::Certificate> LoadCertificate(Connection& c, core::CertificateId id);
Result<core::Certificate> LoadCertificateBySerial(Connection& c, const std::string& serial);

// After a compare-and-set changed no row: kNotFound if no row has `id` according to
// `exists_sql` (a constant "SELECT 1 FROM t WHERE id = ?1"), kConflict otherwise.
core::Error NotFoundOrConflict(Connection& c, const char* exists_sql, int64_t id,
                               std::string_view what);

// Runs a compare-and-set UPDATE (`stmt`, bound); if it changed no row, NotFoundOrConflict.
Result<void> RunCompareAndSet(Connection& c, Statement stmt, const char* exists_sql, int64_t id,
                              std::string_view what);

// Existence queries for NotFoundOrConflict.
extern const char kAccountExists[];
extern const char kOrderExists[];
extern const char kAuthzExists[];
extern const char kChallengeExists[];
extern const char kCertificateExists[];

}  // namespace sqlite
}  // namespace flint::sa
