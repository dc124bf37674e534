#pragma once
// LogThrottle: at most one log line per period for something an outsider can make happen at will
// (refused requests), so that a flood cannot fill the disk or drown the other lines. The lines
// held back are counted, and the next line let through says how many there were.
//
//   if (auto held = throttle.admit()) LG_LOG(info, "request refused", {..., {"suppressed",
//   *held}});
//
// Thread-safe. Time through the injected Clock.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "operator/util/clock.h"

namespace lg {

class LogThrottle {
 public:
  LogThrottle(const Clock& clock, std::chrono::steady_clock::duration every);

  // nullopt: hold this line back. Otherwise log it: the value is how many were held back since
  // the last line let through.
  std::optional<std::uint64_t> admit();

 private:
  const Clock& clock_;
  const std::chrono::steady_clock::duration every_;
  std::mutex mu_;
  std::optional<Clock::steady_time_point> last_;
  std::uint64_t held_ = 0;
};

}  // namespace lg
