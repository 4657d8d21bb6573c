#include "cmd/retention.h"

#include <spdlog/spdlog.h>

namespace flint::cmd {

sa::PurgeRequest PurgeRequestFor(const RetentionWindows& windows, core::TimePoint now) {
  sa::PurgeRequest r;
  if (windows.orders.count() > 0) r.orders_expired_before = now - windows.orders;
  if (windows.authorizations.count() > 0) {
    r.authorizations_expired_before = now - windows.authorizations;
  }
  r.now = now;
  return r;
}

core::Result<sa::PurgeCounts> RunPurge(sa::Store& store, const RetentionWindows& windows,
                                       const core::Clock& clock) {
  auto counts = store.PurgeExpired(PurgeRequestFor(windows, clock.Now()));
  if (!counts.ok()) {
    spdlog::error("purge of expired rows failed: {}", counts.error().detail);
    return counts;
  }
  const sa::PurgeCounts& c = *counts;
  if (c.orders + c.authorizations + c.challenges + c.nonces + c.rate_limits > 0 || !c.complete) {
    spdlog::info(
        "purge orders={} authorizations={} challenges={} nonces={} rate_limits={} complete={}",
        c.orders, c.authorizations, c.challenges, c.nonces, c.rate_limits, c.complete);
  }
  return counts;
}

}  // namespace flint::cmd
