#include "controllers/detect/leak_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lg::detect {
namespace {

// Scratch buffers reused across calls on one thread: the analysis allocates nothing per sample.
struct Scratch {
  std::vector<BlockPyramid::Block> blocks;
  std::vector<double> x, y, falls, work, copy, gaps;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

double median(std::vector<double>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  double m = *mid;
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), mid)) / 2;
  return m;
}

}  // namespace

std::shared_ptr<const DetectorOptions> LeakDetector::defaultOptions() {
  static const auto defaults = std::make_shared<const DetectorOptions>();
  return defaults;
}

LeakDetector::LeakDetector(std::shared_ptr<const DetectorOptions> opts)
    : opts_(std::move(opts)), pyramid_(opts_->baseBlockSeconds, opts_->levels) {}

bool LeakDetector::resetPending(double value) const {
  if (limit_ <= 0 || !std::isfinite(trough_)) return false;
  return value < trough_ - opts_->resetDropFraction * limit_ && value < opts_->resetRatio * trough_;
}

void LeakDetector::reset() {
  pyramid_.clear();
  trough_ = std::numeric_limits<double>::quiet_NaN();
  held_ = false;
  verdicts_ = {};
  latest_.reset();
  ++resets_;
}

std::optional<Finding> LeakDetector::add(double t, double value, double limit) {
  if (!std::isfinite(t) || !std::isfinite(value)) return std::nullopt;
  if (std::isfinite(limit) && limit > 0) limit_ = limit;
  if (!haveEpoch_) {
    epoch_ = t;
    haveEpoch_ = true;
  }
  // A fall far below the recent troughs: the process restarted or released what it held.
  // It takes two samples in a row to believe it.
  uint32_t closed = 0;
  if (resetPending(value)) {
    if (!held_) {
      held_ = true;
      heldT_ = t;
      heldV_ = value;
      return std::nullopt;
    }
    reset();
    closed |= pyramid_.add(heldT_, heldV_);
  }
  held_ = false;
  closed |= pyramid_.add(t, value);
  // The troughs move only when a level-0 block closes.
  if (closed & 1u) trough_ = pyramid_.recentMin(15);
  if (closed == 0 || limit_ <= 0) return std::nullopt;
  std::optional<Finding> found;
  for (int l = 0; l < pyramid_.levels(); ++l) {
    if (!(closed & (1u << l))) continue;
    auto f = evaluate(l, t);
    if (f && !found) found = f;
  }
  if (found) latest_ = found;
  return found;
}

int LeakDetector::groupSize(const std::vector<BlockPyramid::Block>& blocks) const {
  // Falls from one block's max to the next block's min that stand out from the usual ones are
  // the drops of a sawtooth (a garbage collector, a cache flush); their spacing is its period.
  Scratch& s = scratch();
  s.falls.clear();
  s.work.clear();
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i)
    s.work.push_back((blocks[i].max - blocks[i + 1].min) / limit_);
  if (s.work.size() < 4) return 1;
  auto& copy = s.copy;
  copy.assign(s.work.begin(), s.work.end());
  const double med = median(copy);
  for (double& d : copy)
    d = std::abs(d - med);
  // copy now holds absolute deviations (reordered); its median is the MAD.
  const double mad = median(copy) / 0.6745;
  const double threshold = med + opts_->fallSigma * mad + opts_->fallFloorFraction;
  for (std::size_t i = 0; i < s.work.size(); ++i)
    if (s.work[i] > threshold) s.falls.push_back(static_cast<double>(i));
  if (s.falls.size() < 3) return 1;
  auto& gaps = s.gaps;
  gaps.clear();
  for (std::size_t i = 1; i < s.falls.size(); ++i)
    gaps.push_back(s.falls[i] - s.falls[i - 1]);
  return std::max(1, static_cast<int>(std::lround(opts_->periodMultiple * median(gaps))));
}

bool LeakDetector::vetoed(int level, int window, double now) const {
  const double w = kWindowBlocks[window] * pyramid_.width(level);
  for (int l = 0; l < pyramid_.levels(); ++l) {
    for (int k = 0; k < kWindows; ++k) {
      const double w2 = kWindowBlocks[k] * pyramid_.width(l);
      if (w2 <= w * 1.01 || w2 < opts_->vetoMinSeconds) continue;
      const Verdict& v = verdicts_[l][k];
      if (v.at == INT32_MIN || now - (epoch_ + v.at) > 2 * pyramid_.width(l)) continue;
      if (v.falling || v.margin <= 0) return true;
    }
  }
  return false;
}

