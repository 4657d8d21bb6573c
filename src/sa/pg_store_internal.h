#pragma once
// Private to PgStore's translation units: the row loaders that both writes (inside their
// transaction) and reads use, and the compare-and-set helpers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"
#include "sa/pg_database.h"

namespace flint::sa::pg {

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

// The ids (first column) a query returns, in order.
Result<std::vector<int64_t>> QueryIds(Connection& c, const char* sql, const Params& params);

// After a compare-and-set changed no row: kNotFound if no row has `id` according to
// `exists_sql` (a constant "SELECT 1 FROM t WHERE id = $1"), kConflict otherwise.
core::Error NotFoundOrConflict(Connection& c, const char* exists_sql, int64_t id,
                               std::string_view what);

// Runs a compare-and-set UPDATE; if it changed no row, NotFoundOrConflict.
Result<void> RunCompareAndSet(Connection& c, const char* sql, const Params& params,
                              const char* exists_sql, int64_t id, std::string_view what);

// Existence queries for NotFoundOrConflict.
extern const char kAccountExists[];
extern const char kOrderExists[];
extern const char kAuthzExists[];
extern const char kChallengeExists[];
extern const char kCertificateExists[];

}  // namespace flint::sa::pg
