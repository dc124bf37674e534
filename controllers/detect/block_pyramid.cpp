#include "controllers/detect/block_pyramid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lg::detect {

BlockPyramid::BlockPyramid(double baseSeconds, int levels)
    : levels_(std::clamp(levels, 1, kMaxLevels)), base_(baseSeconds) {}

void BlockPyramid::clear() {
  for (auto& l : lv_)
    l = Level{};
  started_ = false;
  scale_ = 0;
}

uint16_t BlockPyramid::quantise(double v) const {
  const double q = std::round(std::max(0.0, v) / scale_ * (kEmpty - 1));
  return static_cast<uint16_t>(std::min<double>(q, kEmpty - 1));
}

double BlockPyramid::restore(uint16_t q) const {
  return q * scale_ / (kEmpty - 1);
}

void BlockPyramid::rescale(double needed) {
  double next = scale_ > 0 ? scale_ : 1.0;
  while (next < needed)
    next *= 2;
  if (scale_ <= 0) {
    scale_ = next;
    return;
  }
  const double f = scale_ / next;
  auto requant = [&](Slot& s) {
    if (s.min == kEmpty) return;
    s.min = static_cast<uint16_t>(std::round(s.min * f));
    s.max = static_cast<uint16_t>(std::round(s.max * f));
  };
  for (int l = 0; l < levels_; ++l) {
    for (auto& s : lv_[l].ring)
      requant(s);
    requant(lv_[l].current);
  }
  scale_ = next;
}

void BlockPyramid::close(Level& lv) {
  // Slots between the last closed block and this one saw no sample: mark them empty.
  const int32_t gap = lv.lastClosed == kNone ? kRing : lv.open - lv.lastClosed - 1;
  for (int32_t i = 1; i <= std::min<int32_t>(gap, kRing); ++i) {
    lv.ring[static_cast<std::size_t>(((lv.open - i) % kRing + kRing) % kRing)] = Slot{};
  }
  lv.ring[static_cast<std::size_t>((lv.open % kRing + kRing) % kRing)] = lv.current;
  lv.lastClosed = lv.open;
}

uint32_t BlockPyramid::add(double t, double value) {
  if (!std::isfinite(t) || !std::isfinite(value)) return 0;
  if (value * 1.0001 >= scale_) rescale(std::max(value * 2, 1e-9));
  const uint16_t q = quantise(value);
  uint32_t closedMask = 0;
  for (int l = 0; l < levels_; ++l) {
    Level& lv = lv_[l];
    const auto idx = static_cast<int32_t>(std::floor(t / width(l)));
    if (lv.open == kNone) {
      lv.open = idx;
      lv.current = Slot{q, q};
    } else if (idx == lv.open) {
      lv.current.min = std::min(lv.current.min, q);
      lv.current.max = std::max(lv.current.max, q);
    } else if (idx > lv.open) {
      close(lv);
      closedMask |= 1u << l;
      lv.open = idx;
      lv.current = Slot{q, q};
    } else if (l == 0) {
      return 0;  // out of order: the caller keeps time monotonic; drop it rather than corrupt
    }
  }
  started_ = true;
  return closedMask;
}

void BlockPyramid::closed(int level, int slots, std::vector<Block>& out) const {
  out.clear();
  const Level& lv = lv_[level];
  if (lv.lastClosed == kNone) return;
  slots = std::min(slots, kRing);
  for (int32_t i = lv.lastClosed - slots + 1; i <= lv.lastClosed; ++i) {
    const Slot& s = lv.ring[static_cast<std::size_t>((i % kRing + kRing) % kRing)];
    if (s.min == kEmpty) continue;
    out.push_back(Block{i, restore(s.min), restore(s.max)});
  }
}

double BlockPyramid::recentMax(int slots) const {
  const Level& lv = lv_[0];
  double m = -std::numeric_limits<double>::infinity();
  if (lv.open != kNone) m = restore(lv.current.max);
  if (lv.lastClosed != kNone) {
    for (int32_t i = lv.lastClosed - std::min(slots, kRing) + 1; i <= lv.lastClosed; ++i) {
      const Slot& s = lv.ring[static_cast<std::size_t>((i % kRing + kRing) % kRing)];
      if (s.min != kEmpty) m = std::max(m, restore(s.max));
    }
  }
  return std::isfinite(m) ? m : std::numeric_limits<double>::quiet_NaN();
}

double BlockPyramid::recentMin(int slots) const {
  const Level& lv = lv_[0];
  double m = std::numeric_limits<double>::infinity();
  if (lv.lastClosed != kNone) {
    for (int32_t i = lv.lastClosed - std::min(slots, kRing) + 1; i <= lv.lastClosed; ++i) {
      const Slot& s = lv.ring[static_cast<std::size_t>((i % kRing + kRing) % kRing)];
      if (s.min != kEmpty) m = std::min(m, restore(s.min));
    }
  }
  return std::isfinite(m) ? m : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace lg::detect
