#pragma once
// Exponential backoff with optional jitter: initial, initial*factor, ... capped at max.
// A value type owned by one loop (reflector, leader elector); not thread-safe.

#include <chrono>
#include <cstdint>
#include <random>

namespace lg::runtime {

struct BackoffOptions {
  std::chrono::nanoseconds initial = std::chrono::milliseconds(800);
  std::chrono::nanoseconds max = std::chrono::seconds(30);
  double factor = 2.0;
  // Each delay is stretched by a uniform random fraction in [0, jitter] of itself, so replicas
  // that failed together do not retry together. 0 makes delays deterministic (tests).
  double jitter = 0.0;
};

class Backoff {
 public:
  explicit Backoff(const BackoffOptions& opts = {}, std::uint64_t seed = std::random_device{}());

  // The delay to wait now; the next call returns a longer one (up to max).
  std::chrono::nanoseconds next();
  // After a success: the next failure waits `initial` again.
  void reset();
  // Failures since the last reset().
  int failures() const { return failures_; }

 private:
  BackoffOptions opts_;
  std::chrono::nanoseconds current_;
  int failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace lg::runtime
