#pragma once
// Token bucket rate limit (like golang.org/x/time/rate's Reserve): `qps` tokens per second
// refill a bucket of `burst`; each reserve() takes one token, going into debt when the bucket is
// empty, and returns how long the caller must wait for its token; tryTake() takes one only if
// the bucket has it (for work that is refused rather than delayed). Time through the injected
// Clock. Thread-safe.

#include <chrono>
#include <mutex>

#include "operator/util/clock.h"

namespace lg::runtime {

class TokenBucket {
 public:
  // qps <= 0: unlimited (reserve() always returns 0).
  TokenBucket(const Clock& clock, double qps, int burst);

  std::chrono::nanoseconds reserve();
  bool tryTake();

 private:
  void refill();  // with mu_ held

  const Clock& clock_;
  const double qps_;
  const double burst_;
  std::mutex mu_;
  double tokens_;
  Clock::steady_time_point last_;
};

}  // namespace lg::runtime
