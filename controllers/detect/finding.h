#pragma once
// What the detector concludes about one series when it sees a leak.

#include <string_view>

#include "controllers/detect/window_analysis.h"

namespace lg::detect {

struct Finding {
  double time = 0;   // sample time (seconds) of the evaluation that raised it
  double value = 0;  // recent peak, in the resource's unit
  double limit = 0;
  double slopePerSecond = 0;     // growth rate, resource units per second
  double slopeLowPerSecond = 0;  // 90% interval of the rate
  double slopeHighPerSecond = 0;
  double exhaustionSeconds = 0;     // forecast time from `time` until the limit is reached
  double exhaustionLowSeconds = 0;  // 90% interval of that forecast
  double exhaustionHighSeconds = 0;
  double confidence = 0;  // posterior probability of the growth model over the best benign one
  double margin = 0;      // BIC units
  double windowSeconds = 0;
  double growthSeconds = 0;  // how long the growth has lasted in the window
  GrowthModel growth = GrowthModel::kLinear;
  BenignModel benign = BenignModel::kConstant;  // the best explanation it rejected
  int level = 0;
  int pointsUsed = 0;
  int groupBlocks = 1;  // >1 when a sawtooth was seen: troughs judged over this many blocks
  // kDiesEachLife only (detect::LifeHistory): the lives in a row before this one that grew and
  // died at the line, and their typical length in seconds.
  int lives = 0;
  double lifeSeconds = 0;
};

}  // namespace lg::detect
