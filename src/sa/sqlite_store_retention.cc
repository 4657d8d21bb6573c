// SqliteStore: the retention purge (Store::PurgeExpired). Candidates are found on a reader
// connection (a scan that may pass many kept rows never holds the write lock); each batch is
// then deleted in one short write transaction that rechecks every condition per row, so a row
// that changed since it was read is kept.

#include <string>
#include <vector>

#include "sa/sqlite_store.h"
#include "sa/sqlite_store_internal.h"

namespace flint::sa {

using core::ToUnixSeconds;
using sqlite::Connection;
using sqlite::Statement;

namespace {

// Keyset pagination on (expires, id): each batch starts after the last candidate of the one
// before, so one run reads every kept row at most once.
constexpr char kOrderCandidates[] =
    "SELECT id, expires FROM orders o WHERE certificate_id IS NULL AND expires < ?1 "
    "AND (expires > ?2 OR (expires = ?2 AND id > ?3)) AND status != 'processing' "
    "AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.order_id = o.id) "
    "ORDER BY expires, id LIMIT ?4";
constexpr char kOrderStillPurgeable[] =
    "SELECT 1 FROM orders o WHERE id = ?1 AND certificate_id IS NULL AND expires < ?2 "
    "AND status != 'processing' "
    "AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.order_id = o.id)";
constexpr char kDeleteOrderReplacements[] = "DELETE FROM order_replacements WHERE order_id = ?1";
constexpr char kDeleteOrderAuthorizations[] =
    "DELETE FROM order_authorizations WHERE order_id = ?1";
constexpr char kDeleteOrder[] = "DELETE FROM orders WHERE id = ?1";

constexpr char kAuthzCandidates[] =
    "SELECT id, expires FROM authorizations a WHERE expires < ?1 "
    "AND (expires > ?2 OR (expires = ?2 AND id > ?3)) "
    "AND NOT EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.authz_id = a.id) "
    "ORDER BY expires, id LIMIT ?4";
constexpr char kAuthzStillPurgeable[] =
    "SELECT 1 FROM authorizations a WHERE id = ?1 AND expires < ?2 "
    "AND NOT EXISTS (SELECT 1 FROM order_authorizations oa WHERE oa.authz_id = a.id) "
    "AND NOT EXISTS (SELECT 1 FROM challenges c WHERE c.authz_id = a.id "
    "AND c.status = 'processing')";
constexpr char kDeleteChallenges[] = "DELETE FROM challenges WHERE authz_id = ?1";
constexpr char kDeleteAuthz[] = "DELETE FROM authorizations WHERE id = ?1";

constexpr char kDeleteNonces[] =
    "DELETE FROM redeemed_nonces WHERE id IN "
    "(SELECT id FROM redeemed_nonces WHERE expires < ?1 LIMIT ?2)";
constexpr char kDeleteRateLimits[] =
    "DELETE FROM rate_limits WHERE key IN "
    "(SELECT key FROM rate_limits WHERE tat_ms < ?1 LIMIT ?2)";

struct Cursor {
  int64_t expires = INT64_MIN;
  int64_t id = 0;
};

// Up to `limit` candidate ids after `cursor` (advanced past them).
Result<std::vector<int64_t>> Candidates(Connection& c, const char* sql, int64_t before,
                                        Cursor& cursor, int limit) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, before).Bind(2, cursor.expires).Bind(3, cursor.id).Bind(4, int64_t{limit});
  std::vector<int64_t> ids;
  while (true) {
    FLINT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.Int(0));
    cursor = Cursor{s.Int(1), s.Int(0)};
  }
  return ids;
}

Result<bool> Exists(Connection& c, const char* sql, int64_t id, int64_t before) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, id).Bind(2, before);
  return s.Step();
}

Result<int64_t> DeleteById(Connection& c, const char* sql, int64_t id) {
  FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, id);
  FLINT_TRY(s.Run());
  return c.Changes();
}

}  // namespace

Result<PurgeCounts> SqliteStore::PurgeExpired(const PurgeRequest& request) {
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
      FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, Read([&](Connection& c) {
                               return Candidates(c, kOrderCandidates, before, cursor, limit);
                             }));
      if (ids.empty()) break;
      ++batches;
      FLINT_ASSIGN_OR_RETURN(
          int64_t n, Write(/*durable=*/false, [&](Connection& c) -> Result<int64_t> {
            int64_t deleted = 0;
            for (int64_t id : ids) {
              FLINT_ASSIGN_OR_RETURN(bool still, Exists(c, kOrderStillPurgeable, id, before));
              if (!still) continue;
              FLINT_TRY(DeleteById(c, kDeleteOrderReplacements, id));
              FLINT_TRY(DeleteById(c, kDeleteOrderAuthorizations, id));
              FLINT_ASSIGN_OR_RETURN(int64_t one, DeleteById(c, kDeleteOrder, id));
              deleted += one;
            }
            return deleted;
          }));
      counts.orders += n;
      if (static_cast<int>(ids.size()) < limit) break;
    }
  }
  // Step 2: authorizations no remaining order references, with their challenges.
  if (request.authorizations_expired_before) {
    const int64_t before = ToUnixSeconds(*request.authorizations_expired_before);
    Cursor cursor;
    while (budget_left()) {
      FLINT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, Read([&](Connection& c) {
                               return Candidates(c, kAuthzCandidates, before, cursor, limit);
                             }));
      if (ids.empty()) break;
      ++batches;
      struct Deleted {
        int64_t authzs = 0, challenges = 0;
      };
      FLINT_ASSIGN_OR_RETURN(
          Deleted n, Write(/*durable=*/false, [&](Connection& c) -> Result<Deleted> {
            Deleted d;
            for (int64_t id : ids) {
              FLINT_ASSIGN_OR_RETURN(bool still, Exists(c, kAuthzStillPurgeable, id, before));
              if (!still) continue;
              FLINT_ASSIGN_OR_RETURN(int64_t ch, DeleteById(c, kDeleteChallenges, id));
              FLINT_ASSIGN_OR_RETURN(int64_t one, DeleteById(c, kDeleteAuthz, id));
              d.challenges += ch;
              d.authzs += one;
            }
            return d;
          }));
      counts.authorizations += n.authzs;
      counts.challenges += n.challenges;
      if (static_cast<int>(ids.size()) < limit) break;
    }
  }
  // Step 3: redeemed nonces and rate-limit states that are past.
  auto delete_batches = [&](const char* sql, int64_t bound, int64_t& total) -> Result<void> {
    while (budget_left()) {
      ++batches;
      FLINT_ASSIGN_OR_RETURN(int64_t n,
                             Write(/*durable=*/false, [&](Connection& c) -> Result<int64_t> {
                               FLINT_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
                               s.Bind(1, bound).Bind(2, int64_t{limit});
                               FLINT_TRY(s.Run());
                               return c.Changes();
                             }));
      total += n;
      if (n < limit) break;
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
