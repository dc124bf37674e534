#pragma once
// Judges one window of a series: is its growth better explained by a growth model (line,
// flat-then-line, line under a daily cycle) than by every benign one (constant, a one-off level
// shift, a warm-up saturating below the limit, a daily cycle peaking below the limit)?
// A pure function of its inputs; thread-safe.

#include <span>
#include <string_view>

#include "controllers/detect/detector_options.h"

namespace lg::detect {

// kDiesEachLife is not a window's model: LifeHistory's, for growth that ends in a death every life.
enum class GrowthModel { kLinear, kHinge, kLinearDaily, kDiesEachLife };
enum class BenignModel { kConstant, kLevelShift, kWarmup, kDaily };

std::string_view name(GrowthModel m);
std::string_view name(BenignModel m);

struct WindowVerdict {
  enum class Kind {
    kFalling,   // no upward trend at all
    kTooSmall,  // upward, but the rise is below minRiseFraction of the limit
    kCompared,  // models were compared; margin says which side won
  };
  Kind kind = Kind::kFalling;
  // BIC of the best benign model minus BIC of the best growth model: > 0 favours growth.
  double margin = 0;
  GrowthModel growth = GrowthModel::kLinear;
  BenignModel benign = BenignModel::kConstant;
  double slope = 0;  // of the winning growth model, limit shares per hour
  double slopeSe = 0;
  double growthHours = 0;  // how long the winning growth model has been rising
};

// x: hours, increasing; y: values as shares of the limit. Same length.
WindowVerdict analyzeWindow(std::span<const double> x, std::span<const double> y,
                            const DetectorOptions& opts);

}  // namespace lg::detect
