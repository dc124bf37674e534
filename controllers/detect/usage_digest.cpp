#include "controllers/detect/usage_digest.h"

#include <algorithm>
#include <cmath>

namespace lg::detect {

UsageDigest digestUsage(std::span<const std::pair<double, double>> samples, double from, double to,
                        int maxPoints) {
  UsageDigest d;
  if (maxPoints < 1 || !std::isfinite(from) || !std::isfinite(to) || to < from) return d;
  // The first and last samples in range set the extent actually drawn.
  double first = NAN, last = NAN;
  for (const auto& [t, v] : samples) {
    if (!std::isfinite(t) || !std::isfinite(v) || t < from || t > to) continue;
    if (std::isnan(first)) first = t;
    last = t;
  }
  if (std::isnan(first)) return d;
  constexpr double kGrain = 10;
  d.start = std::floor(first / kGrain) * kGrain;
  d.stepSeconds = std::max(kGrain, std::ceil((last - d.start + 1) / maxPoints / kGrain) * kGrain);
  for (const auto& [t, v] : samples) {
    if (!std::isfinite(t) || !std::isfinite(v) || t < first || t > last) continue;
    const double bucket = d.start + std::floor((t - d.start) / d.stepSeconds) * d.stepSeconds;
    if (d.points.empty() || d.points.back().t != bucket) {
      if (static_cast<int>(d.points.size()) == maxPoints) break;
      d.points.push_back({bucket, v, v});
    } else {
      d.points.back().min = std::min(d.points.back().min, v);
      d.points.back().max = std::max(d.points.back().max, v);
    }
  }
  return d;
}

}  // namespace lg::detect
