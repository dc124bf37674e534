#include "operator/runtime/token_bucket.h"

#include <algorithm>

namespace lg::runtime {

TokenBucket::TokenBucket(const Clock& clock, double qps, int burst)
    : clock_(clock),
      qps_(qps),
      burst_(std::max(burst, 1)),
      tokens_(burst_),
      last_(clock.steadyNow()) {}

void TokenBucket::refill() {
  const auto now = clock_.steadyNow();
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
}

bool TokenBucket::tryTake() {
  if (qps_ <= 0) return true;
  std::lock_guard g(mu_);
  refill();
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::nanoseconds TokenBucket::reserve() {
  if (qps_ <= 0) return std::chrono::nanoseconds::zero();
  std::lock_guard g(mu_);
  refill();
  tokens_ -= 1.0;
  if (tokens_ >= 0) return std::chrono::nanoseconds::zero();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(-tokens_ / qps_ * 1e9));
}

}  // namespace lg::runtime
