#pragma once
// Injected time (house rule 4). Everything that waits, backs off or judges "for N seconds"
// takes a Clock&, so tests drive time with FakeClock instead of sleeping.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace lg {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  using steady_time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Wall-clock now; used for timestamps that leave the process (status, incidents).
  virtual time_point now() const = 0;
  // Monotonic now; used for deadlines, backoff and rate limits.
  virtual steady_time_point steadyNow() const = 0;

  // The one way code waits for time to pass: blocks on `cv` (with `lock` held on entry and on
  // return, released while blocked) until `pred()` holds or steadyNow() reaches `deadline`.
  // Returns pred() as last evaluated with the lock held. Whoever makes pred() true must notify
  // `cv` while holding (or after releasing) the same mutex, as with any condition variable.
  // steady_time_point::max() waits without a deadline. The default waits in real time; a fake
  // clock overrides it so that advancing the fake time wakes the waiter.
  virtual bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         steady_time_point deadline, const std::function<bool()>& pred);

  // Same, for a duration from steadyNow().
  bool waitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               std::chrono::steady_clock::duration timeout, const std::function<bool()>& pred) {
    return waitUntil(lock, cv, deadlineAfter(timeout), pred);
  }

  // steadyNow() + d, saturating at steady_time_point::max().
  steady_time_point deadlineAfter(std::chrono::steady_clock::duration d) const;
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  steady_time_point steadyNow() const override { return std::chrono::steady_clock::now(); }
  static SystemClock& instance();
};

// Seconds since the Unix epoch as a double: the unit the detector works in.
inline double toSeconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace lg
