#pragma once
// Retention (docs/OPERATIONS.md "Retention"): what `flint serve` purges in the background every
// --purge-interval, and `flint admin purge` once. Windows of zero keep that kind of row forever.
// The purge itself is sa::Store::PurgeExpired (bounded batches, certificates kept).

#include <chrono>

#include "core/clock.h"
#include "core/result.h"
#include "sa/store.h"

namespace flint::cmd {

struct RetentionWindows {
  std::chrono::seconds orders{std::chrono::hours(720)};
  std::chrono::seconds authorizations{std::chrono::hours(720)};
};

// The request for a purge at `now`.
sa::PurgeRequest PurgeRequestFor(const RetentionWindows& windows, core::TimePoint now);

// Runs one purge and logs what it removed (info when something was, an error on failure).
core::Result<sa::PurgeCounts> RunPurge(sa::Store& store, const RetentionWindows& windows,
                                       const core::Clock& clock);

}  // namespace flint::cmd
