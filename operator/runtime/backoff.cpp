#include "operator/runtime/backoff.h"

#include <algorithm>

namespace lg::runtime {

Backoff::Backoff(const BackoffOptions& opts, std::uint64_t seed)
    : opts_(opts), current_(opts.initial), rng_(seed) {
  opts_.factor = std::max(opts_.factor, 1.0);
  opts_.max = std::max(opts_.max, opts_.initial);
}

std::chrono::nanoseconds Backoff::next() {
  const std::chrono::nanoseconds base = std::min(current_, opts_.max);
  ++failures_;
  const double grown = static_cast<double>(base.count()) * opts_.factor;
  current_ = grown >= static_cast<double>(opts_.max.count())
                 ? opts_.max
                 : std::chrono::nanoseconds(static_cast<std::int64_t>(grown));
  if (opts_.jitter <= 0) return base;
  std::uniform_real_distribution<double> dist(0.0, opts_.jitter);
  return base + std::chrono::nanoseconds(
                    static_cast<std::int64_t>(static_cast<double>(base.count()) * dist(rng_)));
}

void Backoff::reset() {
  current_ = opts_.initial;
  failures_ = 0;
}

}  // namespace lg::runtime
