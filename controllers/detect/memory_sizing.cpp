#include "controllers/detect/memory_sizing.h"

#include <algorithm>
#include <cmath>

namespace lg::detect {
namespace {

// The usage still rises when the peak of the last sixth of the history is above every earlier
// peak by this share: a sawtooth's peaks, a plateau's noise and a settled warm-up stay below it.
constexpr double kTailPeakRise = 0.05;
constexpr double kTailPeakRiseFloor = 1 << 20;  // and by at least a MiB (tiny containers' noise)
// A warm-up: it first came within kReached of its plateau only after kRampShare of the history,
// and was well below it before (its median under kRampLevel of the plateau).
constexpr double kReached = 0.90;
constexpr double kRampShare = 0.10;
constexpr double kRampLevel = 0.80;
// ...and stayed up since: at most this share of its samples fell back below kRampLevel.
constexpr double kFellBackShare = 0.02;

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::clamp(
      std::ceil(q * static_cast<double>(v.size())) - 1, 0.0, static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double roundUp(double v, double step) {
  return step > 0 ? std::ceil(v / step) * step : v;
}

}  // namespace

std::string_view name(UsageShape s) {
  switch (s) {
    case UsageShape::kTooShort:
      return "too-short";
    case UsageShape::kSteady:
      return "steady";
    case UsageShape::kWarmup:
      return "warm-up";
    case UsageShape::kStillRising:
      return "still-rising";
  }
  return "?";
}

UsageAssessment assessUsage(std::span<const std::pair<double, double>> samples,
                            const SizingOptions& opts) {
  UsageAssessment a;
  if (samples.size() < 3) return a;
  const double t0 = samples.front().first, t1 = samples.back().first;
  a.spanSeconds = t1 - t0;
  a.settledFrom = t0;
  if (!(a.spanSeconds >= opts.minHistorySeconds) || a.spanSeconds <= 0) return a;

  const double tailStart = t1 - a.spanSeconds / 6;
  double peakBefore = -INFINITY, peakTail = -INFINITY;
  for (const auto& [t, v] : samples) {
    double& peak = t < tailStart ? peakBefore : peakTail;
    peak = std::max(peak, v);
  }
  if (peakTail > peakBefore + std::max(kTailPeakRise * peakBefore, kTailPeakRiseFloor)) {
    a.shape = UsageShape::kStillRising;
    return a;
  }

  // The plateau: the high end of the last third of the history.
  std::vector<double> last;
  for (const auto& [t, v] : samples)
    if (t >= t1 - a.spanSeconds / 3) last.push_back(v);
  const double plateau = quantile(std::move(last), 0.95);
  std::vector<double> before;
  for (const auto& [t, v] : samples) {
    if (v >= kReached * plateau) {
      a.settledFrom = t;
      break;
    }
    before.push_back(v);
  }
  // A sawtooth reaches its peak early too, then falls back: a plateau stays up.
  std::size_t after = 0, fellBack = 0;
  for (const auto& [t, v] : samples) {
    if (t < a.settledFrom) continue;
    ++after;
    if (v < kRampLevel * plateau) ++fellBack;
  }
  if (a.settledFrom - t0 >= kRampShare * a.spanSeconds &&
      quantile(std::move(before), 0.5) < kRampLevel * plateau &&
      fellBack <= after * kFellBackShare) {
    a.shape = UsageShape::kWarmup;
  } else {
    a.shape = UsageShape::kSteady;
    a.settledFrom = t0;
  }
  return a;
}

SizingSeries summarizeForSizing(std::span<const std::pair<double, double>> samples,
                                const SizingOptions& opts) {
  SizingSeries out{.assessment = assessUsage(samples, opts)};
  const auto& a = out.assessment;
  if (a.shape != UsageShape::kSteady && a.shape != UsageShape::kWarmup) return out;
  std::vector<double> values;
  for (const auto& [t, v] : samples)
    if (t >= a.settledFrom && std::isfinite(v)) values.push_back(v);
  std::sort(values.begin(), values.end());
  for (double v : values) {
    if (out.settled.empty() || out.settled.back().first != v) out.settled.emplace_back(v, 0);
    ++out.settled.back().second;
  }
  return out;
}

MemoryRecommendation recommendFromSummaries(const std::vector<SizingSeries>& series,
                                            const SizingOptions& opts) {
  MemoryRecommendation r;
  std::vector<double> pooled;
  for (const auto& s : series) {
    const UsageAssessment& a = s.assessment;
    r.longestSeconds = std::max(r.longestSeconds, a.spanSeconds);
    if (a.shape == UsageShape::kStillRising) ++r.seriesRising;
    if (a.shape == UsageShape::kTooShort) ++r.seriesTooShort;
    if (a.shape != UsageShape::kSteady && a.shape != UsageShape::kWarmup) continue;
    ++r.seriesUsed;
    r.observedSeconds = std::max(r.observedSeconds, a.spanSeconds);
    if (a.shape == UsageShape::kWarmup) r.shape = UsageShape::kWarmup;
    for (const auto& [v, n] : s.settled)
      if (std::isfinite(v)) pooled.insert(pooled.end(), n, v);
  }
  if (pooled.empty()) {
    r.shape = r.seriesRising > 0 ? UsageShape::kStillRising : UsageShape::kTooShort;
    return r;
  }
  r.ok = true;
  r.peakBytes = *std::max_element(pooled.begin(), pooled.end());
  r.quantileBytes = quantile(std::move(pooled), opts.requestQuantile);
  r.requestBytes = roundUp(r.quantileBytes * (1 + opts.headroom), opts.roundBytes);
  r.limitBytes =
      std::max(r.requestBytes, roundUp(r.peakBytes * (1 + opts.headroom), opts.roundBytes));
  return r;
}

MemoryRecommendation recommendMemory(
    const std::vector<std::vector<std::pair<double, double>>>& series, const SizingOptions& opts) {
  std::vector<SizingSeries> summaries;
  summaries.reserve(series.size());
  for (const auto& s : series)
    summaries.push_back(summarizeForSizing(s, opts));
  return recommendFromSummaries(summaries, opts);
}

RaiseEffect raiseEffect(double limitBytes, double bytesPerSecond) {
  RaiseEffect e;
  constexpr double kMi = 1 << 20;
  double raise = kMi;
  while (raise * 2 <= limitBytes / 2)
    raise *= 2;
  e.raiseBytes = raise;
  if (bytesPerSecond > 0 && std::isfinite(bytesPerSecond)) e.delaySeconds = raise / bytesPerSecond;
  return e;
}

}  // namespace lg::detect
