#pragma once
// Least-squares fits of the growth and benign models the leak detector compares. Pure functions
// of (x, y): x in hours (any origin), y in units of the resource's limit. Each returns the residual
// sum of squares (rss) and what the caller needs of the fit. No allocation beyond small locals;
// safe to call from any thread.

#include <cstddef>
#include <span>

namespace lg::detect {

struct LineFit {
  double intercept = 0;
  double slope = 0;    // per hour
  double slopeSe = 0;  // standard error of the slope
  double rss = 0;
};

struct HingeFit {
  bool found = false;
  std::size_t hinge = 0;  // index of the point where growth starts
  double slope = 0;
  double slopeSe = 0;
  double rss = 0;
};

// y = a + b x.
LineFit fitLine(std::span<const double> x, std::span<const double> y);

// y = a + b max(x - x[h], 0) with b > 0, over hinge positions that leave at least
// `minAfter` points after the hinge. found=false when no position gives a rising line.
HingeFit fitHinge(std::span<const double> x, std::span<const double> y, std::size_t minAfter);

// Total sum of squares about the mean (the constant model).
double fitConstant(std::span<const double> y);

// Two constant levels split at the best index (a one-off level shift).
double fitStep(std::span<const double> y);

// y = c0 + c1 exp(-(x - x0)/tau), rising (c1 < 0) towards a plateau c0 that stays below
// `plateauMax`; tau from a geometric grid of `taus` values between 0.1 h and 200 h. Returns the
// smallest rss over admissible curves, or the constant model's rss when none is.
double fitSaturating(std::span<const double> x, std::span<const double> y, double plateauMax,
                     int taus);

// y = c + r sin(2 pi x / 24 + phase) with 0 <= r and c + r <= peakMax: a daily cycle whose peak
// stays below `peakMax`. The constraint is convex; the solution is exact up to the phase search.
double fitDaily(std::span<const double> x, std::span<const double> y, double peakMax);

struct LineDailyFit {
  bool ok = false;
  double slope = 0;
  double slopeSe = 0;
  double rss = 0;
};
// y = a + b x + daily sinusoid (free amplitude): a trend under a daily cycle.
LineDailyFit fitLineDaily(std::span<const double> x, std::span<const double> y);

}  // namespace lg::detect
