#include "operator/util/clock.h"

namespace lg {

bool Clock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                      steady_time_point deadline, const std::function<bool()>& pred) {
  if (deadline == steady_time_point::max()) {
    cv.wait(lock, pred);
    return true;
  }
  return cv.wait_until(lock, deadline, pred);
}

Clock::steady_time_point Clock::deadlineAfter(std::chrono::steady_clock::duration d) const {
  const steady_time_point now = steadyNow();
  if (d <= std::chrono::steady_clock::duration::zero()) return now;
  if (steady_time_point::max() - now <= d) return steady_time_point::max();
  return now + d;
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

}  // namespace lg
