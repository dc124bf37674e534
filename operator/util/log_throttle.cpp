#include "operator/util/log_throttle.h"

namespace lg {

LogThrottle::LogThrottle(const Clock& clock, std::chrono::steady_clock::duration every)
    : clock_(clock), every_(every) {}

std::optional<std::uint64_t> LogThrottle::admit() {
  const auto now = clock_.steadyNow();
  std::lock_guard g(mu_);
  if (last_ && now - *last_ < every_) {
    ++held_;
    return std::nullopt;
  }
  last_ = now;
  const std::uint64_t held = held_;
  held_ = 0;
  return held;
}

}  // namespace lg