std::optional<Finding> LeakDetector::evaluate(int level, double now) {
  Scratch& s = scratch();
  const double width = pyramid_.width(level);
  std::optional<Finding> result;
  // The sawtooth period is read once per level, over its longest window.
  int g = 0;
  for (int k = 0; k < kWindows; ++k) {
    const int slots = kWindowBlocks[k];
    // A window shorter than the growth it would need can raise nothing and vetoes nothing.
    if (slots * width < opts_->minGrowthSeconds) continue;
    pyramid_.closed(level, slots, s.blocks);
    if (s.blocks.empty() || s.blocks.front().index > s.blocks.back().index - slots + 1 + slots / 4)
      break;  // the history does not reach back over this window yet
    if (g == 0) {
      thread_local std::vector<BlockPyramid::Block> longest;
      pyramid_.closed(level, kWindowBlocks[kWindows - 1], longest);
      g = groupSize(longest);
    }
    // Groups of g blocks, aligned to the newest block; each contributes its minimum (a trough).
    s.x.clear();
    s.y.clear();
    for (std::size_t end = s.blocks.size(); end >= static_cast<std::size_t>(g); end -= g) {
      double mn = s.blocks[end - 1].min;
      for (std::size_t i = end - g; i < end; ++i)
        mn = std::min(mn, s.blocks[i].min);
      const double mid = (s.blocks[end - g].index + s.blocks[end - 1].index + 1) * width / 2;
      s.x.push_back(mid);
      s.y.push_back(mn / limit_);
      if (end == static_cast<std::size_t>(g)) break;
    }
    if (s.x.size() < opts_->minPoints) continue;
    std::reverse(s.x.begin(), s.x.end());
    std::reverse(s.y.begin(), s.y.end());
    const double last = s.x.back();
    for (double& x : s.x)
      x = (x - last) / 3600.0;

    const WindowVerdict v = analyzeWindow(s.x, s.y, *opts_);
    Verdict& memo = verdicts_[level][k];
    memo.at = static_cast<int32_t>(std::lround(now - epoch_));
    memo.falling = v.kind == WindowVerdict::Kind::kFalling;
    memo.margin = v.kind == WindowVerdict::Kind::kCompared ? static_cast<float>(v.margin) : 0.5f;
    if (result || v.kind != WindowVerdict::Kind::kCompared || v.margin < opts_->margin) continue;
    if (v.growthHours * 3600 < opts_->minGrowthSeconds) continue;

    // Forecast from the recent peak: a sawtooth exhausts the limit at its peaks.
    double peak = pyramid_.recentMax(8);
    if (!std::isfinite(peak)) peak = s.y.back() * limit_;
    const double headroom = std::max(0.0, 1.0 - peak / limit_);
    const double slope = v.slope / 3600.0;  // limit shares per second
    const double tte = headroom / slope;
    if (tte > opts_->horizonSeconds) continue;
    if (vetoed(level, k, now)) continue;

    constexpr double kZ90 = 1.6449;
    const double lo = std::max(v.slope - kZ90 * v.slopeSe, 1e-12) / 3600.0;
    const double hi = (v.slope + kZ90 * v.slopeSe) / 3600.0;
    Finding f;
    f.time = now;
    f.value = peak;
    f.limit = limit_;
    f.slopePerSecond = slope * limit_;
    f.slopeLowPerSecond = lo * limit_;
    f.slopeHighPerSecond = hi * limit_;
    f.exhaustionSeconds = tte;
    f.exhaustionLowSeconds = headroom / hi;
    f.exhaustionHighSeconds = headroom / lo;
    f.margin = v.margin;
    f.confidence = 1.0 / (1.0 + std::exp(-v.margin / 2));
    f.windowSeconds = slots * width;
    f.growthSeconds = v.growthHours * 3600;
    f.growth = v.growth;
    f.benign = v.benign;
    f.level = level;
    f.pointsUsed = static_cast<int>(s.x.size());
    f.groupBlocks = g;
    result = f;
  }
  return result;
}

}  // namespace lg::detect
