#pragma once
// Tunables of the online leak detector. The defaults are the ones measured in BENCHMARKS.md and
// scored on the labelled traces; a LeakPolicy can override the user-facing ones (margin,
// horizon, minimum growth duration).

#include <cstddef>

namespace lg::detect {

struct DetectorOptions {
  // Block pyramid: level l aggregates min/max over blocks of baseBlockSeconds * 2^l.
  double baseBlockSeconds = 120;
  int levels = 7;
  // Evidence needed: the best growth model must beat every benign explanation by this many
  // BIC units (10 is "very strong" on Kass and Raftery's scale).
  double margin = 10.0;
  // Growth over the window must be at least this share of the limit to be worth a finding.
  double minRiseFraction = 0.02;
  // Only leaks forecast to exhaust the resource within this horizon are reported.
  double horizonSeconds = 7 * 86400.0;
  // Benign explanations (a warm-up plateau, a daily peak) must stay below this share of the
  // limit; one that would reach it is no explanation, it is the problem.
  double admissibleFraction = 0.9;
  // Noise floor (share of the limit) so that near-perfect fits do not make BIC explode.
  double noiseFloorFraction = 0.001;
  // Growth must have lasted this long before it can be called a leak (batch ramps, spikes).
  double minGrowthSeconds = 3600;
  // A trend under a daily cycle is only separable from the cycle over this long a window.
  double seasonalTrendMinSeconds = 86400;
  // Windows at least this long that contradict growth veto shorter windows' findings.
  double vetoMinSeconds = 20 * 3600.0;
  std::size_t minPoints = 10;
  // BIC parameter count of the hinge model: level, slope, and the searched hinge position.
  int hingeParams = 4;
  int saturatingTaus = 24;
  // Sawtooth (GC) detection: a fall between blocks counts when it stands this many robust
  // deviations above the usual block-to-block fall, plus this share of the limit.
  double fallSigma = 3.5;
  double fallFloorFraction = 0.005;
  // Groups span this multiple of the sawtooth period so that each one holds a trough.
  double periodMultiple = 1.2;
  // A sample this far below the recent troughs (share of the limit, and ratio of the trough)
  // means the container restarted or released its memory: the series starts again.
  double resetDropFraction = 0.2;
  double resetRatio = 0.8;

  // The settings a LeakPolicy controls. The block pyramid scales with minGrowth (a thirtieth
  // of it, at least 10 s), so a policy that calls 10 minutes of growth a leak is judged on
  // 20-second blocks; the default hour gives the 2-minute blocks the traces were scored with.
  static DetectorOptions forPolicy(double margin, double horizonSeconds, double minGrowthSeconds) {
    DetectorOptions o;
    o.margin = margin;
    o.horizonSeconds = horizonSeconds;
    o.minGrowthSeconds = minGrowthSeconds;
    o.baseBlockSeconds = minGrowthSeconds / 30 < 10 ? 10 : minGrowthSeconds / 30;
    return o;
  }
};

}  // namespace lg::detect
