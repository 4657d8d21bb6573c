// PgStore: the retention purge (Store::PurgeExpired). Candidates are read outside any write
// transaction; each batch is deleted in one READ COMMITTED transaction that locks the rows it
// deletes (FOR UPDATE SKIP LOCKED, so instances purging at once split the work instead of
// waiting on each other) after rechecking every condition on their latest versions.

#include <string>
#include <vector>

#include "sa/pg_database.h"
#include "sa/pg_store.h"
#include "sa/pg_store_internal.h"

namespace flint::sa {

using core::ToUnixSeconds;
using pg::Connection;
using pg::Params;
using pg::Rows;

namespace {

// Keyset pagination on (expires, id), as in SqliteStore.
constexpr char kOrderCandidates[] =
    "SELECT id, expires FROM orders o WHERE certificate_id IS NULL AND expires < $1 "
    "AND (expires, id) > ($2, $3) AND status <> 'processing' "
    "AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.order_id = o.id) "
    "ORDER BY expires, id LIMIT $4";
constexpr char kLockOrders[] =
    "SELECT id FROM orders o WHERE id = ANY($1::bigint[]) AND certificate_id IS NULL "
    "AND expires < $2 AND status <> 'processing' "
    "AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.order_id = o.id) "
    "FOR UPDATE SKIP LOCKED";
constexpr char kDeleteOrderReplacements[] =
    "DELETE FROM order_replacements WHERE order_id = ANY($1::bigint[])";
constexpr char kDeleteOrderAuthorizations[] =
    "DELETE FROM order_authorizations WHERE order_id = ANY($1::bigint[])";
constexpr char kDeleteOrders[] = "DELETE FROM orders WHERE id = ANY($1::bigint[])";

constexpr char kAuthzCandidates[] =
    "SELECT id, expires FROM authorizations a WHERE expires < $1 "
    "AND (expires, id) > ($2, $3) "
    "AND NOT EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.authz_id = a.id) "
    "ORDER BY expires, id LIMIT $4";
constexpr char kLockAuthzs[] =
    "SELECT id FROM authorizations a WHERE id = ANY($1::bigint[]) AND expires < $2 "
    "AND NOT EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.authz_id = a.id) "
    "AND NOT EXISTS (SELECT 1 FROM challenges c WHERE c.authz_id = a.id "
    "AND c.status = 'processing') "
    "FOR UPDATE SKIP LOCKED";
constexpr char kDeleteChallenges[] = "DELETE FROM challenges WHERE authz_id = ANY($1::bigint[])";
constexpr char kDeleteAuthzs[] = "DELETE FROM authorizations WHERE id = ANY($1::bigint[])";

constexpr char kDeleteNonces[] =
    "DELETE FROM redeemed_nonces WHERE id IN (SELECT id FROM redeemed_nonces WHERE expires < $1 "
    "LIMIT $2 FOR UPDATE SKIP LOCKED)";
constexpr char kDeleteRateLimits[] =
    "DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE tat_ms < $1 "
    "LIMIT $2 FOR UPDATE SKIP LOCKED) AND tat_ms < $1";

struct Cursor {
  int64_t expires = INT64_MIN;
  int64_t id = 0;
};

// A PostgreSQL array literal of ids: "{1,2,3}".
std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

Result<std::vector<int64_t>> Candidates(Connection& c, const char* sql, int64_t before,
                                        Cursor& cursor, int limit) {
  FLINT_ASSIGN_OR_RETURN(
      Rows r, c.Exec(sql, Params().Int(before).Int(cursor.expires).Int(cursor.id).Int(limit)));
  std::vector<int64_t> ids;
  for (int i = 0; i < r.size(); ++i) {
    ids.push_back(r.Int(i, 0));
    cursor = Cursor{r.Int(i, 1), r.Int(i, 0)};
  }
  return ids;
}

// Locks the rows of `ids` that are still purgeable (`lock_sql`), then runs `deletes` (children
// first) on them. Returns the rows each delete removed.
Result<std::vector<int64_t>> LockAndDelete(Connection& c, const char* lock_sql,
                                           const std::vector<int64_t>& ids, int64_t before,
                                           std::initializer_list<const char*> deletes) {
  FLINT_ASSIGN_OR_RETURN(Rows locked, c.Exec(lock_sql, Params().Text(IdArray(ids)).Int(before)));
  std::vector<int64_t> doomed;
  for (int i = 0; i < locked.size(); ++i) doomed.push_back(locked.Int(i, 0));
  std::vector<int64_t> counts;
  for (const char* sql : deletes) {
    if (doomed.empty()) {
      counts.push_back(0);
      continue;
    }
    FLINT_ASSIGN_OR_RETURN(Rows r, c.Exec(sql, Params().Text(IdArray(doomed))));
    counts.push_back(r.affected());
  }
  return counts;
}

}  // namespace

Result<PurgeCounts> PgStore::PurgeExpired(const PurgeRequest& request) {
  PurgeCounts counts;
  const int limit = std::max(1, request.batch_size);
  int batches = 0;
  auto budget_left = [&] {
    if (batches < request.max_batches) return true;
    counts.complete = false;
    return false;
  };
  // Step 1: orders (first, so that the authorizations only they referenced become purgeable).
  if (request.orders_expired_before) {
    const int64_t before = ToUnixSeconds(*request.orders_expired_before);
    Cursor cursor;
    while (budget_left()) {
      FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, db_->ReadOne([&](Connection& c) {
        return Candidates(c, kOrderCandidates, before, cursor, limit);
      }));
      if (ids.empty()) break;
      ++batches;
      FLINT_ASSIGN_OR_RETURN(
          std::vector<int64_t> n, db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) {
            return LockAndDelete(
                c, kLockOrders, ids, before,
                {kDeleteOrderReplacements, kDeleteOrderAuthorizations, kDeleteOrders});
          }));
      counts.orders += n[2];
      if (static_cast<int>(ids.size()) < limit) break;
    }
  }
  // Step 2: authorizations no remaining order references, with their challenges.
  if (request.authorizations_expired_before) {
    const int64_t before = ToUnixSeconds(*request.authorizations_expired_before);
    Cursor cursor;
    while (budget_left()) {
      FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, db_->ReadOne([&](Connection& c) {
        return Candidates(c, kAuthzCandidates, before, cursor, limit);
      }));
      if (ids.empty()) break;
      ++batches;
      FLINT_ASSIGN_OR_RETURN(
          std::vector<int64_t> n, db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) {
            return LockAndDelete(c, kLockAuthzs, ids, before, {kDeleteChallenges, kDeleteAuthzs});
          }));
      counts.challenges += n[0];
      counts.authorizations += n[1];
      if (static_cast<int>(ids.size()) < limit) break;
    }
  }
  // Step 3: redeemed nonces and rate-limit states that are past.
  auto delete_batches = [&](const char* sql, int64_t bound, int64_t& total) -> Result<void> {
    while (budget_left()) {
      ++batches;
      FLINT_ASSIGN_OR_RETURN(Rows r, db_->Write(pg::Isolation::kReadCommitted, [&](Connection& c) {
        return c.Exec(sql, Params().Int(bound).Int(limit));
      }));
      total += r.affected();
      if (r.affected() < limit) break;
    }
    return core::Ok();
  };
  FLINT_TRY(delete_batches(kDeleteNonces, ToUnixSeconds(request.now), counts.nonces));
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(request.now.time_since_epoch()).count();
  FLINT_TRY(delete_batches(kDeleteRateLimits, now_ms, counts.rate_limits));
  return counts;
}

}  // namespace flint::sa
