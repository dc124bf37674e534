#pragma once
// Online leak detector for one series (one container, one resource). Fed one sample at a
// time; at each block boundary of its pyramid it analyses windows of 24, 32 and 48 blocks at
// that level and raises a Finding when growth beats every benign explanation, has lasted at
// least minGrowthSeconds, is forecast to exhaust the limit within the horizon, and no window of
// a day or more contradicts it. Bounded memory (about 1.8 KB) and bounded work per sample.
// Not thread-safe; one owner feeds it. Samples must come in time order.

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "controllers/detect/block_pyramid.h"
#include "controllers/detect/detector_options.h"
#include "controllers/detect/finding.h"

namespace lg::detect {

class LeakDetector {
 public:
  // Options are shared by every detector of a kind: one copy, not one per series.
  explicit LeakDetector(std::shared_ptr<const DetectorOptions> opts = defaultOptions());
  static std::shared_ptr<const DetectorOptions> defaultOptions();

  // Feeds one sample: t in seconds, value and limit in the resource's unit (limit <= 0 or NaN:
  // unknown, the last known one is kept). Returns a Finding when this sample completed an
  // analysis that shows a leak; std::nullopt otherwise.
  std::optional<Finding> add(double t, double value, double limit);

  // The container restarted (new container id) or its memory was released: start afresh.
  void reset();

  // How many times the series started afresh (explicitly or on a detected drop).
  int resets() const { return resets_; }
  // The latest Finding raised, if any (kept until reset()).
  const std::optional<Finding>& latest() const { return latest_; }
  std::size_t memoryBytes() const { return sizeof(*this); }

 private:
  static constexpr int kWindows = 3;
  static constexpr std::array<int, kWindows> kWindowBlocks{24, 32, 48};
  struct Verdict {
    float margin = 0;
    int32_t at = INT32_MIN;  // seconds since epoch_ of the evaluation; INT32_MIN: never
    bool falling = false;
  };

  std::optional<Finding> evaluate(int level, double now);
  bool vetoed(int level, int window, double now) const;
  int groupSize(const std::vector<BlockPyramid::Block>& blocks) const;

  bool resetPending(double value) const;

  std::shared_ptr<const DetectorOptions> opts_;
  BlockPyramid pyramid_;
  double limit_ = 0;
  double trough_ = std::numeric_limits<double>::quiet_NaN();  // recent level-0 troughs
  // A sample far below the troughs is held back until the next one confirms the fall, so one
  // bogus scrape cannot wipe the history.
  double heldT_ = 0, heldV_ = 0;
  bool held_ = false;
  double epoch_ = 0;
  bool haveEpoch_ = false;
  int resets_ = 0;
  std::array<std::array<Verdict, kWindows>, BlockPyramid::kMaxLevels> verdicts_{};
  std::optional<Finding> latest_;
};

}  // namespace lg::detect
