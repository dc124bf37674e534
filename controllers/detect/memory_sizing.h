#pragma once
// Memory sizing that will not chase a leak. From the usage LeakGuard observed for one container
// of a workload (one series per pod), a request (a quantile of the settled usage plus headroom)
// and a limit (the settled peak plus headroom). Usage that is still rising at the end of its
// history gets no recommendation at all: a warm-up that has not reached its plateau would be
// sized too small, and a leak (confirmed or not yet) would be sized after a peak it keeps
// raising, which is the trap the VPA and peak-based tools fall into. A warm-up that levelled
// off is sized from its plateau only. For a confirmed leak the caller states what a raise would
// buy instead (raiseEffect). Pure functions; thread-safe.

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace lg::detect {

struct SizingOptions {
  double requestQuantile = 0.90;  // of the settled usage
  double headroom = 0.15;         // added to the quantile and to the peak
  // A pod's series must span this long before it says anything.
  double minHistorySeconds = 3600;
  double roundBytes = 1 << 20;  // recommendations are rounded up to whole MiB
};

// The shape of one series' usage, as sizing reads it.
enum class UsageShape {
  kTooShort,     // less history than minHistorySeconds
  kSteady,       // level (or a sawtooth about a level) from the start
  kWarmup,       // rose, then levelled off: sized from its plateau
  kStillRising,  // growing at the end of its history: warming up or leaking; not sized
};
std::string_view name(UsageShape s);

struct UsageAssessment {
  UsageShape shape = UsageShape::kTooShort;
  double spanSeconds = 0;
  // Where the settled part starts (a warm-up: where it first came within 10% of its plateau).
  double settledFrom = 0;
};

// samples: (time in seconds, value) of one series, oldest first.
UsageAssessment assessUsage(std::span<const std::pair<double, double>> samples,
                            const SizingOptions& opts);

struct MemoryRecommendation {
  bool ok = false;  // false: nothing to recommend yet (every series too short or still rising)
  double requestBytes = 0;     // quantile * (1 + headroom), rounded up
  double limitBytes = 0;       // peak * (1 + headroom), rounded up; never below the request
  double quantileBytes = 0;    // the settled usage's quantile, before headroom
  double peakBytes = 0;        // the settled usage's peak, before headroom
  double observedSeconds = 0;  // the longest span among the series used
  int seriesUsed = 0;
  int seriesRising = 0;       // left out: still rising
  int seriesTooShort = 0;     // left out: shorter than minHistorySeconds
  double longestSeconds = 0;  // the longest span among all series
  // kWarmup when any series used was one; with !ok, kStillRising when any series was rising,
  // else kTooShort.
  UsageShape shape = UsageShape::kSteady;
};

// One series as sizing reads it: its assessment and the values of its settled part (from
// settledFrom on) as (value, count), ascending; what a node agent sends instead of the samples
// (a few dozen to a few hundred pairs for hours of samples: memory is kept at 64 KiB steps).
struct SizingSeries {
  UsageAssessment assessment;
  std::vector<std::pair<double, std::uint32_t>> settled;
};

// samples: (time in seconds, value) of one series, oldest first; not finite values left out.
SizingSeries summarizeForSizing(std::span<const std::pair<double, double>> samples,
                                const SizingOptions& opts);

// The same recommendation from series summarized (summarizeForSizing).
MemoryRecommendation recommendFromSummaries(const std::vector<SizingSeries>& series,
                                            const SizingOptions& opts);

// One series per pod of the workload (the same container). Series too short or still rising are
// left out; the rest are pooled (each from where it settled).
MemoryRecommendation recommendMemory(
    const std::vector<std::vector<std::pair<double, double>>>& series, const SizingOptions& opts);

// What raising a leaking container's limit buys at its growth rate: a round raise (the largest
// power-of-two MiB at most half the limit, at least 1Mi) and how much later the limit is then
// reached. delaySeconds is 0 when the rate is not positive.
struct RaiseEffect {
  double raiseBytes = 0;
  double delaySeconds = 0;
};
RaiseEffect raiseEffect(double limitBytes, double bytesPerSecond);

}  // namespace lg::detect
