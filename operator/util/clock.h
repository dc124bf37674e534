#pragma once
// Injected time (house rule 4). Everything that waits, backs off or judges "for N seconds"
// takes a Clock&, so tests drive time with FakeClock instead of sleeping.

#include <chrono>

namespace lg {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Wall-clock now; used for timestamps that leave the process (status, incidents).
  virtual time_point now() const = 0;
  // Monotonic now; used for deadlines, backoff and rate limits.
  virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  static SystemClock& instance();
};

// Seconds since the Unix epoch as a double: the unit the detector works in.
inline double toSeconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace lg
