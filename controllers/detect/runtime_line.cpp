#include "controllers/detect/runtime_line.h"

#include <cmath>

namespace lg::detect {

double RuntimeLine::add(double t, double value, double heapCap) {
  if (!std::isfinite(t) || !std::isfinite(value) || value < 0) return 0;
  if (std::isnan(first_)) first_ = t;
  if (t - first_ >= kSettleSeconds && (std::isnan(floor_) || value < floor_)) floor_ = value;
  if (std::isnan(floor_) || !std::isfinite(heapCap) || heapCap <= 0) return 0;
  return heapCap + floor_;
}

void RuntimeLine::reset() {
  first_ = std::numeric_limits<double>::quiet_NaN();
  floor_ = std::numeric_limits<double>::quiet_NaN();
}

}  // namespace lg::detect
