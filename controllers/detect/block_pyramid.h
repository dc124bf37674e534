#pragma once
// Multi-resolution min/max history of one series: level l keeps the last kRing blocks of
// width base * 2^l seconds. Block numbers are int32: base widths of a second or more cover
// Unix time until 2038 times the base. Values are quantised to 16 bits against a scale that doubles
// when a value exceeds it, so a series costs about 1.4 KB whatever its length. Not thread-safe: one
// owner feeds it.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace lg::detect {

class BlockPyramid {
 public:
  static constexpr int kRing = 48;
  static constexpr int kMaxLevels = 7;

  struct Block {
    int32_t index;  // block number: floor(t / width)
    double min;
    double max;
  };

  BlockPyramid(double baseSeconds, int levels);

  // Adds a sample. Returns a bit mask of the levels whose current block closed (the sample fell
  // into a later block). Samples earlier than the open block of level 0 are ignored.
  uint32_t add(double t, double value);

  void clear();
  int levels() const { return levels_; }
  double width(int level) const { return base_ * static_cast<double>(1 << level); }

  // Closed blocks of `level` among the last `slots` block slots, oldest first (empty slots,
  // where no sample arrived, are skipped).
  void closed(int level, int slots, std::vector<Block>& out) const;

  // Max over the last `slots` closed blocks of level 0 and the open one; NaN when empty.
  double recentMax(int slots) const;
  // Min over the last `slots` closed blocks of level 0; NaN when empty.
  double recentMin(int slots) const;

  bool empty() const { return !started_; }
  std::size_t memoryBytes() const { return sizeof(*this); }

 private:
  struct Slot {
    uint16_t min = kEmpty;
    uint16_t max = 0;
  };
  struct Level {
    std::array<Slot, kRing> ring{};
    int32_t lastClosed = kNone;  // index of the newest closed block
    int32_t open = kNone;        // index of the open block
    Slot current{};
  };
  static constexpr uint16_t kEmpty = 0xFFFF;
  static constexpr int32_t kNone = INT32_MIN;

  uint16_t quantise(double v) const;
  double restore(uint16_t q) const;
  void rescale(double needed);
  void close(Level& lv);

  double scale_ = 0;  // value represented by the largest code
  bool started_ = false;
  int levels_;
  double base_;
  std::array<Level, kMaxLevels> lv_{};
};

}  // namespace lg::detect
