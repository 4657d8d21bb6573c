#pragma once
// A durability barrier: lets a front end hold a response until every write it could depend on is
// on stable storage (DESIGN.md "Storage": a durable commit before a response that depends on it
// is sent), without blocking a thread while the storage syncs.
//
// A storage backend that commits first and syncs later (sa::WalSyncer, SqliteStore's deferred
// sync) implements it; a backend whose writes are durable when they return answers at once.
//
// Usage, on the thread that produced a response after its last storage access:
//   uint64_t mark = barrier.Mark();
//   barrier.WhenDurable(mark, [](bool durable) { /* hand the response to its sender */ });

#include <cstdint>
#include <functional>

namespace flint::core {

class DurabilityBarrier {
 public:
  virtual ~DurabilityBarrier() = default;

  // A mark covering every write that any reader of this backend could have seen so far.
  // Thread-safe and cheap (an atomic load).
  virtual uint64_t Mark() const = 0;

  // Calls `done(true)` once every write covered by `mark` is on stable storage, or
  // `done(false)` once that can no longer be ensured (the sync failed: the response must not
  // report those writes). Runs `done` inline when the answer is already known; otherwise later
  // on the backend's syncing thread, so `done` must only hand work off (post to an executor).
  virtual void WhenDurable(uint64_t mark, std::function<void(bool durable)> done) = 0;
};

// The barrier of a backend whose writes are durable before they return: every mark is.
class AlwaysDurable final : public DurabilityBarrier {
 public:
  uint64_t Mark() const override { return 0; }
  void WhenDurable(uint64_t, std::function<void(bool durable)> done) override { done(true); }
};

}  // namespace flint::core
