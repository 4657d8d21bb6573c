#pragma once
// Injected time. Logic never reads the system clock directly; tests use FakeClock.

#include <atomic>
#include <chrono>

namespace flint::core {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// Thread-safe fake clock for tests: starts at a fixed instant, moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000)))
      : now_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void Advance(std::chrono::nanoseconds d) {
    now_ += std::chrono::duration_cast<TimePoint::duration>(d).count();
  }

 private:
  std::atomic<TimePoint::duration::rep> now_;
};

// Seconds since the Unix epoch, the unit flint stores times in.
inline int64_t ToUnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline TimePoint FromUnixSeconds(int64_t s) { return TimePoint(std::chrono::seconds(s)); }

// RFC 3339 UTC with a 'Z' suffix, seconds precision: "2026-11-28T14:30:00Z".
std::string FormatRfc3339(TimePoint t);

}  // namespace flint::core
