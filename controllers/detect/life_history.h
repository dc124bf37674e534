#pragma once
// LifeHistory: a container that grows in every life and dies near its line is dying of its
// leak, even when each life is shorter than the growth LeakDetector needs before it believes a
// leak (minGrowth): a fast leak restarts before it can be confirmed, whatever ends it (the
// kernel's OOM killer, V8's abort, the JVM's exit on OutOfMemoryError).
//
// Kept per series across container restarts. A life "died of its leak" when it lasted at least
// minLifeSeconds, rose by at least minRiseFraction of its line above its settled floor (its
// lowest usage after settleSeconds), reached its peak in its last fifth, rose gradually (its
// mean since the floor at least a quarter of the way up: not a spike at the end), and its last
// sample was at least nearLineFraction of the line: it grew until it died, at the line. After
// livesNeeded such lives in a row, of lengths within maxLengthRatio of each other, the current
// life is judged on the same course once it is onCourseFraction into a typical life and has
// risen currentRiseFraction of the line above its floor: then a Finding, forecast at the
// current life's pace. A life that ended well below its line (a batch that completed, a
// restart by hand) breaks the run. The Finding's growth model is kDiesEachLife; its
// confidence is the share of the last (up to four) ended lives that died of the leak, and its
// rate interval the slowest and fastest pace of those lives and this one.
// Pure; bounded memory (a handful of doubles a life, four lives).

#include <array>
#include <optional>

#include "controllers/detect/finding.h"

namespace lg::detect {

struct LifeHistoryOptions {
  double settleSeconds = 30;
  double minLifeSeconds = 120;
  double minRiseFraction = 0.3;
  double nearLineFraction = 0.85;
  double peakLateFraction = 0.8;
  int livesNeeded = 2;
  double maxLengthRatio = 2.0;
  double onCourseFraction = 0.25;
  double currentRiseFraction = 0.1;
};

class LifeHistory {
 public:
  explicit LifeHistory(LifeHistoryOptions opts = {}) : opts_(opts) {}

  // A sample of the current life: t in seconds, value and line (the limit, or a runtime's line)
  // in the resource's unit. A line <= 0 or NaN keeps the last one.
  void add(double t, double value, double line);
  // The current life ended (the container restarted). A life with no samples is not counted.
  void endLife();
  // Forgets every life (the series is judged afresh).
  void clear();
  // A Finding for the current life at its latest sample, when the lives before it died of the
  // leak and it is on their course; nullopt otherwise.
  std::optional<Finding> judge() const;
  // Lives ended in a row that died of the leak (the newest first), for tests and logs.
  int deathsInARow() const;

 private:
  struct Life {
    double start = 0, floor = 0, floorAt = 0, peak = 0, peakAt = 0, last = 0, lastAt = 0;
    double line = 0;
    double sinceFloor = 0;  // sum and count of the samples since the floor
    int nSinceFloor = 0;
    bool settled = false;  // floor is known
    bool any = false;      // has samples
  };
  static constexpr int kKept = 4;

  bool diedOfLeak(const Life& l) const;
  static double pace(const Life& l);  // units per second from the floor to the last sample

  LifeHistoryOptions opts_;
  Life current_;
  std::array<Life, kKept> ended_{};  // newest first
  int endedCount_ = 0;
};

}  // namespace lg::detect
