#include "controllers/detect/life_history.h"

#include <algorithm>
#include <cmath>

namespace lg::detect {

void LifeHistory::add(double t, double value, double line) {
  if (!std::isfinite(t) || !std::isfinite(value)) return;
  Life& c = current_;
  if (!c.any) {
    c = Life{};
    c.start = t;
    c.any = true;
  }
  if (std::isfinite(line) && line > 0) c.line = line;
  c.last = value;
  c.lastAt = t;
  if (t - c.start < opts_.settleSeconds) return;  // starting up: neither floor nor peak yet
  if (!c.settled || value < c.floor) {
    c.floor = value;
    c.floorAt = t;
    c.settled = true;
    c.sinceFloor = 0;
    c.nSinceFloor = 0;
  }
  c.sinceFloor += value;
  ++c.nSinceFloor;
  if (value >= c.peak || c.peakAt < c.floorAt) {
    c.peak = value;
    c.peakAt = t;
  }
}

void LifeHistory::endLife() {
  if (!current_.any) return;
  std::move_backward(ended_.begin(), ended_.end() - 1, ended_.end());
  ended_[0] = current_;
  endedCount_ = std::min(endedCount_ + 1, kKept);
  current_ = Life{};
}

void LifeHistory::clear() {
  current_ = Life{};
  endedCount_ = 0;
}

bool LifeHistory::diedOfLeak(const Life& l) const {
  if (!l.any || !l.settled || l.line <= 0) return false;
  const double length = l.lastAt - l.start;
  const double rise = l.last - l.floor;
  const bool gradual = l.nSinceFloor > 0 && l.sinceFloor / l.nSinceFloor - l.floor >= 0.25 * rise;
  return length >= opts_.minLifeSeconds && l.peakAt > l.floorAt && gradual &&
         l.peak - l.floor >= opts_.minRiseFraction * l.line &&
         l.peakAt - l.start >= opts_.peakLateFraction * length &&
         l.last >= opts_.nearLineFraction * l.line;
}

double LifeHistory::pace(const Life& l) {
  const double dt = l.lastAt - l.floorAt;
  return dt > 0 ? (l.last - l.floor) / dt : 0;
}

int LifeHistory::deathsInARow() const {
  int n = 0;
  while (n < endedCount_ && diedOfLeak(ended_[n]))
    ++n;
  return n;
}

std::optional<Finding> LifeHistory::judge() const {
  const int deaths = deathsInARow();
  if (deaths < opts_.livesNeeded) return std::nullopt;
  double shortest = INFINITY, longest = 0, total = 0;
  double slowest = INFINITY, fastest = 0;
  for (int i = 0; i < opts_.livesNeeded; ++i) {
    const Life& l = ended_[i];
    const double length = l.lastAt - l.start;
    shortest = std::min(shortest, length);
    longest = std::max(longest, length);
    total += length;
    slowest = std::min(slowest, pace(l));
    fastest = std::max(fastest, pace(l));
  }
  if (longest > opts_.maxLengthRatio * shortest) return std::nullopt;  // not alike
  const double typical = total / opts_.livesNeeded;

  const Life& c = current_;
  if (!c.any || !c.settled || c.line <= 0) return std::nullopt;
  const double risen = c.last - c.floor;
  const double nowPace = pace(c);
  if (c.lastAt - c.start < opts_.onCourseFraction * typical ||
      risen < opts_.currentRiseFraction * c.line || nowPace <= 0 ||
      c.last < c.peak - 0.05 * c.line)  // rising now, not fallen back from a peak
    return std::nullopt;
  slowest = std::min(slowest, nowPace);
  fastest = std::max(fastest, nowPace);
  const double headroom = std::max(0.0, c.line - c.last);
  int counted = 0, died = 0;
  for (int i = 0; i < endedCount_; ++i, ++counted)
    died += diedOfLeak(ended_[i]) ? 1 : 0;

  Finding f;
  f.time = c.lastAt;
  f.value = c.last;
  f.limit = c.line;
  f.slopePerSecond = nowPace;
  f.slopeLowPerSecond = slowest;
  f.slopeHighPerSecond = fastest;
  f.exhaustionSeconds = headroom / nowPace;
  f.exhaustionLowSeconds = headroom / fastest;
  f.exhaustionHighSeconds = slowest > 0 ? headroom / slowest : f.exhaustionSeconds;
  f.confidence = static_cast<double>(died) / counted;
  f.windowSeconds = c.lastAt - ended_[opts_.livesNeeded - 1].start;
  f.growthSeconds = c.lastAt - c.floorAt;
  f.growth = GrowthModel::kDiesEachLife;
  f.lives = deaths;
  f.lifeSeconds = typical;
  return f;
}

}  // namespace lg::detect
