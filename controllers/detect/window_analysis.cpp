#include "controllers/detect/window_analysis.h"

#include <algorithm>
#include <cmath>

#include "controllers/detect/model_fits.h"

namespace lg::detect {

std::string_view name(GrowthModel m) {
  switch (m) {
    case GrowthModel::kLinear:
      return "linear";
    case GrowthModel::kHinge:
      return "flat-then-linear";
    case GrowthModel::kLinearDaily:
      return "linear-under-daily-cycle";
    case GrowthModel::kDiesEachLife:
      return "dies-each-life";
  }
  return "?";
}

std::string_view name(BenignModel m) {
  switch (m) {
    case BenignModel::kConstant:
      return "flat";
    case BenignModel::kLevelShift:
      return "level-shift";
    case BenignModel::kWarmup:
      return "warm-up-plateau";
    case BenignModel::kDaily:
      return "daily-cycle";
  }
  return "?";
}

WindowVerdict analyzeWindow(std::span<const double> x, std::span<const double> y,
                            const DetectorOptions& opts) {
  WindowVerdict v;
  const std::size_t n = y.size();
  if (n < 3) return v;
  const double span = x[n - 1] - x[0];
  const LineFit line = fitLine(x, y);
  if (line.slope <= 0) return v;
  if (line.slope * span < opts.minRiseFraction) {
    v.kind = WindowVerdict::Kind::kTooSmall;
    return v;
  }
  v.kind = WindowVerdict::Kind::kCompared;

  const double dn = static_cast<double>(n);
  const double floor2 = opts.noiseFloorFraction * opts.noiseFloorFraction;
  auto bic = [&](double rss, int k) { return dn * std::log(rss / dn + floor2) + k * std::log(dn); };

  // Growth side.
  double growthBic = bic(line.rss, 2);
  v.growth = GrowthModel::kLinear;
  v.slope = line.slope;
  v.slopeSe = line.slopeSe;
  v.growthHours = span;
  const HingeFit hinge = fitHinge(x, y, std::max<std::size_t>(6, n / 4));
  if (hinge.found) {
    const double b = bic(hinge.rss, opts.hingeParams);
    if (b < growthBic) {
      growthBic = b;
      v.growth = GrowthModel::kHinge;
      v.slope = hinge.slope;
      v.slopeSe = hinge.slopeSe;
      v.growthHours = x[n - 1] - x[hinge.hinge];
    }
  }
  if (span * 3600 >= opts.seasonalTrendMinSeconds) {
    const LineDailyFit ld = fitLineDaily(x, y);
    if (ld.ok && ld.slope > 0) {
      const double b = bic(ld.rss, 4);
      if (b < growthBic) {
        growthBic = b;
        v.growth = GrowthModel::kLinearDaily;
        v.slope = ld.slope;
        v.slopeSe = ld.slopeSe;
        v.growthHours = span;
      }
    }
  }

  // Benign side.
  const double adm = opts.admissibleFraction;
  struct Candidate {
    BenignModel model;
    double bic;
  };
  const Candidate candidates[] = {
      {BenignModel::kConstant, bic(fitConstant(y), 1)},
      {BenignModel::kLevelShift, bic(fitStep(y), 3)},
      {BenignModel::kWarmup, bic(fitSaturating(x, y, adm, opts.saturatingTaus), 3)},
      {BenignModel::kDaily, bic(fitDaily(x, y, adm), 3)},
  };
  const Candidate* best = &candidates[0];
  for (const Candidate& c : candidates)
    if (c.bic < best->bic) best = &c;
  v.benign = best->model;
  v.margin = best->bic - growthBic;
  return v;
}

}  // namespace lg::detect
